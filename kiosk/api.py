"""HTTP for the kiosk page (`/kiosk/api/*`): every call names its kiosk with
`Authorization: Kiosk <key>`. Lookups go through the one verified lookup
(hub/lookup.py), keyed on the kiosk, since a centre's kiosks share one
address; questions go through the Inbox like every channel; a call-back is
an escalation in the console; following reuses notify/follow.py's flow.

A kiosk's conversation address is its id and the visitor's session (a random
id the page makes per visitor and forgets on idle reset): one kiosk cannot
write into another's conversations."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import cast

from aiohttp import web

from channels.inbound import INBOX
from channels.registry import REGISTRY
from hub.api import body as b
from hub.api.errors import ApiError, after_minutes, too_many
from hub.api.ratelimit import limit_sender
from hub.api.replies import reply
from hub.keys import CLOCK, LOOKUP_GUARD, SETTINGS, STORE
from hub.lookup import ascii_digits, spellings, verified_lookup, verify_digits
from hub.store.port import InboundRecord
from kiosk.accounts import KIOSKS, Kiosk
from kiosk.screen import kiosk_view
from models.citizen import Channel
from models.dossier_code import FORMATS
from models.events import new_id
from models.messages import Incoming
from models.phone import normalize_phone
from models.receipt_qr import dossier_code_from_qr
from models.timeutil import utcnow
from notify.follow import CONFIRM_WITHIN, confirmation_notice, confirmed
from notify.keys import LINKS
from notify.links import CODE_DIGITS

routes = web.RouteTableDef()

NOT_FOUND = "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. Vui lòng kiểm tra lại."
_SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


async def _kiosk(request: web.Request) -> Kiosk:
    kiosk = await request.app[KIOSKS].authenticate(request)
    # Per kiosk as well as per address (the middleware): a centre's kiosks share one.
    limit_sender(request, "kiosk_device", kiosk.id)
    return kiosk


def _asker(kiosk: Kiosk) -> str:
    """The guard's key: the kiosk, whoever stands at it."""
    return "kiosk:" + kiosk.id


def _now(request: web.Request) -> datetime:
    return datetime.fromtimestamp(request.app[CLOCK](), UTC)


def _limited(wait: int | None) -> ApiError:
    wait = wait if wait is not None else 60
    return too_many(f"Đã nhập sai quá nhiều lần trên ki-ốt này. {after_minutes(wait)}", wait)


def _session(body: dict) -> str:
    session = body.get("session")
    if not isinstance(session, str) or not _SESSION.fullmatch(session):
        raise ApiError(422, "Phiên làm việc 'session' gồm 8–64 ký tự chữ, số, - hoặc _.", field="session")
    return session


def _address(kiosk: Kiosk, session: str) -> str:
    return f"{kiosk.id}:{session}"


def _digits(body: dict) -> str:
    digits = body.get("digits")
    verified = verify_digits(digits) if isinstance(digits, str) else None
    if verified is None:
        raise ApiError(422, "Cần 4 số cuối điện thoại của người nộp hồ sơ, bằng chữ số 0-9.", field="digits")
    return verified


def _code(body: dict) -> str:
    """The code typed, or read from the receipt's QR code."""
    if body.get("qr") is not None:
        qr = body["qr"]
        code = dossier_code_from_qr(qr) if isinstance(qr, str) else None
        if code is None:
            raise ApiError(
                422, "Không đọc được mã hồ sơ trong mã QR này. Vui lòng quét mã QR trên giấy tiếp nhận.", field="qr"
            )
        return code
    code = b.text(body, "code", max_len=100)
    if not spellings(code):
        raise ApiError(422, "Mã hồ sơ chỉ gồm chữ, chữ số 0-9 và các dấu . - _ (tối đa 100 ký tự).", field="code")
    return code


@routes.get("/kiosk/api/config")
async def config(request: web.Request) -> web.Response:
    kiosk = await _kiosk(request)
    settings = request.app[SETTINGS]
    return reply(
        {
            "kiosk": {"id": kiosk.id, "name": kiosk.name},
            "idle_seconds": settings.kiosk_idle_seconds,
            "org": {"name": settings.org_name, "hotline": settings.org_hotline},
            # For the on-screen keyboard and its hint: the formats a receipt's code is written in.
            "code_formats": [{"name": f.name, "description": f.description, "example": f.examples[0]} for f in FORMATS],
            "otp_digits": CODE_DIGITS,
        }
    )


