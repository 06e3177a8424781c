"""Reading received mail: what one message means (a citizen writing, a
delivery status notification about a message we sent, or automatic mail to
drop), with the citizen's text separated from the quoted original.

Pure functions of the bytes, no I/O: channels/email_inbound.py runs them in
the SMTP receiver's thread."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import collapse_rfc2231_value, parseaddr
from html.parser import HTMLParser
from typing import ClassVar

from models.citizen import Channel
from models.messages import Incoming
from models.notifications import DeliveryStatus

_PARSER = BytesParser(policy=policy.default)
_HEADER_PARSER = HeaderParser(policy=policy.default)


@dataclass(frozen=True, slots=True)
class Bounce:
    """A delivery status notification (RFC 3464) about a message we sent."""

    original_message_id: str  # as SmtpProvider returned it in Sent.provider_ref
    status: DeliveryStatus
    error: str | None = None


def parse_email(raw: bytes) -> Incoming | Bounce | None:
    """What one received message means: a citizen writing, a bounce, or
    nothing worth a conversation (None)."""
    msg = _PARSER.parsebytes(raw)
    if msg.get_content_type() == "multipart/report":
        # Read receipts (disposition-notification) and the like are dropped.
        report_type = collapse_rfc2231_value(msg.get_param("report-type", ""))  # RFC 2231 may give a tuple
        return _bounce(msg) if report_type.lower() == "delivery-status" else None
    if _is_automatic(msg):
        return None
    sender = _sender(msg)
    if sender is None:
        return None
    address, name = sender
    subject = _nfc(str(_header(msg, "Subject", ""))).strip() or None
    text = strip_quoted(_body_text(msg)) or bare_subject(subject or "")
    message_id = _first_id(str(_header(msg, "Message-ID", ""))) or _synthetic_id(raw)
    references = tuple(
        dict.fromkeys(_ids(str(_header(msg, "In-Reply-To", ""))) + _ids(str(_header(msg, "References", ""))))
    )
    return Incoming(
        channel=Channel.EMAIL,
        address=address,
        text=text,
        provider_message_id=message_id,
        name=name,
        subject=subject,
        references=references,
    )


# --- citizens' mail ----------------------------------------------------------


def _is_automatic(msg: Message) -> bool:
    """RFC 3834 and the older conventions out-of-office responders still use:
    answering them would start a conversation with a robot."""
    auto = str(_header(msg, "Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return True
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return True
    return str(_header(msg, "Precedence", "")).strip().lower() in {"auto_reply", "bulk", "junk"}


def _sender(msg: Message) -> tuple[str, str | None] | None:
    header = _header(msg, "From")
    if header is None:
        return None
    addresses = getattr(header, "addresses", ())
    if addresses and "@" in addresses[0].addr_spec:
        address, name = addresses[0].addr_spec, addresses[0].display_name
    else:
        name, address = parseaddr(str(header))
        if "@" not in address:
            return None
    # Parsers differ on the space between two encoded words of one name.
    return address.strip().lower(), (" ".join(_nfc(name).split()) or None)


def _body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)  # bytes (None only for multipart)
        content = (payload if isinstance(payload, bytes) else b"").decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return _nfc(content)


# Where the quoted original starts: "On <date>, <name> wrote:" and its
# Vietnamese (Gmail, Outlook) and French forms, or Outlook's separators.
_ATTRIBUTION = re.compile(r"^\s*(on\s.*\swrote|vào\s.*\sđã viết|le\s.*\sa écrit)\s*:\s*$", re.IGNORECASE | re.DOTALL)
_SEPARATOR = re.compile(r"^\s*-{2,}\s*(original message|thư gốc|tin nhắn gốc)\s*-{2,}\s*$", re.IGNORECASE)
_RULE_THEN_FROM = re.compile(r"^\s*_{10,}\s*$")
_HEADER_LINE = re.compile(r"^\s*(from|từ)\s*:", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """The citizen's own words: quoted lines and the quoted original dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            _ATTRIBUTION.match(line)
            or _SEPARATOR.match(line)
            # Gmail wraps a long attribution over two lines.
            or (re.match(r"^\s*(on|vào)\s", line, re.IGNORECASE) and _ATTRIBUTION.match(f"{line} {following}"))
            or (_RULE_THEN_FROM.match(line) and _HEADER_LINE.match(following))
        ):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


