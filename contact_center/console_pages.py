"""The console's few server-rendered pages: plain HTML forms that work
without JavaScript, in Vietnamese, every field with its label."""

from __future__ import annotations

from html import escape

from aiohttp import web


def page(title: str, body: str, status: int = 200, headers: dict | None = None) -> web.Response:
    html = (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Tổng đài</title></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    # No caching of pages with a CSRF token or an account's name; no framing (clickjacking).
    safe = {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        "Referrer-Policy": "no-referrer",  # the set-password link must not leak to another site
    }
    return web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8", headers=safe | (headers or {})
    )


def _error(message: str | None) -> str:
    return f'<p role="alert">{escape(message)}</p>' if message else ""


def login(message: str | None = None, email: str = "", status: int = 200, headers: dict | None = None) -> web.Response:
    form = (
        f"{_error(message)}"
        '<form method="post" action="/console/login">'
        '<p><label for="email">Email</label><br>'
        f'<input id="email" name="email" type="email" autocomplete="username" required value="{escape(email)}"></p>'
        '<p><label for="password">Mật khẩu</label><br>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required></p>'
        '<p><button type="submit">Đăng nhập</button></p></form>'
    )
    return page("Đăng nhập bảng điều khiển", form, status, headers)


def set_password(token: str, message: str | None = None, status: int = 200) -> web.Response:
    form = (
        f"{_error(message)}"
        f'<form method="post" action="/console/set-password/{escape(token)}">'
        '<p><label for="password">Mật khẩu mới (ít nhất 12 ký tự)</label><br>'
        '<input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required>'
        '</p><p><button type="submit">Đặt mật khẩu</button></p></form>'
    )
    return page("Đặt mật khẩu", form, status)


def link_dead() -> web.Response:
    body = (
        "<p>Liên kết đặt mật khẩu này đã được dùng, đã hết hạn hoặc không đúng. "
        "Hãy đề nghị quản trị viên tạo liên kết mới.</p>"
    )
    return page("Liên kết không còn dùng được", body, 410)


def home(name: str, role: str, csrf: str) -> web.Response:
    body = (
        f"<p>Xin chào {escape(name)} ({escape(role)}).</p>"
        '<form method="post" action="/console/logout">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        '<button type="submit">Đăng xuất</button></form>'
    )
    return page("Bảng điều khiển", body)


def forbidden(message: str) -> web.Response:
    return page("Không có quyền", f'<p role="alert">{escape(message)}</p>', 403)