@routes.post("/kiosk/api/lookup")
async def lookup(request: web.Request) -> web.Response:
    kiosk = await _kiosk(request)
    body = await b.json_object(request)
    code, digits = _code(body), _digits(body)
    store = request.app[STORE]
    outcome = await verified_lookup(store, request.app[LOOKUP_GUARD], code, digits, key=_asker(kiosk))
    if outcome.status == "limited":
        raise _limited(outcome.retry_after)
    if not outcome.ok or outcome.found is None:
        raise ApiError(404, NOT_FOUND)
    found = outcome.found
    handover = await store.dossier_handover(found.dossier.code)
    return reply(kiosk_view(found.dossier, found.applicant_name, handover, _now(request)))


@routes.post("/kiosk/api/messages")
async def messages(request: web.Request) -> web.Response:
    """A question to the assistant, as on every channel (channel kiosk)."""
    kiosk = await _kiosk(request)
    body = await b.json_object(request)
    session = _session(body)
    text = cast(str, b.text(body, "text", max_len=2000))
    client_id = body.get("client_id")
    if client_id is None:
        client_id = new_id()
    elif not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise ApiError(422, "'client_id' gồm 1–64 ký tự chữ, số hoặc . _ : -.", field="client_id")
    address = _address(kiosk, session)
    replies = await request.app[INBOX].receive(
        Incoming(
            channel=Channel.KIOSK,
            address=address,
            text=text,
            provider_message_id=f"{address}:{client_id}",
            asker=_asker(kiosk),
        )
    )
    return reply(
        {
            "session": session,
            "replies": [
                {"text": r.text, "buttons": [{"title": x.title, "payload": x.payload} for x in r.buttons]}
                for r in replies
            ],
        }
    )


CALLBACK_TEXT = "Công dân nhờ cán bộ gọi lại."


@routes.post("/kiosk/api/callback")
async def callback(request: web.Request) -> web.Response:
    """The visitor leaves a phone for a call back: the conversation goes to the
    console's queue (reason `callback`) and the phone onto its citizen, so
    that the agent sees whom to call and a written answer reaches them too."""
    kiosk = await _kiosk(request)
    body = await b.json_object(request)
    session = _session(body)
    phone = b.parsed("phone", normalize_phone, b.text(body, "phone", max_len=30))
    note = b.text(body, "note", required=False, max_len=1000) or ""
    store = request.app[STORE]
    address = _address(kiosk, session)
    citizen_id = await store.ensure_contact(Channel.SMS, phone)
    # The request itself is a message of the conversation (the agent reads it
    # in the transcript), recorded without the assistant answering it.
    stored = await store.add_inbound(
        InboundRecord(
            channel=Channel.KIOSK,
            address=address,
            text=note.strip() or CALLBACK_TEXT,
            provider_message_id=f"{address}:callback:{new_id()}",
            citizen_id=citizen_id,
        ),
        lambda conversation_id: [],
    )
    await store.attach_citizen(Channel.KIOSK, address, citizen_id)
    event = await store.escalate(stored.conversation_id, "callback")
    return reply(
        {
            "session": session,
            "queued": event is not None,
            "message": "Cán bộ sẽ gọi lại cho Ông/Bà theo số điện thoại đã để lại trong giờ hành chính."
            if event is not None
            else "Yêu cầu của Ông/Bà đã có trong hàng chờ; cán bộ sẽ gọi lại theo số điện thoại đã để lại.",
        },
        status=201,
    )


