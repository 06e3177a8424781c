"""What a template looks like to the citizen, as text for a terminal
(`tongdai templates preview`): an operator sees the wording and, for SMS,
what one message costs before thousands go out."""

from __future__ import annotations

from collections.abc import Mapping

from models.templates import TemplateKind
from notify.rendering import Rendered, Templates

_RULE = "─" * 40


def preview(templates: Templates, name: str, kind: TemplateKind, context: Mapping | None = None) -> str:
    """The rendered message; `context` None means the template's own sample."""
    if context is None:
        context = templates.meta(name).sample
    return show(templates.render(name, kind, context))


def show(rendered: Rendered) -> str:
    if rendered.kind == TemplateKind.SMS:
        return f"{rendered.text}\n{_RULE}\n{sms_cost(rendered)}"
    if rendered.kind == TemplateKind.EMAIL:
        return f"Tiêu đề: {rendered.subject}\n{_RULE} văn bản\n{rendered.text}\n{_RULE} HTML\n{rendered.html}"
    return rendered.text


def sms_cost(rendered: Rendered) -> str:
    """ "Mã hóa: UCS-2 · 132 ký tự · 2 tin nhắn (67 ký tự/tin)"."""
    c = rendered.sms
    if c is None:  # only an SMS rendering is counted
        raise ValueError(f"no SMS count for a {rendered.kind} rendering")
    line = f"Mã hóa: {c.encoding} · {c.characters} ký tự · {c.segments} tin nhắn ({c.per_segment} ký tự/tin)"
    if c.units != c.characters:
        # Extension characters and emoji take two places each: the count that is billed differs.
        line += f" · tính cước theo {c.units} ký tự"
    return line
