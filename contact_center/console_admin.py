"""The console's supporting endpoints: canned responses, presence, the
agents list (for transfers and @mentions), merging two citizen records
that are one person (supervisors; audited, reversible), the SMS preview
while typing, and the live websocket."""

from __future__ import annotations

from aiohttp import web

from contact_center import canned as canned_responses
from contact_center.agents import digest
from contact_center.audit import audit
from contact_center.console_api import CONSOLE, Signed, require
from contact_center.console_queue import DESK, TEXT_MAX, can_see, is_supervisor, mask
from contact_center.sessions import Sessions
from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.replies import reply
from hub.store.port import CannedResponse, CitizenMerge
from models.errors import Conflict

routes = web.RouteTableDef()

PRESENCE = ("online", "away", "offline")
NO_CANNED = "Không có câu trả lời mẫu này."


@routes.get("/console/api/canned")
@require("agent")
async def canned_list(request: web.Request, signed: Signed) -> web.Response:
    """The agent's team's canned responses and everyone's; a supervisor sees every team's."""
    desk = request.app[DESK]
    query = b.text(dict(request.query), "q", required=False, max_len=100)
    found = await desk.store.list_canned(
        query=query.lstrip("/") if query else None, team=signed.agent.team, every_team=is_supervisor(signed.agent)
    )
    return reply({"items": [_canned_json(c) for c in found]})


def _canned_json(canned: CannedResponse) -> dict:
    return {
        "id": canned.id,
        "shortcut": canned.shortcut,
        "title": canned.title,
        "body": canned.body,
        "team": canned.team,
    }


@routes.post("/console/api/canned")
@require("supervisor")
async def canned_create(request: web.Request, signed: Signed) -> web.Response:
    body = await b.json_object(request)
    desk = request.app[DESK]
    fields = {name: b.text(body, name, max_len=4000) for name in ("shortcut", "title", "body")}
    team = b.text(body, "team", required=False, max_len=100)
    try:
        canned = await canned_responses.create(
            desk.store, **fields, team=team, agent_id=signed.agent.id, clock=desk.clock
        )
    except canned_responses.CannedInvalid as exc:
        raise ApiError(422, str(exc), field=exc.field) from None
    except Conflict:
        raise ApiError(409, "Đã có câu trả lời mẫu với lối tắt này.", field="shortcut") from None
    await audit(desk.store, signed.agent.id, "canned.create", "canned", canned.id, canned.shortcut, clock=desk.clock)
    return reply(_canned_json(canned), status=201)


@routes.delete("/console/api/canned/{canned_id}")
@require("supervisor")
async def canned_delete(request: web.Request, signed: Signed) -> web.Response:
    desk = request.app[DESK]
    canned_id = request.match_info["canned_id"]
    if len(canned_id) > 100 or not await desk.store.delete_canned(canned_id):
        raise ApiError(404, NO_CANNED)
    await audit(desk.store, signed.agent.id, "canned.delete", "canned", canned_id, clock=desk.clock)
    return reply({"id": canned_id, "deleted": True})


@routes.post("/console/api/canned/{canned_id}/render")
@require("agent")
async def canned_render(request: web.Request, signed: Signed) -> web.Response:
    """The body with the conversation's citizen and dossier filled in (a view
    of their data, audited); an unknown variable stays visible as written."""
    desk = request.app[DESK]
    canned_id = request.match_info["canned_id"]
    canned = await desk.store.get_canned(canned_id) if len(canned_id) <= 100 else None
    if canned is None or not (is_supervisor(signed.agent) or canned.team in (None, signed.agent.team)):
        raise ApiError(404, NO_CANNED)
    body = await b.json_object(request)
    cid = b.text(body, "conversation_id", max_len=100)
    item = await desk.store.queue_item(cid, mask)
    if item is None:
        raise ApiError(422, "Không có cuộc hội thoại này.", field="conversation_id")
    if not await can_see(desk.store, signed.agent, item):
        raise ApiError(403, "Cuộc hội thoại này đang do cán bộ khác phụ trách; Ông/Bà không xem được.")
    text = await canned_responses.render(desk.store, canned, cid, signed.agent.name)
    await audit(
        desk.store, signed.agent.id, "view", "conversation", cid, f"canned /{canned.shortcut}", clock=desk.clock
    )
    unfilled = canned_responses.unfilled(text)
    return reply({"id": canned.id, "shortcut": canned.shortcut, "text": text, "unfilled": unfilled})


@routes.post("/console/api/presence")
@require("agent")
async def presence(request: web.Request, signed: Signed) -> web.Response:
    """Online, away or offline; coming online takes the team's waiting conversations (room permitting)."""
    desk = request.app[DESK]
    body = await b.json_object(request)
    value = b.text(body, "presence", max_len=20)
    if value not in PRESENCE:
        raise ApiError(422, f"'presence' phải là một trong: {', '.join(PRESENCE)}.", field="presence")
    await desk.store.set_presence(signed.agent.id, value, desk.now())
    desk.live.wake()
    if value == "online" and desk.assignment is not None:
        await desk.assignment.agent_online(signed.agent.id)
        desk.live.wake()
    return reply({"agent_id": signed.agent.id, "presence": value})