@routes.post("/kiosk/api/follow")
async def follow(request: web.Request) -> web.Response:
    """Follow a dossier by SMS: the code and digits let the kiosk ask; the
    phone's owner confirms with the code sent there (notify/follow.py)."""
    kiosk = await _kiosk(request)
    body = await b.json_object(request)
    code, digits = _code(body), _digits(body)
    spec = REGISTRY[Channel.SMS]
    phone = b.parsed("phone", normalize_phone, b.text(body, "phone", max_len=30))
    store = request.app[STORE]
    outcome = await verified_lookup(store, request.app[LOOKUP_GUARD], code, digits, key=_asker(kiosk))
    if outcome.status == "limited":
        raise _limited(outcome.retry_after)
    if not outcome.ok or outcome.found is None:
        raise ApiError(404, NOT_FOUND)
    code = outcome.found.dossier.code
    window = CONFIRM_WITHIN["code"]
    minutes = int(window.total_seconds() // 60)
    limit = request.app[SETTINGS].max_followers
    result = await store.request_follow(
        code,
        spec.channel,
        phone,
        limit=limit,
        expires_at=utcnow() + window,  # as notify/follow.py: the store compares with its own clock
        confirmation=lambda request_id, citizen_id: confirmation_notice(
            request_id, citizen_id, channel=spec.channel, code=code, minutes=minutes
        ),
    )
    if result.outcome == "withdrawn":
        raise ApiError(
            409,
            "Số điện thoại này đã từ chối nhận thông báo qua tin nhắn SMS. Để nhận lại, chính chủ cần nhắn "
            "THEODOI <mã hồ sơ> <4 số cuối điện thoại> từ số đó, hoặc đăng ký tại quầy một cửa.",
        )
    if result.outcome == "full":
        raise ApiError(409, f"Hồ sơ {code} đã có đủ {limit} người theo dõi; không thêm được.")
    if result.outcome == "following":
        return reply({"code": code, "following": True, "message": f"Số này đã đang nhận tin về hồ sơ {code}."})
    request_id = result.request.id if result.request is not None else None
    if request_id is None:  # requested and pending outcomes carry their request
        pending = await store.live_follow_request(code, spec.channel, phone)
        request_id = pending.id if pending is not None else None
    if request_id is None:
        raise ApiError(409, "Yêu cầu theo dõi đã hết hạn. Vui lòng thử lại.")
    return reply(
        {
            "code": code,
            "following": False,
            "request_id": request_id,
            "expires_in_minutes": minutes,
            "message": f"Đã gửi mã xác nhận gồm {CODE_DIGITS} chữ số tới số điện thoại của Ông/Bà. "
            f"Vui lòng nhập mã trong vòng {minutes} phút.",
        },
        status=202,
    )


@routes.post("/kiosk/api/follow/confirm")
async def follow_confirm(request: web.Request) -> web.Response:
    """The code the phone received. A wrong one counts in the one guard,
    against the kiosk and the request."""
    kiosk = await _kiosk(request)
    body = await b.json_object(request)
    request_id = cast(str, b.text(body, "request_id", max_len=100))
    otp = ascii_digits(b.text(body, "otp", max_len=12), CODE_DIGITS)
    if otp is None:
        raise ApiError(422, f"Cần mã xác nhận gồm {CODE_DIGITS} chữ số đã gửi tới điện thoại.", field="otp")
    guard = request.app[LOOKUP_GUARD]
    keys = (_asker(kiosk), f"follow:{request_id}")
    wait = guard.retry_after(*keys)
    if wait is not None:
        raise _limited(wait)
    store = request.app[STORE]
    pending = await store.get_follow_request(request_id)
    if (
        pending is None
        or pending.state != "pending"
        or pending.expires_at <= utcnow()
        or REGISTRY[pending.channel].follow_confirmation != "code"
    ):
        guard.fail(keys[0])
        raise ApiError(404, "Không có yêu cầu theo dõi nào đang chờ xác nhận, hoặc mã đã hết hạn.")
    if not request.app[LINKS].follow_code_matches(pending.id, otp):
        guard.fail(*keys)
        raise ApiError(422, "Mã xác nhận không đúng. Vui lòng kiểm tra lại tin nhắn.", field="otp")
    return await confirmed(store, pending.id, REGISTRY[pending.channel])


@routes.post("/kiosk/api/rating")
async def rating(request: web.Request) -> web.Response:
    kiosk = await _kiosk(request)
    body = await b.json_object(request)
    score = body.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ApiError(422, "Điểm đánh giá 'score' là số nguyên từ 1 đến 5.", field="score")
    await request.app[STORE].add_kiosk_rating(kiosk.id, score, _now(request))
    return reply({"kiosk": kiosk.id, "score": score, "message": "Cảm ơn Ông/Bà đã đánh giá."}, status=201)
