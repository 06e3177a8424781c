"""The kiosk's touch-screen page, `GET /kiosk`: a shell that
hub/static/kiosk/app.js (ES modules, no framework, no build step) fills in.

No key is needed to load it: the kiosk's key travels in the address's
fragment (`/kiosk#k=<key>`), which no request, log or Referer carries; the
script keeps it in memory and sends it with every kiosk API call. The page
stores nothing in the browser, and the policy below allows no inline script
or style, so that what a visitor types can only go to this service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parents[1] / "hub" / "static" / "kiosk"


def _version() -> str:
    # A new address after every edit, so that a kiosk left running picks up a
    # deploy's script; read once, at import, not on the event loop.
    try:
        return str(max(int(p.stat().st_mtime) for p in STATIC.glob("*.[cj]s*")))
    except ValueError:  # no assets (a stripped install): the page still renders
        return "0"


ASSETS = _version()
HEADERS = {
    # A visitor's answers are never cached; the screen is nobody's frame.
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    # The camera is for the receipt's QR code on this page only.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}

# The home screen is in the HTML itself, so that it paints before any script
# runs (issue 13: first paint < 1 s); app.js takes it over.
PAGE = f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tổng đài · Ki-ốt tra cứu hồ sơ</title>
<link rel="stylesheet" href="/static/kiosk/kiosk.css?v={ASSETS}">
<script type="module" src="/static/kiosk/app.js?v={ASSETS}"></script>
</head>
<body>
<header class="bar">
  <p class="brand" id="brand">Trung tâm Phục vụ hành chính công</p>
  <div class="tools" id="tools"></div>
</header>
<main id="screen" tabindex="-1">
  <h1>Xin chào! Quý khách cần gì?</h1>
  <div class="home">
    <button type="button" class="big" disabled>Tra cứu hồ sơ</button>
    <button type="button" class="big" disabled>Hỏi đáp</button>
    <button type="button" class="big" disabled>Đánh giá</button>
  </div>
</main>
<p class="live" id="announce" role="status" aria-live="polite"></p>
</body>
</html>
"""

routes = web.RouteTableDef()


@routes.get("/kiosk")
async def kiosk_page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html", charset="utf-8", headers=HEADERS)
