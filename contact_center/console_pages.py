"""The console's server-rendered pages, in Vietnamese, every field with its
label: the sign-in and set-password forms (they work without JavaScript),
and the shells of the console app and of the supervisors' audit page, which
hub/static/console/console.js fills in.

The Content-Security-Policy allows no inline script or style: what the
script needs from the server (the CSRF token, who is signed in) travels in
data- attributes of <body>."""

from __future__ import annotations

from html import escape
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parents[1] / "hub" / "static" / "console"


def _version() -> str:
    # A new file name after every edit, so a browser never runs yesterday's script
    # against today's API; read once, at import, not on the event loop.
    try:
        return str(max(int(p.stat().st_mtime) for p in STATIC.glob("console.*")))
    except ValueError:  # no assets (a stripped install): the pages still render
        return "0"


ASSETS = _version()
STYLE = f'<link rel="stylesheet" href="/static/console/console.css?v={ASSETS}">'
SCRIPT = f'<script src="/static/console/console.js?v={ASSETS}" defer></script>'
SAFE_HEADERS = {
    # No caching of pages with a CSRF token or an account's name; no framing (clickjacking).
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    # The set-password link must not leak to another site; not "no-referrer", under which
    # Chromium sends "Origin: null" with the page's own forms and the sign-in refuses them.
    "Referrer-Policy": "same-origin",
}


def _respond(html: str, status: int, headers: dict | None) -> web.Response:
    return web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8", headers=SAFE_HEADERS | (headers or {})
    )


def page(title: str, body: str, status: int = 200, headers: dict | None = None) -> web.Response:
    """A small form page (sign-in, set-password, an error), centred in a card."""
    html = (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Tổng đài</title>{STYLE}</head>"
        '<body class="plain"><header class="plain-header"><p class="brand">Tổng đài · Bảng điều khiển</p></header>'
        f'<main class="card"><h1>{escape(title)}</h1>{body}</main></body></html>'
    )
    return _respond(html, status, headers)


def _error(message: str | None) -> str:
    return f'<p role="alert" class="error">{escape(message)}</p>' if message else ""


def login(message: str | None = None, email: str = "", status: int = 200, headers: dict | None = None) -> web.Response:
    form = (
        f"{_error(message)}"
        '<form method="post" action="/console/login" class="stack">'
        '<p><label for="email">Email</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required value="{escape(email)}"></p>'
        '<p><label for="password">Mật khẩu</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required></p>'
        '<p><button type="submit" class="primary">Đăng nhập</button></p></form>'
    )
    return page("Đăng nhập bảng điều khiển", form, status, headers)


def set_password(token: str, message: str | None = None, status: int = 200) -> web.Response:
    form = (
        f"{_error(message)}"
        f'<form method="post" action="/console/set-password/{escape(token)}" class="stack">'
        '<p><label for="password">Mật khẩu mới (ít nhất 12 ký tự)</label>'
        '<input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required>'
        '</p><p><button type="submit" class="primary">Đặt mật khẩu</button></p></form>'
    )
    return page("Đặt mật khẩu", form, status)


def link_dead() -> web.Response:
    body = (
        "<p>Liên kết đặt mật khẩu này đã được dùng, đã hết hạn hoặc không đúng. "
        "Hãy đề nghị quản trị viên tạo liên kết mới.</p>"
    )
    return page("Liên kết không còn dùng được", body, 410)


def forbidden(message: str) -> web.Response:
    body = f'<p role="alert" class="error">{escape(message)}</p><p><a href="/console">Về bảng điều khiển</a></p>'
    return page("Không có quyền", body, 403)


