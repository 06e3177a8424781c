"""The configuration of generic HTTP SMS gateways: Vietnamese brandname
providers (VNPT, Viettel, FPT, eSMS…) each have their own small JSON API,
described by configuration instead of one adapter apiece. The provider that
sends is channels/sms_gateway.py; the webhooks, channels/sms_gateway_webhooks.py.

TONGDAI_SMS_GATEWAYS is a JSON list of objects:

    {"name": "vnpt",                       # provider name; receipts are filed under it
     "url": "https://sms.example.vn/api/send",
     "method": "POST",                     # POST | PUT
     "encoding": "json",                   # json | form
     "headers": {"X-Partner": "ubnd"},
     "auth": {"type": "bearer", "token": "…"},   # or basic (username, password), or none
     "body": {"to": "{to_84}", "content": "{text}", "brandname": "{sender}", "requestId": "{ref}"},
     "sender": "UBND-TINH",
     "id_field": "data.messageId",         # dotted path to the gateway's id in a 2xx answer
     "success_field": "code", "success_values": ["00"],  # some answer 200 with an error inside
     "retry_values": ["99"],               # ...of which these are temporary
     "rate": 10, "burst": 10,              # messages a second for this sender
     "timeout": 15,
     "inbound_secret": "…",                # signs what the gateway posts to us
     "receipts": true,                     # false: the gateway never reports delivery
     "unaccented": false}                  # send Vietnamese without diacritics (GSM-7, 160 a part)

Placeholders, replaced in string values of "body": {to} (+84…), {to_84}
(84…), {to_0} (0…), {text}, {sender}, {ref} (our attempt id: a gateway that
deduplicates by it makes a retried send harmless).

What the gateway posts to us, signed with `X-Signature: sha256=<hex HMAC-SHA256
of the raw body with inbound_secret>`:

    POST /webhooks/sms/{name}/inbound  {"from": "0912345678", "text": "TRACUU …", "id": "mo-123"}
    POST /webhooks/sms/{name}/status   {"id": "<the id of the sent message>", "status": "DELIVRD", "error": null}

Status words are SMPP receipt words (DELIVRD, UNDELIV, EXPIRED, REJECTD…) or
plain ones (delivered, failed…), see channels.sms_status.GATEWAY_STATUSES."""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

PLACEHOLDERS = ("to", "to_84", "to_0", "text", "sender", "ref")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED_NAMES = frozenset({"sms", "twilio"})  # the failover and the Twilio adapter file receipts under these


def parse_gateways(text: str) -> list[dict]:
    """TONGDAI_SMS_GATEWAYS into checked configurations with defaults filled in;
    ValueError names the gateway and the key that is wrong."""
    if not text.strip():
        return []
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"sms_gateways: not valid JSON ({exc})") from None
    if not isinstance(raw, list):
        _invalid("sms_gateways: expected a JSON list of gateway objects")
    gateways = [check_gateway(item, index) for index, item in enumerate(raw)]
    names = [g["name"] for g in gateways]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"sms_gateways: duplicate name {duplicates[0]!r}")
    return gateways


def check_gateway(item, index: int = 0) -> dict:
    if not isinstance(item, dict):
        _invalid(f"sms_gateways[{index}]: expected an object")
    where = f"sms_gateways[{index}]"
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED_NAMES:
        raise ValueError(f"{where}.name: expected lower-case letters, digits, - or _ (not sms or twilio)")
    where = f"sms gateway {name!r}"

    def fail(key: str, why: str):
        raise ValueError(f"{where}: {key}: {why}")

    url = item.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        fail("url", "expected an http(s) URL")
    method = str(item.get("method", "POST")).upper()
    if method not in ("POST", "PUT"):
        fail("method", "expected POST or PUT")
    encoding = item.get("encoding", "json")
    if encoding not in ("json", "form"):
        fail("encoding", "expected json or form")
    headers = item.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        fail("headers", "expected an object of strings")
    auth = item.get("auth", {"type": "none"})
    needs = {"none": (), "bearer": ("token",), "basic": ("username", "password")}
    if not isinstance(auth, dict) or auth.get("type") not in needs:
        fail("auth.type", "expected bearer, basic or none")
    for key in needs[auth["type"]]:
        if not isinstance(auth.get(key), str) or not auth[key]:
            fail(f"auth.{key}", "required")
    body = item.get("body")
    if not isinstance(body, dict) or not body:
        fail("body", "expected a JSON object template")
    if encoding == "form" and not all(isinstance(v, str) for v in body.values()):
        fail("body", "a form body takes string values only")
    unknown = sorted(set(_placeholders(body)) - set(PLACEHOLDERS))
    if unknown:
        fail("body", f"unknown placeholder {{{unknown[0]}}}; known: " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    if "text" not in set(_placeholders(body)) or not {"to", "to_84", "to_0"} & set(_placeholders(body)):
        fail("body", "must contain {text} and one of {to}, {to_84}, {to_0}")
    sender = item.get("sender", "")
    rate, burst = item.get("rate"), item.get("burst")
    if rate is not None and (not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0):
        fail("rate", "expected a positive number of messages a second")
    if burst is not None and (not isinstance(burst, int) or isinstance(burst, bool) or burst < 1):
        fail("burst", "expected a whole number, at least 1")
    timeout = item.get("timeout", 15)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        fail("timeout", "expected seconds")
    for key in ("sender", "id_field", "success_field", "inbound_secret"):
        if not isinstance(item.get(key, ""), str):
            fail(key, "expected a string")
    for key in ("success_values", "retry_values"):
        if not isinstance(item.get(key, []), list):
            fail(key, "expected a list")
    for key in ("unaccented", "receipts"):
        if not isinstance(item.get(key, False), bool):
            fail(key, "expected true or false")
    unknown_keys = sorted(set(item) - _KEYS)
    if unknown_keys:
        fail(unknown_keys[0], "unknown key")  # most likely a typo that would silently do nothing
    return {
        "name": name,
        "url": url,
        "method": method,
        "encoding": encoding,
        "headers": dict(headers),
        "auth": auth,
        "body": body,
        "sender": sender,
        "id_field": item.get("id_field", ""),
        "success_field": item.get("success_field", ""),
        "success_values": [str(v) for v in item.get("success_values", [])],
        "retry_values": [str(v) for v in item.get("retry_values", [])],
        "rate": float(rate) if rate is not None else None,
        "burst": burst if burst is not None else (max(1, int(rate)) if rate is not None else None),
        "timeout": float(timeout),
        "inbound_secret": item.get("inbound_secret", ""),
        "receipts": item.get("receipts", True),
        "unaccented": item.get("unaccented", False),
    }


def _invalid(message: str):
    # Always ValueError, whatever was wrong: callers report configuration errors by catching one type.
    raise ValueError(message)


_KEYS = frozenset(
    {
        "name",
        "url",
        "method",
        "encoding",
        "headers",
        "auth",
        "body",
        "sender",
        "id_field",
        "success_field",
        "success_values",
        "retry_values",
        "rate",
        "burst",
        "timeout",
        "inbound_secret",
        "receipts",
        "unaccented",
    }
)


def _placeholders(template) -> Iterable[str]:
    if isinstance(template, str):
        yield from _PLACEHOLDER.findall(template)
    elif isinstance(template, dict):
        for value in template.values():
            yield from _placeholders(value)
    elif isinstance(template, list):
        for value in template:
            yield from _placeholders(value)


def render(template, values: dict[str, str]):
    """The template with placeholders replaced in one pass, so a citizen's text
    that happens to contain "{to}" stays as it is."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    return template
