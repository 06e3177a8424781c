"""HTTP: following a dossier for an address. The code and four digits only
let someone ask; the owner of the address confirms (a one-time code by SMS or
a call, a signed link by email) before anything but that request is sent
there. A withdrawn consent is never given back by a follow, a Telegram chat
follows only from itself (THEODOI to the bot), and a dossier's followers and
pending requests are capped (TONGDAI_MAX_FOLLOWERS)."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from aiohttp import web

from channels.registry import REGISTRY, ChannelSpec, followable
from hub.api import body as b
from hub.api.errors import ApiError, after_minutes, too_many
from hub.api.replies import reply
from hub.keys import LOOKUP_GUARD, SETTINGS, STORE
from hub.lookup import ascii_digits, http_asker, verified_lookup, verify_digits
from hub.store.port import CitizenStore
from models.citizen import Channel, ConsentRecord
from models.events import new_id
from models.notifications import FOLLOW_CONFIRMATION, Notification
from models.timeutil import utcnow
from notify.keys import LINKS
from notify.links import CODE_DIGITS
from notify.pages import page

routes = web.RouteTableDef()

# How long the owner of an address has to confirm a follow: a code is short
# (six digits, few guesses allowed), a link in a mailbox may wait a while.
CONFIRM_WITHIN = {"code": timedelta(minutes=15), "link": timedelta(hours=1)}


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
    return too_many(f"Bạn đã nhập sai quá nhiều lần. {after_minutes(wait)}", wait)


def _withdrawn(spec: ChannelSpec) -> ApiError:
    return ApiError(
        409,
        f"Địa chỉ này đã từ chối nhận thông báo qua {spec.label}; theo dõi hồ sơ không thay chủ địa chỉ đồng ý lại "
        f"được. Để nhận lại, chính chủ cần nhắn THEODOI <mã hồ sơ> <4 số cuối điện thoại> từ chính địa chỉ đó, "
        f"hoặc đăng ký lại tại bộ phận một cửa.",
    )


def confirmation_notice(request_id: str, citizen_id: str, *, channel: Channel, code: str, minutes: int) -> Notification:
    """The message asking the owner of the address to confirm (a code or a link)."""
    return Notification(
        id=new_id(),
        citizen_id=citizen_id,
        purpose=FOLLOW_CONFIRMATION,
        source_event_id=f"follow:{request_id}",
        template=FOLLOW_CONFIRMATION,
        context={"follow_request": request_id, "channel": channel.value, "dossier_code": code, "minutes": minutes},
        dossier_code=code,
        urgent=True,  # someone waits for it now: quiet hours would outlast the code
        next_at=0.0,  # due at once, whatever clock the sender keeps
    )


@routes.post("/api/v1/dossiers/{code}/followers")
async def follow(request: web.Request) -> web.Response:
    """A citizen (or anyone the applicant gave the code and digits to) asks for
    an address to be told when the dossier moves. Nothing is sent there but a
    request to confirm, until its owner confirms."""
    code = b.dossier_code(request)
    body = await b.json_object(request)
    verify = cast(str, b.text(body, "verify", max_len=4))  # required or defaulted: b.text gives a str
    if verify_digits(verify) is None:  # non-ASCII digits too
        raise ApiError(422, "Cần 4 số cuối điện thoại của người nộp hồ sơ, bằng chữ số 0-9.", field="verify")
    spec = _follow_channel(body)
    address = _follow_address(body, spec)
    store = request.app[STORE]
    outcome = await verified_lookup(store, request.app[LOOKUP_GUARD], code, verify, key=http_asker(request))
    if outcome.status == "limited":
        raise _limited(outcome.retry_after)
    if not outcome.ok or outcome.found is None:
        raise ApiError(404, "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. Vui lòng kiểm tra lại.")
    code = outcome.found.dossier.code  # as stored, however the citizen typed it
    kind = spec.follow_confirmation or ""  # _follow_channel refused channels without one
    window = CONFIRM_WITHIN[kind]
    minutes = int(window.total_seconds() // 60)
    limit = request.app[SETTINGS].max_followers

    def confirmation(request_id: str, citizen_id: str) -> Notification:
        return confirmation_notice(request_id, citizen_id, channel=spec.channel, code=code, minutes=minutes)

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
    message = (
        f"Đã gửi mã xác nhận gồm {CODE_DIGITS} chữ số qua {spec.label}. Vui lòng nhập mã trong vòng {minutes} phút "
        f"để bắt đầu nhận thông báo về hồ sơ {code}."
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
    otp = ascii_digits(b.text(body, "otp", max_len=12), CODE_DIGITS)
    if otp is None:
        raise ApiError(422, f"Cần mã xác nhận gồm {CODE_DIGITS} chữ số đã gửi tới Ông/Bà.", field="otp")
    guard = request.app[LOOKUP_GUARD]
    asker = http_asker(request)
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


async def confirmed(store: CitizenStore, request_id: str, spec: ChannelSpec) -> web.Response:
    """The JSON answer to a confirmed code, for another asker of the same flow (the kiosk)."""
    return await _confirmed(store, request_id, spec, as_page=False)


async def _confirmed(store: CitizenStore, request_id: str, spec: ChannelSpec, *, as_page: bool) -> web.Response:
    consent = ConsentRecord(
        channel=spec.channel, granted=True, at=utcnow(), via="follow_confirmed", legal_basis="consent"
    )
    result = await store.confirm_follow(request_id, consent)
    if result.outcome == "withdrawn":
        error = _withdrawn(spec)
        if as_page:
            return page("Không xác nhận được", error.message or "", status=409)
        raise error
    if result.outcome != "following" or result.request is None:
        if as_page:
            return page(
                "Liên kết đã hết hạn", "Liên kết xác nhận đã hết hạn. Vui lòng đề nghị theo dõi lại.", status=404
            )
        raise ApiError(404, "Yêu cầu theo dõi đã hết hạn. Vui lòng đề nghị theo dõi lại.")
    code = result.request.code
    text = f"Ông/Bà sẽ nhận thông báo qua {spec.label} khi hồ sơ {code} thay đổi trạng thái."
    if as_page:
        return page("Đã xác nhận theo dõi hồ sơ", text)
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
        return page("Liên kết không hợp lệ", "Liên kết xác nhận không đúng hoặc đã bị thay đổi.", status=404)
    return page(
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
        return page("Liên kết không hợp lệ", "Liên kết xác nhận không đúng hoặc đã bị thay đổi.", status=404)
    return await _confirmed(store, found.id, REGISTRY[found.channel], as_page=True)
