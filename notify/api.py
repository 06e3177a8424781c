"""HTTP: notifications and their attempts, the consent ledger, unsubscribe
links and broadcasts. Following a dossier is notify/follow.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import cast

import orjson
from aiohttp import web

from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.replies import reply
from hub.keys import API_KEYS, STORE
from hub.store.port import Broadcast, BroadcastStore, CitizenStore
from models.citizen import CONSENT_CLOCK_SKEW, FUTURE_CONSENT, Channel, Citizen, ConsentRecord
from models.notifications import REASONS, Notification
from models.timeutil import to_iso, utcnow
from notify import broadcasts
from notify.keys import CLOCK, LINKS, TEMPLATES
from notify.pages import page
from notify.rendering import KINDS

routes = web.RouteTableDef()
log = logging.getLogger(__name__)


def moment(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


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
        "legal_basis": n.legal_basis,
        # Why it is not (yet) sent, and when the engine looks at it next.
        "reason": n.reason,
        "reason_label": REASONS.get(n.reason) if n.reason else None,
        "next_at": moment(n.next_at),
        "superseded_by": n.superseded_by,
        "event_at": n.event_at,
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
                # What was sent: null before issue 11, or once past its retention.
                "address": a.address,
                "subject": a.subject,
                "text": a.text,
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


@routes.post("/api/v1/notifications/{notification_id}/resend")
async def resend_notification(request: web.Request) -> web.Response:
    """An operator's explicit resend: routed again from the start with today's
    consents, due now. A delivered one too: the operator asks for it again."""
    await request.app[API_KEYS].authenticate(request)
    store = request.app[STORE]
    notification_id = request.match_info["notification_id"]
    if not await store.get_notifications([notification_id]):
        raise ApiError(404, "Không tìm thấy thông báo với mã này.")
    found = await store.resend_notification(notification_id, request.app[CLOCK]())
    if found is None:
        raise ApiError(409, "Thông báo đang được gửi tới nhà cung cấp; thử lại sau ít phút.")
    log.info("notification resent by operator", extra={"notification": notification_id})
    return reply(notification_view(found))


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


@routes.get("/unsubscribe/{token}")
async def unsubscribe_page(request: web.Request) -> web.Response:
    # GET only asks: mail scanners follow links, and must not unsubscribe anyone.
    if request.app[LINKS].read_unsubscribe(request.match_info["token"]) is None:
        return page("Liên kết không hợp lệ", "Liên kết hủy nhận thông báo không đúng hoặc đã bị thay đổi.", status=404)
    return page(
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
        return page("Liên kết không hợp lệ", "Liên kết hủy nhận thông báo không đúng hoặc đã bị thay đổi.", status=404)
    citizen_id, channel = found
    await store.add_consent(
        citizen_id,
        ConsentRecord(channel=channel, granted=False, at=utcnow(), via="unsubscribe_link", legal_basis="withdrawal"),
    )
    return page(
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
    added, skipped = await broadcasts.load(store, created, recipients, urgent=urgent, clock=request.app[CLOCK])
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