def _header(name: str, role: str, csrf: str, here: str) -> str:
    supervisor = role in ("supervisor", "admin")
    audit = (
        '<a href="/console/audit" data-i18n="nav.audit">Nhật ký truy cập</a>'
        if supervisor and here != "audit"
        else '<a href="/console" data-i18n="nav.console">Hàng đợi</a>'
        if here == "audit"
        else ""
    )
    return (
        '<header class="top">'
        '<h1 class="brand"><span data-i18n="app.title">Tổng đài · Bảng điều khiển</span></h1>'
        f'<nav class="top-links" aria-label="Trang" data-i18n-label="nav.pages">{audit}</nav>'
        '<div class="top-tools">'
        '<label for="presence" data-i18n="presence.label">Trạng thái trực</label>'
        '<select id="presence">'
        '<option value="online" data-i18n="presence.online">Trực tuyến</option>'
        '<option value="away" data-i18n="presence.away">Tạm vắng</option>'
        '<option value="offline" data-i18n="presence.offline">Ngoại tuyến</option></select>'
        '<button type="button" id="lang" lang="en">English</button>'
        '<button type="button" id="help-open" aria-haspopup="dialog" data-i18n="help.open">Phím tắt (?)</button>'
        f'<span id="me-name" class="me">{escape(name)}</span>'
        '<form method="post" action="/console/logout" class="inline">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        '<button type="submit" data-i18n="logout">Đăng xuất</button></form>'
        "</div></header>"
        '<div id="banner" class="banner" role="alert" hidden></div>'
        '<div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>'
    )


def _help_dialog() -> str:
    keys = (
        ("j / k", "help.jk", "Hội thoại tiếp theo / trước đó"),
        ("r", "help.r", "Trả lời"),
        ("n", "help.n", "Ghi chú nội bộ"),
        ("e", "help.e", "Đánh dấu đã xong"),
        ("/", "help.slash", "Câu trả lời mẫu (trong ô soạn)"),
        ("Ctrl+Enter", "help.send", "Gửi"),
        ("?", "help.help", "Bảng phím tắt này"),
    )
    rows = "".join(f'<tr><th scope="row"><kbd>{k}</kbd></th><td data-i18n="{i}">{v}</td></tr>' for k, i, v in keys)
    return (
        '<dialog id="help" aria-labelledby="help-title">'
        '<h2 id="help-title" data-i18n="help.title">Phím tắt</h2>'
        f'<table class="keys"><tbody>{rows}</tbody></table>'
        '<form method="dialog"><button type="submit" data-i18n="close">Đóng</button></form></dialog>'
    )


def _shell(title: str, page_name: str, name: str, role: str, csrf: str, agent_id: str, body: str) -> web.Response:
    html = (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{STYLE}{SCRIPT}</head>"
        f'<body class="app" data-page="{page_name}" data-csrf="{escape(csrf)}" data-role="{escape(role)}"'
        f' data-agent="{escape(agent_id)}">'
        f"{_header(name, role, csrf, page_name)}{body}{_help_dialog()}</body></html>"
    )
    return _respond(html, 200, None)


def _views(supervisor: bool) -> str:
    views = [("mine", "Của tôi"), ("unassigned", "Chưa phân công"), ("team", "Nhóm của tôi")]
    if supervisor:
        views.append(("all", "Tất cả"))
    buttons = "".join(
        f'<li><button type="button" class="view" data-view="{v}" aria-pressed="false">'
        f'<span data-i18n="view.{v}">{label}</span> <span class="count" data-count="{v}">0</span></button></li>'
        for v, label in views
    )
    return f'<ul id="views" class="views" aria-label="Chế độ xem" data-i18n-label="views.label">{buttons}</ul>'


def _filters() -> str:
    def select(id_: str, key: str, label: str, options: list[tuple[str, str, str]]) -> str:
        opts = "".join(f'<option value="{v}" data-i18n="{k}">{t}</option>' for v, k, t in options)
        return f'<p><label for="{id_}" data-i18n="{key}">{label}</label><select id="{id_}">{opts}</select></p>'

    channels = [("", "any", "Tất cả")] + [
        (c, f"channel.{c}", t)
        for c, t in (
            ("telegram", "Telegram"),
            ("sms", "SMS"),
            ("email", "Email"),
            ("webchat", "Web chat"),
            ("kiosk", "Kiosk"),
            ("phone", "Điện thoại"),
        )
    ]
    statuses = [
        ("open", "status.open", "Đang mở"),
        ("pending", "status.pending", "Chờ công dân"),
        ("snoozed", "status.snoozed", "Tạm ẩn"),
        ("resolved", "status.resolved", "Đã xong"),
        ("", "any", "Tất cả"),
    ]
    priorities = [
        ("", "any", "Tất cả"),
        ("0", "priority.0", "Bình thường"),
        ("1", "priority.1", "Cao"),
        ("2", "priority.2", "Khẩn"),
    ]
    return (
        '<form id="filters" class="filters" role="search" aria-label="Lọc hàng đợi" data-i18n-label="filters.label">'
        '<p class="wide"><label for="f-search" data-i18n="filter.search">Tìm (mã hồ sơ, số điện thoại, tên)</label>'
        '<input id="f-search" type="search" autocomplete="off"></p>'
        + select("f-channel", "filter.channel", "Kênh", channels)
        + select("f-status", "filter.status", "Trạng thái", statuses)
        + select("f-priority", "filter.priority", "Ưu tiên", priorities)
        + '<p><label for="f-label" data-i18n="filter.label">Nhãn</label><input id="f-label" autocomplete="off"></p>'
        '<p><label for="f-dossier" data-i18n="filter.dossier">Mã hồ sơ</label>'
        '<input id="f-dossier" autocomplete="off"></p></form>'
    )


