"""HTTP: notifications and their attempts, the consent ledger, followers,
unsubscribe links and broadcasts."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import cast

import orjson
from aiohttp import web

from channels.registry import REGISTRY, ChannelSpec, followable
from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.guard import client_address
from hub.api.replies import reply
from hub.keys import API_KEYS, LOOKUP_GUARD, SETTINGS, STORE
from hub.lookup import verified_lookup
from hub.store.port import Broadcast, BroadcastStore, CitizenStore
from models.citizen import CONSENT_CLOCK_SKEW, FUTURE_CONSENT, Channel, Citizen, ConsentRecord
from models.dossier_code import normalize_text
from models.events import new_id
from models.notifications import FOLLOW_CONFIRMATION, Notification
from models.timeutil import to_iso, utcnow
from notify import broadcasts
from notify.keys import LINKS, TEMPLATES
from notify.links import CODE_DIGITS
from notify.rendering import KINDS

routes = web.RouteTableDef()

# How long the owner of an address has to confirm a follow: a code is short
# (six digits, few guesses allowed), a link in a mailbox may wait a while.
CONFIRM_WITHIN = {"code": timedelta(minutes=15), "link": timedelta(hours=1)}


def notification_view(n: Notification) -> dict:
    return {
        "id": n.id,
        "citizen_id": n.citizen_id,
        "purpose": n.purpose,
        "source_event_id": n.source_event_id,
        "dossier_code": n.dossier_code,
        "broadcast_id": n.broadcast_id,
        "template": n.template,
        "status": n.status.value,
        "channel": n.channel,
        "channels_given_up": list(n.tried),
        "created_at": n.created_at,
        "updated_at": n.updated_at,
        "attempts": [
            {
                "id": a.id,
                "channel": a.channel,
                "provider": a.provider,
                "status": a.status.value,
                "provider_ref": a.provider_ref,
                "error": a.error,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
            }
            for a in n.attempts
        ],
    }


@routes.get("/api/v1/notifications")
async def list_notifications(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    given = {k: request.query[k].strip() for k in ("dossier", "citizen", "broadcast") if request.query.get(k)}
    if len(given) != 1:
        raise ApiError(
            422,
            "Cần đúng một tham số lọc: ?dossier=MÃ_HỒ_SƠ, ?citizen=MÃ_CÔNG_DÂN hoặc ?broadcast=MÃ_THÔNG_BÁO.",
            field="query",
        )
    items = await request.app[STORE].list_notifications(**given, limit=500)
    return reply({"notifications": [notification_view(n) for n in items]})


def consent_view(citizen: Citizen) -> dict:
    return {
        "citizen_id": citizen.id,
        "preferred_channels": [c.value for c in citizen.preferred_channels],
        "current": {c.value: citizen.consent_for(c) for c in Channel},
        "ledger": [
            {
                "channel": r.channel.value,
                "granted": r.granted,
                "at": to_iso(r.at),
                "via": r.via,
                "legal_basis": r.legal_basis,
            }
            for r in citizen.consents
        ],
    }


async def _citizen(request: web.Request) -> Citizen:
    citizen = await request.app[STORE].get_citizen(request.match_info["citizen_id"])
    if citizen is None:
        raise ApiError(404, "Không tìm thấy công dân với mã này.")
    return citizen


@routes.get("/api/v1/citizens/{citizen_id}/consents")
async def get_consents(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    return reply(consent_view(await _citizen(request)))


@routes.post("/api/v1/citizens/{citizen_id}/consents")
async def post_consent(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    citizen = await _citizen(request)
    body = await b.json_object(request)
    if not isinstance(body.get("granted"), bool):
        raise ApiError(422, "Cần 'granted': true (đồng ý) hoặc false (rút lại đồng ý).", field="granted")
    now = utcnow()
    at = b.moment(body, "at", required=False) or now
    if at > now + CONSENT_CLOCK_SKEW:
        raise ApiError(422, FUTURE_CONSENT, field="at")
    record = ConsentRecord(
        channel=b.parsed("channel", Channel, body.get("channel")),
        granted=body["granted"],
        at=at,
        # Defaulted: b.text gives a str.
        via=cast(str, b.text(body, "via", required=False, max_len=100, default="api")),
        legal_basis=cast(
            str,
            b.text(
                body, "legal_basis", required=False, max_len=200, default="consent" if body["granted"] else "withdrawal"
            ),
        ),
    )
    store: CitizenStore = request.app[STORE]
    await store.add_consent(citizen.id, record)
    updated = await store.get_citizen(citizen.id)
    if updated is None:  # removed meanwhile
        raise ApiError(404, "Không tìm thấy công dân với mã này.")
    return reply(consent_view(updated), status=201)


def _follow_address(body: dict, spec: ChannelSpec):
    field = spec.address_field
    if field is None:  # every followable channel has one
        raise ApiError(422, f"Không theo dõi được qua {spec.label}.", field="channel")
    if spec.address_type is int:
        # JSON has numbers: a chat id sent as text is a client's mistake, not ours to guess at.
        value = body.get(field)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ApiError(422, f"Cần {field} (số nguyên) để theo dõi qua {spec.label}.", field=field)
    else:
        value = b.text(body, field, max_len=254)
    return b.parsed(field, spec.normalize, value)


def _follow_channel(body: dict) -> ChannelSpec:
    channel = b.parsed("channel", Channel, body.get("channel", "sms"))
    spec = REGISTRY[channel]
    if not spec.followable:
        names = [s.channel.value for s in followable() if s.follow_confirmation]
        raise ApiError(422, f"Chỉ theo dõi được qua {', '.join(names[:-1])} hoặc {names[-1]}.", field="channel")
    if spec.follow_confirmation is None:
        # Nobody can be asked first on it: only the address itself may follow.
        raise ApiError(
            422, f"Không đăng ký theo dõi qua {spec.label} bằng API được. {spec.follow_hint}", field="channel"
        )
    return spec


def _limited(wait: int | None) -> ApiError:
    wait = wait if wait is not None else 60  # a limited outcome has one
    return ApiError(
        429,
        f"Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau {-(-wait // 60)} phút.",
        headers={"Retry-After": str(wait)},
        retry_after=wait,
    )


def _withdrawn(spec: ChannelSpec) -> ApiError:
    return ApiError(
        409,
        f"Địa chỉ này đã từ chối nhận thông báo qua {spec.label}; theo dõi hồ sơ không thay chủ địa chỉ đồng ý lại "
        f"được. Để nhận lại, chính chủ cần nhắn THEODOI <mã hồ sơ> <4 số cuối điện thoại> từ chính địa chỉ đó, "
        f"hoặc đăng ký lại tại bộ phận một cửa.",
    )


def _asker(request: web.Request) -> str:
    return "addr:" + client_address(request, request.app[SETTINGS].trust_forwarded_for)


@routes.post("/api/v1/dossiers/{code}/followers")
async def follow(request: web.Request) -> web.Response:
    """A citizen (or anyone the applicant gave the code and digits to) asks for
    an address to be told when the dossier moves. Nothing is sent there but a
    request to confirm, until its owner confirms."""
    code = b.dossier_code(request)
    body = await b.json_object(request)
    verify = cast(str, b.text(body, "verify", max_len=4))  # required or defaulted: b.text gives a str
    if not (len(verify) == 4 and verify.isdigit()):
        raise ApiError(422, "Cần 4 số cuối điện thoại của người nộp hồ sơ.", field="verify")
    spec = _follow_channel(body)
    address = _follow_address(body, spec)
    store = request.app[STORE]
    outcome = await verified_lookup(store, request.app[LOOKUP_GUARD], code, verify, key=_asker(request))
    if outcome.status == "limited":
        raise _limited(outcome.retry_after)
    if not outcome.ok or outcome.found is None:
        raise ApiError(404, "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. Vui lòng kiểm tra lại.")
    code = outcome.found.dossier.code  # as stored, however the citizen typed it
    kind = spec.follow_confirmation or ""  # _follow_channel refused channels without one
    window = CONFIRM_WITHIN[kind]
    limit = request.app[SETTINGS].max_followers

    def confirmation(request_id: str, citizen_id: str) -> Notification:
        return Notification(
            id=new_id(),
            citizen_id=citizen_id,
            purpose=FOLLOW_CONFIRMATION,
            source_event_id=f"follow:{request_id}",
            template=FOLLOW_CONFIRMATION,
            context={
                "follow_request": request_id,
                "channel": spec.channel.value,
                "dossier_code": code,
                "minutes": int(window.total_seconds() // 60),
            },
            dossier_code=code,
            urgent=True,  # someone waits for it now: quiet hours would outlast the code
            next_at=0.0,  # due at once, whatever clock the sender keeps
        )

    result = await store.request_follow(
        code, spec.channel, address, limit=limit, expires_at=utcnow() + window, confirmation=confirmation
    )
    if result.outcome == "withdrawn":
        raise _withdrawn(spec)
    if result.outcome == "full":
        raise ApiError(
            409,
            f"Hồ sơ {code} đã có đủ {limit} người theo dõi hoặc đang chờ xác nhận; không thêm được người theo dõi.",
        )
    if result.outcome == "following":
        return reply(
            {
                "code": code,
                "channel": spec.channel.value,
                "following": True,
                "message": f"Địa chỉ này đã đang nhận thông báo khi hồ sơ {code} thay đổi trạng thái.",
            }
        )
    minutes = int(window.total_seconds() // 60)
    message = (
        f"Đã gửi mã xác nhận gồm 6 chữ số qua {spec.label}. Vui lòng nhập mã trong vòng {minutes} phút để bắt đầu "
        f"nhận thông báo về hồ sơ {code}."
        if kind == "code"
        else f"Đã gửi liên kết xác nhận qua {spec.label}. Vui lòng mở thư và bấm xác nhận trong vòng {minutes} phút "
        f"để bắt đầu nhận thông báo về hồ sơ {code}."
    )
    if result.outcome == "pending":
        message = f"Yêu cầu theo dõi này đang chờ xác nhận. {message}"
    return reply(
        {
            "code": code,
            "channel": spec.channel.value,
            "following": False,
            "confirmation": f"{spec.channel.value}_{kind}",
            "message": message,
        },
        status=202,
    )


@routes.post("/api/v1/dossiers/{code}/followers/confirm")
async def confirm_follow(request: web.Request) -> web.Response:
    """The owner of a phone enters the code we sent there. Every wrong code
    counts in the one brute-force guard, against the asker and the request."""
    code = b.dossier_code(request)
    body = await b.json_object(request)
    spec = _follow_channel(body)
    if spec.follow_confirmation != "code":
        raise ApiError(
            422, f"Theo dõi qua {spec.label} được xác nhận bằng liên kết gửi tới {spec.label}.", field="channel"
        )
    address = _follow_address(body, spec)
    otp = normalize_text(cast(str, b.text(body, "otp", max_len=12))).strip()
    if not (len(otp) == CODE_DIGITS and otp.isascii() and otp.isdigit()):
        raise ApiError(422, f"Cần mã xác nhận gồm {CODE_DIGITS} chữ số đã gửi tới Ông/Bà.", field="otp")
    guard = request.app[LOOKUP_GUARD]
    asker = _asker(request)
    wait = guard.retry_after(asker)
    if wait is not None:
        raise _limited(wait)
    store: CitizenStore = request.app[STORE]
    pending = await store.live_follow_request(code, spec.channel, address)
    if pending is None:
        guard.fail(asker)
        raise ApiError(404, "Không có yêu cầu theo dõi nào đang chờ xác nhận cho địa chỉ này, hoặc mã đã hết hạn.")
    keys = (asker, f"follow:{pending.id}")
    wait = guard.retry_after(*keys)
    if wait is not None:
        raise _limited(wait)
    if not request.app[LINKS].follow_code_matches(pending.id, otp):
        guard.fail(*keys)
        raise ApiError(422, "Mã xác nhận không đúng. Vui lòng kiểm tra lại tin nhắn.", field="otp")
    return await _confirmed(store, pending.id, spec, as_page=False)


async def _confirmed(store: CitizenStore, request_id: str, spec: ChannelSpec, *, as_page: bool) -> web.Response:
    consent = ConsentRecord(
        channel=spec.channel, granted=True, at=utcnow(), via="follow_confirmed", legal_basis="consent"
    )
    result = await store.confirm_follow(request_id, consent)
    if result.outcome == "withdrawn":
        error = _withdrawn(spec)
        if as_page:
            return _page("Không xác nhận được", error.message or "", status=409)
        raise error
    if result.outcome != "following" or result.request is None:
        if as_page:
            return _page(
                "Liên kết đã hết hạn", "Liên kết xác nhận đã hết hạn. Vui lòng đề nghị theo dõi lại.", status=404
            )
        raise ApiError(404, "Yêu cầu theo dõi đã hết hạn. Vui lòng đề nghị theo dõi lại.")
    code = result.request.code
    text = f"Ông/Bà sẽ nhận thông báo qua {spec.label} khi hồ sơ {code} thay đổi trạng thái."
    if as_page:
        return _page("Đã xác nhận theo dõi hồ sơ", text)
    return reply({"code": code, "channel": spec.channel.value, "following": True, "message": text})


async def _follow_link(request: web.Request):
    request_id = request.app[LINKS].read_follow(request.match_info["token"])
    store: CitizenStore = request.app[STORE]
    found = await store.get_follow_request(request_id) if request_id else None
    return store, found


@routes.get("/follow/{token}")
async def follow_page(request: web.Request) -> web.Response:
    # GET only asks: mail scanners follow links, and must not subscribe anyone.
    _, found = await _follow_link(request)
    if found is None:
        return _page("Liên kết không hợp lệ", "Liên kết xác nhận không đúng hoặc đã bị thay đổi.", status=404)
    return _page(
        "Xác nhận nhận thông báo về hồ sơ",
        f"Bấm nút dưới đây để nhận thông báo qua {REGISTRY[found.channel].label} khi hồ sơ {found.code} "
        f"thay đổi trạng thái. Nếu không phải Ông/Bà yêu cầu, chỉ cần đóng trang này.",
        form_action=request.path,
        button="Xác nhận nhận thông báo",
    )


@routes.post("/follow/{token}")
async def follow_link_confirm(request: web.Request) -> web.Response:
    store, found = await _follow_link(request)
    if found is None:
        return _page("Liên kết không hợp lệ", "Liên kết xác nhận không đúng hoặc đã bị thay đổi.", status=404)
    return await _confirmed(store, found.id, REGISTRY[found.channel], as_page=True)


def _page(
    title: str,
    text: str,
    *,
    status: int = 200,
    form_action: str | None = None,
    button: str = "Xác nhận hủy nhận thông báo",
) -> web.Response:
    button = (
        (
            f'<form method="post" action="{html.escape(form_action)}">'
            f'<button type="submit">{html.escape(button)}</button></form>'
        )
        if form_action
        else ""
    )
    page = (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title></head>'
        f'<body style="font-family:sans-serif;font-size:1.2rem;max-width:40rem;margin:2rem auto">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{button}</body></html>"
    )
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


@routes.get("/unsubscribe/{token}")
async def unsubscribe_page(request: web.Request) -> web.Response:
    # GET only asks: mail scanners follow links, and must not unsubscribe anyone.
    if request.app[LINKS].read_unsubscribe(request.match_info["token"]) is None:
        return _page("Liên kết không hợp lệ", "Liên kết hủy nhận thông báo không đúng hoặc đã bị thay đổi.", status=404)
    return _page(
        "Hủy nhận thông báo qua email",
        "Ông/Bà sẽ không nhận thông báo về hồ sơ qua email này nữa.",
        form_action=request.path,
    )


@routes.post("/unsubscribe/{token}")
async def unsubscribe(request: web.Request) -> web.Response:
    """The page's button, and RFC 8058 one-click from the mail client."""
    found = request.app[LINKS].read_unsubscribe(request.match_info["token"])
    store: CitizenStore = request.app[STORE]
    if found is None or await store.get_citizen(found[0]) is None:
        return _page("Liên kết không hợp lệ", "Liên kết hủy nhận thông báo không đúng hoặc đã bị thay đổi.", status=404)
    citizen_id, channel = found
    await store.add_consent(
        citizen_id,
        ConsentRecord(channel=channel, granted=False, at=utcnow(), via="unsubscribe_link", legal_basis="withdrawal"),
    )
    return _page(
        "Đã hủy nhận thông báo",
        "Ông/Bà đã hủy nhận thông báo qua email. Ông/Bà có thể đăng ký lại tại bộ phận một cửa.",
    )


