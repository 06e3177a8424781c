"""Dossier tracking: the one-stop-shop pushes dossiers and status changes in;
kiosk, phone and chat read the masked public view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from aiohttp import web

from hub.api import body as b
from hub.api.errors import ApiError, after_minutes, too_many
from hub.api.replies import reply
from hub.keys import API_KEYS, CLOCK, LOOKUP_GUARD, METRICS, SETTINGS, STORE
from hub.lookup import http_asker, spellings, verified_lookup, verify_digits
from hub.store.port import ApplicantData, DossierData, DossierStore, StatusChange
from hub.tracking import dossier_view
from models.citizen import CONSENT_CLOCK_SKEW, FUTURE_CONSENT, Channel, ConsentRecord
from models.dossier import TRANSITIONS, parse_status
from models.email_address import normalize_email
from models.errors import Conflict
from models.phone import normalize_phone
from models.timeutil import to_iso, utcnow

routes = web.RouteTableDef()

NOT_FOUND = "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. Vui lòng kiểm tra lại."


T = TypeVar("T")


def _given(value: T | None, what: str) -> T:
    """A value the outcome promises (an 'illegal' result has a current status,
    an accepted one its entry, a limited lookup its wait): a missing one is a bug."""
    if value is None:
        raise RuntimeError(f"{what} missing from the outcome")
    return value


def _applicant(body: dict) -> ApplicantData:
    raw = body.get("applicant")
    if not isinstance(raw, dict):
        raise ApiError(422, "Thiếu thông tin người nộp hồ sơ 'applicant' (đối tượng JSON).", field="applicant")
    p = "applicant."
    phone = b.text(raw, "phone", required=False, max_len=30, prefix=p)
    email = b.text(raw, "email", required=False, max_len=254, prefix=p)
    id_number = b.text(raw, "id_number", required=False, max_len=12, prefix=p)
    if id_number and not (id_number.isascii() and id_number.isdigit() and len(id_number) in (9, 12)):
        raise ApiError(422, "Số CCCD/CMND phải gồm 12 (hoặc 9) chữ số.", field="applicant.id_number")
    chat_id = raw.get("telegram_chat_id")
    if chat_id is not None and (
        not isinstance(chat_id, int) or isinstance(chat_id, bool) or not -(2**63) <= chat_id < 2**63
    ):
        raise ApiError(422, "telegram_chat_id phải là số nguyên.", field="applicant.telegram_chat_id")
    channels = raw.get("preferred_channels", [])
    if not isinstance(channels, list):
        raise ApiError(422, "preferred_channels phải là danh sách kênh.", field="applicant.preferred_channels")
    return ApplicantData(
        full_name=b.text(raw, "full_name", max_len=200, prefix=p),
        phone=b.parsed("applicant.phone", normalize_phone, phone) if phone else None,
        email=b.parsed("applicant.email", normalize_email, email) if email else None,
        id_number=id_number,
        telegram_chat_id=chat_id,
        preferred_channels=tuple(b.parsed("applicant.preferred_channels", Channel, c).value for c in channels),
        consents=_consents(raw.get("consents", [])),
    )


def _consents(raw) -> tuple[ConsentRecord, ...]:
    field = "applicant.consents"
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ApiError(422, "consents phải là danh sách đối tượng {channel, granted, ...}.", field=field)
    records = []
    now = utcnow()
    for item in raw:
        if not isinstance(item.get("granted"), bool):
            raise ApiError(422, "Mỗi consent cần 'granted' là true hoặc false.", field=field + ".granted")
        at = b.moment(item, "at", required=False, prefix=field + ".") or now
        if at > now + CONSENT_CLOCK_SKEW:
            raise ApiError(422, FUTURE_CONSENT, field=field + ".at")
        records.append(
            ConsentRecord(
                channel=b.parsed(field + ".channel", Channel, item.get("channel")),
                granted=item["granted"],
                at=at,
                via=b.text(item, "via", required=False, max_len=100, default="one_stop_shop"),
                legal_basis=b.text(item, "legal_basis", required=False, max_len=200, default="consent"),
            )
        )
    return tuple(records)


def _notify(request: web.Request, body: dict, at: datetime) -> bool:
    """Whether the event is news to the citizen. A migration says `notify:
    false`; otherwise an event older than the age limit when it arrives is
    history (a dossier returned in August, loaded in November): both are
    recorded in the timeline, neither sends a notice."""
    given = body.get("notify", True)
    if not isinstance(given, bool):
        raise ApiError(422, "'notify' phải là true (gửi thông báo) hoặc false (chỉ ghi nhận).", field="notify")
    hours = request.app[SETTINGS].notify_max_event_age_hours
    now = datetime.fromtimestamp(request.app[CLOCK](), UTC)  # the service's: tests move it
    return given and (hours <= 0 or now - at <= timedelta(hours=hours))


@routes.put("/api/v1/dossiers/{code}")
async def put_dossier(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    code = b.dossier_code(request)
    body = await b.json_object(request)
    status = body.get("status")
    received_at = b.moment(body, "received_at")
    data = DossierData(
        code=code,
        procedure=b.text(body, "procedure", max_len=500),
        agency=b.text(body, "agency", max_len=500),
        received_at=received_at,
        due_at=b.moment(body, "due_at", required=False),
        applicant=_applicant(body),
        status=b.parsed("status", parse_status, status) if status is not None else None,
        notify=_notify(request, body, received_at),
    )
    store: DossierStore = request.app[STORE]
    try:
        result = await store.upsert_dossier(data)
    except Conflict as exc:
        raise ApiError(409, str(exc)) from None
    view = dossier_view(result.dossier, utcnow())
    # Only a new dossier is announced; an update of its fields never is.
    view["notified"] = result.created and data.notify
    return reply(view, status=201 if result.created else 200)


def _result(raw) -> dict | None:
    """How the result is handed over; the citizen's notice says where to go."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError(
            422, "'result' phải là đối tượng {method, place, hours, tracking_code, address}.", field="result"
        )
    method = raw.get("method", "counter")
    if method not in ("counter", "post"):
        raise ApiError(422, "result.method là 'counter' (nhận tại quầy) hoặc 'post' (bưu điện).", field="result.method")
    found = {"method": method}
    for name in ("place", "hours", "tracking_code", "address"):
        value = b.text(raw, name, required=False, max_len=500, prefix="result.")
        if value:
            found[name] = value
    return found


