"""The few HTML pages the service shows citizens (signed links opened from
an email): one message and, when the link acts, one button. A GET only asks;
the button POSTs, because mail scanners open links. The content sits in a
<main> landmark so that a screen reader can jump to it (axe-core's rules;
tests/browser/test_citizen_pages.py)."""

from __future__ import annotations

import html

from aiohttp import web


def page(
    title: str,
    text: str,
    *,
    status: int = 200,
    form_action: str | None = None,
    button: str = "Xác nhận hủy nhận thông báo",
) -> web.Response:
    form = (
        (
            f'<form method="post" action="{html.escape(form_action)}">'
            f'<button type="submit">{html.escape(button)}</button></form>'
        )
        if form_action
        else ""
    )
    document = (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>body{{font-family:sans-serif;font-size:1.2rem;max-width:40rem;margin:2rem auto}}"
        f"button{{font:inherit;padding:.5rem 1rem}}</style></head><body>"
        f"<main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</main></body></html>"
    )
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8")
