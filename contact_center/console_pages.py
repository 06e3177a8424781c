"""The console's server-rendered pages, in Vietnamese, every field with its
label: the sign-in and set-password forms (they work without JavaScript),
and the shells of the console app and of the supervisors' audit page, which
hub/static/console/app.js (ES modules, no build step) fills in.

The Content-Security-Policy allows no inline script or style: what the
script needs from the server (the CSRF token, who is signed in) travels in
data- attributes of <body>."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from aiohttp import web

from contact_center.passwords import MAX_LENGTH, MIN_LENGTH, TOO_LONG, TOO_SHORT, UNENCODABLE

STATIC = Path(__file__).resolve().parents[1] / "hub" / "static" / "console"


def _version() -> str:
    # A new file name after every edit, so a browser never runs yesterday's script
    # against today's API; read once, at import, not on the event loop.
    try:
        return str(max(int(p.stat().st_mtime) for p in STATIC.glob("*.[cj]s*")))
    except ValueError:  # no assets (a stripped install): the pages still render
        return "0"


ASSETS = _version()
STYLE = f'<link rel="stylesheet" href="/static/console/console.css?v={ASSETS}">'
# A module script is deferred; the modules it imports are fetched by their plain names (no
# build step to stamp them), so only the entry point carries the version.
SCRIPT = f'<script type="module" src="/static/console/app.js?v={ASSETS}"></script>'
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


LANGS = ("vi", "en")

# The sign-in and set-password pages come before anyone's settings exist, so
# their language is the address's (?lang=en); the forms post back to it.
WORDS = {
    "vi": {
        "brand": "Tổng đài · Bảng điều khiển",
        "login.title": "Đăng nhập bảng điều khiển",
        "email": "Email",
        "password": "Mật khẩu",
        "login.button": "Đăng nhập",
        "set.title": "Đặt mật khẩu",
        "set.new": f"Mật khẩu mới (ít nhất {MIN_LENGTH} ký tự)",
        "set.button": "Đặt mật khẩu",
        "set.done_title": "Đã đặt mật khẩu",
        "set.done": "Mật khẩu đã được đặt.",
        "dead.title": "Liên kết không còn dùng được",
        "dead.text": "Liên kết đặt mật khẩu này đã được dùng, đã hết hạn hoặc không đúng. "
        "Hãy đề nghị quản trị viên tạo liên kết mới.",
        "forbidden.title": "Không có quyền",
        "forbidden.back": "Về bảng điều khiển",
        "wait.title": "Thử lại sau",
        "switch": "English",
    },
    "en": {
        "brand": "Tổng đài · Help-center console",
        "login.title": "Sign in to the console",
        "email": "Email",
        "password": "Password",
        "login.button": "Sign in",
        "set.title": "Set your password",
        "set.new": f"New password (at least {MIN_LENGTH} characters)",
        "set.button": "Set password",
        "set.done_title": "Password set",
        "set.done": "Your password is set.",
        "dead.title": "This link can no longer be used",
        "dead.text": "This set-password link was already used, has expired or is wrong. "
        "Ask an administrator for a new one.",
        "forbidden.title": "Not allowed",
        "forbidden.back": "Back to the console",
        "wait.title": "Try again later",
        "switch": "Tiếng Việt",
    },
}
# What the server says on these pages, in English; a message not listed is shown as
# written, marked as Vietnamese so that a screen reader pronounces it as such.
MESSAGES_EN = {
    "Email hoặc mật khẩu không đúng.": "Wrong email or password.",
    TOO_SHORT: f"The password must have at least {MIN_LENGTH} characters.",
    TOO_LONG: f"The password is longer than {MAX_LENGTH} characters.",
    UNENCODABLE: "The password contains characters that are not allowed.",
    "Biểu mẫu này chỉ gửi được từ chính trang của Tổng đài.": "This form can only be sent from Tổng đài's own page.",
}
WAIT = re.compile(r"^(Đăng nhập sai quá nhiều lần\. )?Vui lòng thử lại sau (\d+) phút\.$")


def lang_of(request: web.Request) -> str:
    """Vietnamese unless the address asks for English."""
    return "en" if request.query.get("lang") == "en" else "vi"


def _message(message: str, lang: str) -> tuple[str, str]:
    """(the text, its language)."""
    if lang != "en":
        return message, "vi"
    if message in MESSAGES_EN:
        return MESSAGES_EN[message], "en"
    wait = WAIT.match(message)
    if wait:
        return (
            "Too many failed sign-ins. " if wait.group(1) else ""
        ) + f"Please try again in {wait.group(2)} minutes.", "en"
    return message, "vi"


def _with_lang(path: str, lang: str) -> str:
    return path + "?lang=en" if lang == "en" else path


def page(
    title: str, body: str, status: int = 200, headers: dict | None = None, lang: str = "vi", switch: str | None = None
) -> web.Response:
    """A small form page (sign-in, set-password, an error), centred in a card;
    `switch`: this page's address, to offer it in the other language."""
    words = WORDS[lang]
    other = "vi" if lang == "en" else "en"
    link = (
        f'<p class="lang-switch"><a href="{escape(_with_lang(switch, other))}" lang="{other}"'
        f' hreflang="{other}">{escape(words["switch"])}</a></p>'
        if switch is not None
        else ""
    )
    html = (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Tổng đài</title>{STYLE}</head>"
        f'<body class="plain"><header class="plain-header"><p class="brand">{escape(words["brand"])}</p>{link}</header>'
        f'<main class="card"><h1>{escape(title)}</h1>{body}</main></body></html>'
    )
    return _respond(html, status, headers)