@routes.post("/api/v1/dossiers/{code}/events")
async def post_event(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    code = b.dossier_code(request)
    body = await b.json_object(request)
    if "status" not in body:
        raise ApiError(422, "Thiếu trường bắt buộc 'status'.", field="status")
    at = b.moment(body, "at")
    change = StatusChange(
        code=code,
        event_id=b.text(body, "event_id", max_len=200),
        status=b.parsed("status", parse_status, body["status"]),
        at=at,
        actor=b.text(body, "actor", max_len=200),
        note=b.text(body, "note", required=False, max_len=4000, default=""),
        due_at=b.moment(body, "due_at", required=False),
        result=_result(body.get("result")),
        notify=_notify(request, body, at),
    )
    result = await request.app[STORE].record_status_change(change)
    request.app[METRICS].status_changes.labels(result.outcome).inc()
    if result.outcome == "not_found":
        raise ApiError(404, f"Không có hồ sơ mã '{code}'; hãy tạo bằng PUT /api/v1/dossiers/{code} trước.")
    if result.outcome == "illegal":
        current = _given(result.current_status, "current_status")
        allowed = sorted(s.value for s in TRANSITIONS[current])
        why = (
            "hồ sơ đã ở trạng thái cuối, không chuyển tiếp được."
            if not allowed
            else "các trạng thái tiếp theo hợp lệ: " + ", ".join(allowed) + "."
        )
        raise ApiError(
            409,
            f"Không thể chuyển hồ sơ từ '{current.value}' "
            f"({current.label}) sang '{change.status.value}' "
            f"({change.status.label}): {why}",
            current_status=current.value,
            requested_status=change.status.value,
            allowed_next=allowed,
        )
    if result.outcome == "event_id_reused":
        raise ApiError(
            409,
            f"event_id '{change.event_id}' đã được dùng cho một thay đổi khác "
            f"({_given(result.current_status, 'current_status').value}); mỗi thay đổi cần event_id riêng.",
            field="event_id",
        )
    entry = _given(result.entry, "entry")
    response = {
        "event_id": entry.event_id,
        "code": code,
        "previous_status": _given(result.previous_status, "previous_status").value,
        "status": entry.status.value,
        "status_label": entry.status.label,
        "at": to_iso(entry.at),
        "recorded_at": to_iso(_given(result.recorded_at, "recorded_at")),
        # As first recorded: a replay answers what the first request decided.
        "notified": result.notified,
    }
    headers = {"Idempotent-Replayed": "true"} if result.outcome == "duplicate" else None
    return reply(response, status=201, headers=headers)


@routes.get("/api/v1/dossiers/{code}")
async def get_dossier(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    verify = request.query.get("verify", "").strip()
    if not spellings(code):  # a code's format is no secret: a malformed one is 422, whoever asks
        raise ApiError(422, "Mã hồ sơ chỉ gồm chữ, chữ số 0-9 và các dấu . - _ (tối đa 100 ký tự).", field="code")
    if verify_digits(verify) is None:  # Arabic-Indic or other non-ASCII digits too: 422, before the guard
        raise ApiError(
            422, "Cần 4 số cuối điện thoại của người nộp hồ sơ, bằng chữ số 0-9 (?verify=NNNN).", field="verify"
        )
    outcome = await verified_lookup(
        request.app[STORE],
        request.app[LOOKUP_GUARD],
        code,
        verify,
        key=http_asker(request),
    )
    if outcome.status == "limited":
        wait = _given(outcome.retry_after, "retry_after")
        raise too_many(f"Bạn đã tra cứu sai quá nhiều lần. {after_minutes(wait)}", wait)
    if not outcome.ok:
        raise ApiError(404, NOT_FOUND)
    found = _given(outcome.found, "found")
    return reply(dossier_view(found.dossier, utcnow(), applicant_name=found.applicant_name))
