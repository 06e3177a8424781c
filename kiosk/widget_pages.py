"""The web chat widget's script, `GET /widget.js`, and a demo page that embeds
it, `GET /chat` (docs/KIOSK_WEBCHAT.md, "Web chat").

The script is kiosk/static/widget/widget.js as written (no build step), read
and gzipped once at import, never on the event loop. A portal embeds it with
one `<script src=".../widget.js" async>` tag: it is served to any origin (a
script tag needs no CORS; `Cross-Origin-Resource-Policy` lets a portal that
isolates itself load it too) and revalidated on every load (`no-cache` with
an ETag), so that a deploy reaches every portal at once. What the widget
then calls (`/webchat/*`) is where the allowed origins are enforced."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static" / "widget"
# Budget from issue 13: the portal's visitors download it on every page.
MAX_GZIPPED = 60 * 1024


def _load() -> tuple[bytes, bytes, str]:
    source = (STATIC / "widget.js").read_bytes()
    packed = gzip.compress(source, compresslevel=9, mtime=0)
    return source, packed, '"' + hashlib.sha256(source).hexdigest()[:32] + '"'


SCRIPT, SCRIPT_GZIP, ETAG = _load()
SCRIPT_HEADERS = {
    "Cache-Control": "no-cache",
    "ETag": ETAG,
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
}

routes = web.RouteTableDef()


@routes.get("/widget.js")
async def widget_js(request: web.Request) -> web.Response:
    if ETAG in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=SCRIPT_HEADERS)
    gzipped = re.search(r"\bgzip\b", request.headers.get("Accept-Encoding", "")) is not None
    response = web.Response(
        body=SCRIPT_GZIP if gzipped else SCRIPT,
        content_type="application/javascript",
        charset="utf-8",
        headers=SCRIPT_HEADERS | ({"Content-Encoding": "gzip"} if gzipped else {}),
    )
    return response


# The demo page's own look: inline, allowed by its hash (no 'unsafe-inline').
STYLE = (
    "body{margin:0;font:18px/1.5 system-ui,'Segoe UI',Roboto,Arial,sans-serif;color:#1a1a1a;background:#f7f7f2}"
    "header{background:#8a1c1c;color:#fff;padding:16px 24px}"
    "header p{margin:0;font-size:15px}h1{margin:4px 0 0;font-size:26px}"
    "main{max-width:860px;margin:0 auto;padding:16px 24px 120px}"
    "h2{font-size:21px;margin-top:28px}li{margin:6px 0}"
    "a{color:#0b4f9c}footer{padding:16px 24px;font-size:15px;color:#333;border-top:1px solid #ccc}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'sha256-{_STYLE_HASH}'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
PAGE = f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng dịch vụ công tỉnh · Hỏi đáp trực tuyến</title>
<style>{STYLE}</style>
<script src="/widget.js" async data-title="Hỏi đáp trực tuyến"></script>
</head>
<body>
<header>
  <p>Ủy ban nhân dân tỉnh</p>
  <h1>Cổng dịch vụ công tỉnh</h1>
</header>
<main>
  <p>Trang minh họa: cổng dịch vụ công của tỉnh nhúng hộp hỏi đáp trực tuyến của Tổng đài bằng
  một thẻ <code>&lt;script&gt;</code>. Nút <strong>Hỏi đáp trực tuyến</strong> ở góc dưới bên phải
  mở hộp trò chuyện: trợ lý ảo trả lời ngay, cán bộ tổng đài trả lời khi Ông/Bà cần gặp người.</p>
  <h2>Ông/Bà có thể hỏi</h2>
  <ul>
    <li>Tình trạng hồ sơ đã nộp (cần mã hồ sơ và 4 số cuối điện thoại người nộp);</li>
    <li>Giấy tờ cần chuẩn bị, lệ phí, thời hạn giải quyết của một thủ tục;</li>
    <li>Giờ làm việc và địa chỉ của Trung tâm Phục vụ hành chính công.</li>
  </ul>
  <h2>Nhúng vào trang của Ông/Bà</h2>
  <p>Thêm vào trang (không cần đoạn mã nội tuyến nào):</p>
  <pre><code>&lt;script src="/widget.js" async data-title="Hỏi đáp trực tuyến"&gt;&lt;/script&gt;</code></pre>
  <p>Địa chỉ (origin) của trang phải có trong <code>TONGDAI_WEBCHAT_ORIGINS</code>.</p>
</main>
<footer>Trang minh họa của Tổng đài.
Không thu thập thông tin nào ngoài nội dung Ông/Bà gửi trong hộp trò chuyện.</footer>
</body>
</html>
"""


@routes.get("/chat")
async def demo_page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS)