def _error(message: str | None, lang: str = "vi") -> str:
    if not message:
        return ""
    text, text_lang = _message(message, lang)
    marked = f' lang="{text_lang}"' if text_lang != lang else ""
    return f'<p role="alert" class="error"{marked}>{escape(text)}</p>'


def login(
    message: str | None = None, email: str = "", status: int = 200, headers: dict | None = None, lang: str = "vi"
) -> web.Response:
    w = WORDS[lang]
    form = (
        f"{_error(message, lang)}"
        f'<form method="post" action="{_with_lang("/console/login", lang)}" class="stack">'
        f'<p><label for="email">{w["email"]}</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required value="{escape(email)}"></p>'
        f'<p><label for="password">{w["password"]}</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required></p>'
        f'<p><button type="submit" class="primary">{w["login.button"]}</button></p></form>'
    )
    return page(w["login.title"], form, status, headers, lang, switch="/console/login")


def set_password(token: str, message: str | None = None, status: int = 200, lang: str = "vi") -> web.Response:
    w = WORDS[lang]
    here = f"/console/set-password/{escape(token)}"
    form = (
        f"{_error(message, lang)}"
        f'<form method="post" action="{_with_lang(here, lang)}" class="stack">'
        f'<p><label for="password">{escape(w["set.new"])}</label>'
        f'<input id="password" name="password" type="password" autocomplete="new-password" minlength="{MIN_LENGTH}"'
        f' required></p><p><button type="submit" class="primary">{w["set.button"]}</button></p></form>'
    )
    return page(w["set.title"], form, status, lang=lang, switch=here)


def password_set(lang: str = "vi") -> web.Response:
    w = WORDS[lang]
    body = f'<p>{w["set.done"]} <a href="{_with_lang("/console/login", lang)}">{w["login.button"]}</a></p>'
    return page(w["set.done_title"], body, lang=lang)


def try_later(message: str, headers: dict, lang: str = "vi") -> web.Response:
    return page(WORDS[lang]["wait.title"], _error(message, lang), 429, headers, lang)


def link_dead(lang: str = "vi") -> web.Response:
    w = WORDS[lang]
    return page(w["dead.title"], f"<p>{w['dead.text']}</p>", 410, lang=lang)


def forbidden(message: str, lang: str = "vi") -> web.Response:
    w = WORDS[lang]
    body = f'{_error(message, lang)}<p><a href="/console">{w["forbidden.back"]}</a></p>'
    return page(w["forbidden.title"], body, 403, lang=lang)


def _header(name: str, role: str, csrf: str, here: str) -> str:
    supervisor = role in ("supervisor", "admin")
    audit = (
        '<a href="/console/audit" data-i18n="nav.audit">Nhật ký truy cập</a>'
        if supervisor and here != "audit"
        else '<a href="/console" data-i18n="nav.console">Hàng đợi</a>'
        if here == "audit"
        else ""
    )
    canned = (
        '<button type="button" id="canned-open" aria-haspopup="dialog" data-i18n="cadmin.open">Câu trả lời mẫu</button>'
        if supervisor and here == "console"
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
        f"{canned}"
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
        '<p><span id="audit-status" role="status" class="muted"></span> '
        '<a id="audit-export" href="/console/api/audit?format=csv" download data-i18n="audit.export">'
        "Tải về (CSV)</a></p>"
        '<table id="audit-table" class="grid"><caption class="visually-hidden" data-i18n="audit.title">'
        "Nhật ký truy cập dữ liệu cá nhân và thao tác</caption><thead><tr>"
        '<th scope="col" data-i18n="audit.at">Thời điểm</th><th scope="col" data-i18n="audit.agent">Mã cán bộ</th>'
        '<th scope="col" data-i18n="audit.action">Thao tác</th>'
        '<th scope="col" data-i18n="audit.type">Loại đối tượng</th>'
        '<th scope="col" data-i18n="audit.object">Mã đối tượng</th><th scope="col" data-i18n="audit.reason">Lý do</th>'
        "</tr></thead><tbody></tbody></table></main>"
    )
    return _shell("Nhật ký truy cập · Tổng đài", "audit", name, role, csrf, agent_id, body)