def home(name: str, role: str, csrf: str, agent_id: str = "") -> web.Response:
    """The console app: views and queue | the conversation | the citizen."""
    supervisor = role in ("supervisor", "admin")
    body = (
        '<div class="layout">'
        '<nav id="side" class="side" aria-label="Hàng đợi" data-i18n-label="queue.label">'
        f"{_views(supervisor)}{_filters()}"
        '<h2 class="visually-hidden" id="queue-title" data-i18n="queue.title">Danh sách hội thoại</h2>'
        '<ul id="queue" class="queue" aria-labelledby="queue-title"></ul>'
        '<p id="queue-empty" class="muted" hidden data-i18n="queue.empty">Không có hội thoại nào.</p>'
        '<button type="button" id="queue-more" hidden data-i18n="queue.more">Xem thêm</button>'
        "</nav>"
        '<main id="conversation" class="conversation" tabindex="-1">'
        '<p id="conv-empty" class="muted" data-i18n="conv.empty">Chọn một hội thoại trong hàng đợi.</p>'
        "</main>"
        '<aside id="citizen" class="citizen" aria-label="Công dân" data-i18n-label="citizen.label"></aside>'
        "</div>"
    )
    return _shell("Bảng điều khiển · Tổng đài", "console", name, role, csrf, agent_id, body)


def audit(name: str, role: str, csrf: str, agent_id: str = "") -> web.Response:
    """The supervisors' audit page: who looked at or did what, when, why."""
    fields = (
        ("a-agent", "audit.agent", "Mã cán bộ", "agent"),
        ("a-type", "audit.type", "Loại đối tượng", "object_type"),
        ("a-object", "audit.object", "Mã đối tượng", "object_id"),
    )
    inputs = "".join(
        f'<p><label for="{i}" data-i18n="{k}">{t}</label><input id="{i}" name="{n}" autocomplete="off"></p>'
        for i, k, t, n in fields
    )
    body = (
        '<main id="audit" class="audit">'
        '<h2 data-i18n="audit.title">Nhật ký truy cập dữ liệu cá nhân và thao tác</h2>'
        f'<form id="audit-filters" class="filters row">{inputs}'
        '<p><label for="a-since" data-i18n="audit.since">Từ ngày</label>'
        '<input id="a-since" name="since" type="date"></p>'
        '<p><label for="a-limit" data-i18n="audit.limit">Số dòng</label>'
        '<input id="a-limit" name="limit" type="number" min="1" max="1000" value="100"></p>'
        '<p><button type="submit" class="primary" data-i18n="audit.search">Tra cứu</button></p></form>'
        '<p id="audit-status" role="status" class="muted"></p>'
        '<table id="audit-table" class="grid"><caption class="visually-hidden" data-i18n="audit.title">'
        "Nhật ký truy cập dữ liệu cá nhân và thao tác</caption><thead><tr>"
        '<th scope="col" data-i18n="audit.at">Thời điểm</th><th scope="col" data-i18n="audit.agent">Mã cán bộ</th>'
        '<th scope="col" data-i18n="audit.action">Thao tác</th>'
        '<th scope="col" data-i18n="audit.type">Loại đối tượng</th>'
        '<th scope="col" data-i18n="audit.object">Mã đối tượng</th><th scope="col" data-i18n="audit.reason">Lý do</th>'
        "</tr></thead><tbody></tbody></table></main>"
    )
    return _shell("Nhật ký truy cập · Tổng đài", "audit", name, role, csrf, agent_id, body)