@routes.get("/console/api/agents")
@require("agent")
async def agents(request: web.Request, signed: Signed) -> web.Response:
    """Names, teams, presence and workload (for transfer and @mention); a
    supervisor also gets emails, roles and disabled accounts. Never a password hash."""
    desk = request.app[DESK]
    load = {w["agent_id"]: w for w in await desk.store.agent_workload()}
    rows = []
    for agent in await desk.store.list_agents():
        work = load.get(agent.id, {})
        row = {
            "id": agent.id,
            "name": agent.name,
            "team": agent.team,
            "presence": work.get("presence", "offline"),
            "capacity": work.get("capacity"),
            "open": work.get("open", 0),
        }
        if is_supervisor(signed.agent):
            row |= {
                "email": agent.email,
                "role": agent.role,
                "disabled": agent.disabled,
                "created_at": agent.created_at.isoformat(),
            }
        elif agent.disabled:
            continue
        rows.append(row)
    return reply({"agents": rows})


def _merge_json(merge: CitizenMerge) -> dict:
    return {
        "id": merge.id,
        "kept_id": merge.kept_id,
        "merged_id": merge.merged_id,
        "agent_id": merge.agent_id,
        "at": merge.at.isoformat(),
        "reason": merge.reason,
        "undone_at": merge.undone_at.isoformat() if merge.undone_at else None,
    }


async def _merging(request: web.Request, call) -> CitizenMerge:
    desk = request.app[DESK]
    if desk.merges is None:
        raise ApiError(409, "Chức năng gộp công dân chưa được bật trên máy chủ này.")
    try:
        done = await call(desk.merges)
    except LookupError as exc:  # MergeUnknown
        raise ApiError(404, str(exc)) from None
    except ValueError as exc:  # MergeRefused
        raise ApiError(422, str(exc), field="merge") from None
    desk.live.wake()
    return done


@routes.post("/console/api/citizens/merge")
@require("supervisor")
async def merge(request: web.Request, signed: Signed) -> web.Response:
    """Two citizen records found to be one person: `merge` into `keep`
    (reversible; contact_center/merges.py writes the audit rows)."""
    body = await b.json_object(request)
    keep = b.text(body, "keep", max_len=100)
    merged = b.text(body, "merge", max_len=100)
    reason = b.text(body, "reason", max_len=500)
    done = await _merging(request, lambda merges: merges.merge(keep, merged, signed.agent.id, reason))
    return reply(_merge_json(done), status=201)


@routes.post("/console/api/citizens/merges/{merge_id}/undo")
@require("supervisor")
async def undo_merge(request: web.Request, signed: Signed) -> web.Response:
    """Put back what a merge moved; body {"reason"}."""
    merge_id = request.match_info["merge_id"]
    if len(merge_id) > 100:
        raise ApiError(404, "Không tìm thấy lần gộp này.")
    body = await b.json_object(request)
    reason = b.text(body, "reason", max_len=500)
    done = await _merging(request, lambda merges: merges.undo(merge_id, signed.agent.id, reason))
    return reply(_merge_json(done))


@routes.get("/console/api/sms-preview")
@require("agent")
async def sms_preview(request: web.Request, signed: Signed) -> web.Response:
    """Encoding and segment count of a reply being typed (SMS)."""
    text = request.query.get("text", "")
    if len(text) > TEXT_MAX:
        raise ApiError(422, f"'text' dài quá {TEXT_MAX} ký tự.", field="text")
    return reply(request.app[DESK].sms_preview(text))


@routes.get("/console/api/live")
@require("agent")
async def live(request: web.Request, signed: Signed) -> web.StreamResponse:
    """The websocket of live rows: ?since=SEQ resumes after the last one seen."""
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise ApiError(400, "Địa chỉ này chỉ dùng cho kết nối websocket.")
    sessions = request.app[CONSOLE].sessions

    async def still_signed() -> bool:
        return await session_live(sessions, signed.session)

    return await request.app[DESK].live.serve(request, signed.agent, still_signed)


async def session_live(sessions: Sessions, token: str) -> bool:
    """Whether the session is still live, without counting the check as the
    agent's activity (an open console tab is not someone at the desk)."""
    session = await sessions.store.get_session(digest(token))
    now = sessions.now()
    if session is None or session.revoked:
        return False
    if now - session.last_seen > sessions.idle or now - session.created_at > sessions.absolute:
        return False
    agent = await sessions.store.get_agent(session.agent_id)
    return agent is not None and not agent.disabled