class _TextExtractor(HTMLParser):
    _SKIP: ClassVar = {"script", "style", "head", "title", "blockquote"}  # blockquote: the quoted original
    _BREAK: ClassVar = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BREAK:
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.chunks.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    # Every block boundary is a line break; blank lines carry no meaning here.
    lines = (line.strip() for line in "".join(extractor.chunks).split("\n"))
    return "\n".join(line for line in lines if line)


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|tl|trả lời|chuyển tiếp)\s*:\s*)+", re.IGNORECASE)


def bare_subject(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip()


def _header(msg: Message, name: str, default: str | None = None):
    """A header, parsed when the policy can parse it. CPython's structured
    header parsers raise on some malformed values ("From: a@" is an
    IndexError): such a header is read as its raw text instead, so one odd
    message does not make the relay offer it again for days (a 451)."""
    try:
        return msg.get(name, default)
    except (IndexError, ValueError, TypeError, AttributeError):
        raw = next((value for key, value in msg.raw_items() if key.lower() == name.lower()), default)
        return raw if raw is None else str(raw)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_MSG_ID = re.compile(r"<[^<>\s]+>")


def _ids(text: str) -> list[str]:
    return _MSG_ID.findall(text)


def _first_id(text: str) -> str | None:
    found = _ids(text)
    if found:
        return found[0]
    text = text.strip()
    return f"<{text}>" if text and " " not in text else None


def _synthetic_id(raw: bytes) -> str:
    # The same message delivered twice gets the same id, so it is stored once.
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.invalid>"


# --- bounces -----------------------------------------------------------------

_STATUS_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


def _bounce(msg: EmailMessage) -> Bounce | None:
    original = _original_id(msg)
    recipient = _recipient_fields(msg)
    if original is None or recipient is None:
        return None
    action = str(_header(recipient, "Action", "")).strip().lower()
    found = _STATUS_CODE.search(str(_header(recipient, "Status", "")))
    code = found.group(0) if found else None
    klass = found.group(1) if found else {"failed": "5", "delayed": "4", "delivered": "2"}.get(action)
    if klass == "5":
        status = DeliveryStatus.PERMANENT_FAILURE
    elif klass == "4":
        status = DeliveryStatus.TEMPORARY_FAILURE
    elif klass == "2" and action == "delivered":
        status = DeliveryStatus.DELIVERED
    else:  # relayed or expanded: no news about the citizen's mailbox
        return None
    diagnostic = " ".join(str(_header(recipient, "Diagnostic-Code", "")).split())
    error = " ".join(filter(None, (code, diagnostic))) or action or None
    return Bounce(
        original_message_id=original, status=status, error=None if status is DeliveryStatus.DELIVERED else error
    )


def _recipient_fields(msg: Message) -> Message | None:
    """The first per-recipient block of the message/delivery-status part (we
    send to one recipient a message)."""
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = [b for b in part.get_payload() if isinstance(b, Message)]
            for block in blocks[1:] or blocks:
                if _header(block, "Action") or _header(block, "Status"):
                    return block
            return None
    return None


def _original_id(msg: Message) -> str | None:
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            headers: Message | None = first if isinstance(first, Message) else None
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)  # bytes (None only for multipart)
            raw = payload if isinstance(payload, bytes) else b""
            headers = _HEADER_PARSER.parsestr(raw.decode("utf-8", "replace"))
        else:
            continue
        if headers is not None and (found := _first_id(str(_header(headers, "Message-ID", "")))):
            return found
    for name in ("X-Original-Message-ID", "In-Reply-To"):
        if found := _first_id(str(_header(msg, name, ""))):
            return found
    return None