def check_template(templates, name: str, context: dict) -> None:
    """Render every kind now, so that a missing variable is an error here and
    not a blank in thousands of citizens' messages."""
    sample = {
        **context,
        "citizen_name": "Nguyễn Văn A",
        "unsubscribe_url": "https://example.invalid/u",
        "org": {"name": "", "hotline": "", "website": ""},
    }
    try:
        templates.meta(name)
        for kind in KINDS:
            templates.render(name, kind, sample)
    except Exception as exc:
        raise ApiError(422, f"Mẫu thông báo '{name}' không dùng được: {exc}", field="template") from None


@routes.post("/api/v1/broadcasts")
async def create_broadcast(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    body = await b.json_object(request)
    template = cast(str, b.text(body, "template", max_len=100))  # required or defaulted: b.text gives a str
    context = body.get("context", {})
    recipients = body.get("recipients")
    if not isinstance(context, dict):
        raise ApiError(422, "'context' phải là đối tượng JSON.", field="context")
    if not isinstance(recipients, list) or not recipients or not all(isinstance(r, dict) for r in recipients):
        raise ApiError(
            422,
            f"'recipients' phải là danh sách không rỗng các đối tượng {{{' | '.join(broadcasts.CONTACT_FIELDS)}}}.",
            field="recipients",
        )
    urgent = body.get("urgent", False)
    if not isinstance(urgent, bool):
        raise ApiError(422, "'urgent' phải là true hoặc false.", field="urgent")
    check_template(request.app[TEMPLATES], template, context)
    store: broadcasts.BroadcastLoading = request.app[STORE]
    raw = orjson.dumps(recipients, option=orjson.OPT_SORT_KEYS)
    created = await store.create_broadcast(
        Broadcast(
            id=broadcasts.broadcast_id(template, context, raw),
            template=template,
            context=context,
            source="api",
            total=0,
            state="loading",
            created_at="",
        )
    )
    if created.state == "cancelled":
        raise ApiError(409, "Thông báo này đã bị hủy trước đó.", id=created.id)
    added, skipped = await broadcasts.load(store, created, recipients, urgent=urgent)
    loaded = await store.get_broadcast(created.id)
    if loaded is None:  # created above; broadcasts are not deleted
        raise ApiError(404, "Không tìm thấy thông báo hàng loạt này.")
    return reply({**broadcasts.view(loaded), "skipped": skipped}, status=202)


@routes.get("/api/v1/broadcasts/{broadcast_id}")
async def get_broadcast(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    found = await request.app[STORE].get_broadcast(request.match_info["broadcast_id"])
    if found is None:
        raise ApiError(404, "Không tìm thấy thông báo hàng loạt này.")
    return reply(broadcasts.view(found))


@routes.post("/api/v1/broadcasts/{broadcast_id}/cancel")
async def cancel_broadcast(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    store: BroadcastStore = request.app[STORE]
    broadcast_id = request.match_info["broadcast_id"]
    if await store.get_broadcast(broadcast_id) is None:
        raise ApiError(404, "Không tìm thấy thông báo hàng loạt này.")
    stopped = await store.cancel_broadcast(broadcast_id)
    found = await store.get_broadcast(broadcast_id)
    if found is None:  # checked above; broadcasts are not deleted
        raise ApiError(404, "Không tìm thấy thông báo hàng loạt này.")
    return reply({**broadcasts.view(found), "cancelled_now": stopped})
