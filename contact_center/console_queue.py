"""The console's queue and conversations over HTTP: the views, one
conversation with its citizen, and what an agent does with it (claim,
transfer, reply, note, status, hand back, labels, priority).

Every check is the server's: the session and role (`require`), then the
visibility rule (docs/CONSOLE.md): a supervisor sees everything; an
agent sees what is assigned to them, what is unassigned in their team (or in
no team), and what a note mentions them in. Opening a conversation or its
citizen is a view of personal data and leaves an audit row; so does every
action. After each write the live hub is woken, so that consoles see it now
rather than at its next safety-net read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

from channels.registry import REGISTRY
from contact_center.audit import audit
from contact_center.citizen_view import citizen_view
from contact_center.console_api import Signed, require
from contact_center.live import LiveHub
from contact_center.mentions import find_mentions
from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.replies import reply
from hub.store.port import Agent, CitizenMerge, QueueItem, QueueQuery, Store
from models.citizen import Channel
from models.dossier_code import is_valid_code

routes = web.RouteTableDef()

STATUSES = ("open", "pending", "snoozed", "resolved")
VIEWS = ("mine", "unassigned", "team", "all")
SUPERVISORS = frozenset({"supervisor", "admin"})
TEXT_MAX = 4000
LABEL_MAX, LABELS_MAX = 40, 20
SNOOZE_MAX = timedelta(days=90)

NOT_FOUND = "Không có cuộc hội thoại này."
NOT_VISIBLE = "Cuộc hội thoại này đang do cán bộ khác phụ trách; Ông/Bà không xem được."
NOT_HANDLER = "Chỉ cán bộ đang phụ trách cuộc hội thoại (hoặc giám sát viên) mới làm được việc này."


class ReplySender(Protocol):
    async def send(self, conversation_id: str, agent: Agent, text: str) -> dict: ...


class Merger(Protocol):
    """contact_center/merges.py: MergeRefused (a ValueError) and MergeUnknown (a LookupError); audits itself."""

    async def merge(self, keep_id: str, merge_id: str, agent_id: str, reason: str) -> CitizenMerge: ...
    async def undo(self, merge_row_id: str, agent_id: str, reason: str) -> CitizenMerge: ...


class AgentOnline(Protocol):
    async def agent_online(self, agent_id: str) -> Any: ...


@dataclass
class Desk:
    """What the console's handlers work with, built by the composition root."""

    store: Store
    clock: Callable[[], float]
    live: LiveHub
    replies: ReplySender
    sms_preview: Callable[[str], dict]
    merges: Merger | None = None
    assignment: AgentOnline | None = None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


DESK = web.AppKey("console_desk", Desk)


def mask(channel: str, address: str) -> str:
    """The address as an agent sees it (the channel's own masking)."""
    try:
        return REGISTRY[Channel(channel)].mask(address)
    except (ValueError, KeyError):
        return "***"


def is_supervisor(agent: Agent) -> bool:
    return agent.role in SUPERVISORS


async def can_see(store: Store, agent: Agent, item: QueueItem) -> bool:
    if is_supervisor(agent) or item.assignee == agent.id:
        return True
    if item.assignee is None and item.team in (None, agent.team):
        return True
    return item.conversation_id in await store.mentioned_in(agent.id)


async def _item(desk: Desk, request: web.Request) -> QueueItem:
    cid = request.match_info["conversation_id"]
    item = await desk.store.queue_item(cid, mask) if 0 < len(cid) <= 100 else None
    if item is None:
        raise ApiError(404, NOT_FOUND)
    return item


async def visible(request: web.Request, signed: Signed) -> QueueItem:
    """The conversation of the path, if this agent may see it: 404 unknown, 403 someone else's."""
    desk = request.app[DESK]
    item = await _item(desk, request)
    if not await can_see(desk.store, signed.agent, item):
        raise ApiError(403, NOT_VISIBLE)
    return item


async def handled(request: web.Request, signed: Signed) -> QueueItem:
    """The conversation, if this agent handles it (its assignee) or supervises."""
    item = await visible(request, signed)
    if not (is_supervisor(signed.agent) or item.assignee == signed.agent.id):
        raise ApiError(403, NOT_HANDLER)
    return item


def reason_of(request: web.Request, cid: str) -> str:
    """Why personal data is being read: `?reason=`, or the conversation being handled."""
    given = b.text(dict(request.query), "reason", required=False, max_len=200)
    return given or f"handling conversation {cid}"


async def _act(request: web.Request, signed: Signed, action: str, cid: str, reason: str = "") -> None:
    desk = request.app[DESK]
    desk.live.wake()
    await audit(desk.store, signed.agent.id, action, "conversation", cid, reason, clock=desk.clock)


def _one_of(value: str | None, allowed: tuple[str, ...], field: str) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ApiError(422, f"'{field}' phải là một trong: {', '.join(allowed)}.", field=field)
    return value


def _priority(value: Any, field: str = "priority") -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
        raise ApiError(422, f"'{field}' phải là 0 (thường), 1 (cao) hoặc 2 (khẩn).", field=field)
    return value


def _query(request: web.Request, agent: Agent) -> QueueQuery:
    q = dict(request.query)
    view = _one_of(q.get("view"), VIEWS, "view") or "mine"
    if view == "all" and not is_supervisor(agent):
        raise ApiError(403, "Chỉ giám sát viên xem được toàn bộ hàng chờ.")
    raw_status = q.get("status", "open")
    status = None if raw_status in ("any", "") else _one_of(raw_status, STATUSES, "status")
    channel = q.get("channel") or None
    if channel is not None and channel not in {c.value for c in Channel}:
        raise ApiError(
            422,
            f"Kênh '{channel[:40]}' không có; dùng một trong {', '.join(c.value for c in Channel)}.",
            field="channel",
        )
    dossier = b.text(q, "dossier", required=False, max_len=100)
    if dossier is not None and not is_valid_code(dossier):
        raise ApiError(422, "Mã hồ sơ chỉ gồm chữ, số và các dấu . - _ (tối đa 100 ký tự).", field="dossier")
    try:
        limit = int(q.get("limit", "50"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 200:
        raise ApiError(422, "'limit' phải là số từ 1 đến 200.", field="limit")
    before = b.text(q, "before", required=False, max_len=200)
    if before is not None and "|" not in before:
        raise ApiError(422, "'before' phải là con trỏ 'next' của trang trước.", field="before")
    return QueueQuery(
        viewer=agent.id,
        viewer_team=agent.team,
        viewer_is_supervisor=is_supervisor(agent),
        view=view,
        status=status,
        channel=channel,
        priority=_priority(q["priority"]) if q.get("priority") else None,
        label=b.text(q, "label", required=False, max_len=LABEL_MAX),
        dossier=dossier.upper() if dossier else None,
        search=b.text(q, "q", required=False, max_len=100),
        limit=limit,
        before=before,
    )


@routes.get("/console/api/queue")
@require("agent")
async def queue(request: web.Request, signed: Signed) -> web.Response:
    """A page of the queue (search results are no view of personal data: opening one is)."""
    desk = request.app[DESK]
    query = _query(request, signed.agent)
    items = await desk.store.queue(query, mask)
    counts = await desk.store.queue_counts(query)
    more = len(items) == query.limit
    return reply({"items": items, "next": items[-1].cursor if more and items else None, "counts": counts})


@routes.get("/console/api/conversations/{conversation_id}")
@require("agent")
async def conversation(request: web.Request, signed: Signed) -> web.Response:
    item = await visible(request, signed)
    desk = request.app[DESK]
    reason = reason_of(request, item.conversation_id)
    messages = await desk.store.conversation_messages(item.conversation_id)
    await audit(desk.store, signed.agent.id, "view", "conversation", item.conversation_id, reason, clock=desk.clock)
    return reply({"item": item, "messages": messages, "escalation_reason": item.escalation_reason})


@routes.get("/console/api/conversations/{conversation_id}/citizen")
@require("agent")
async def citizen(request: web.Request, signed: Signed) -> web.Response:
    """The citizen panel: each record shown (the citizen, each dossier) is an audited view."""
    item = await visible(request, signed)
    desk = request.app[DESK]
    reason = reason_of(request, item.conversation_id)
    try:
        view = await citizen_view(desk.store, item.conversation_id, now=desk.now())
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    for shown in view.pop("viewed", ()):
        await audit(
            desk.store, signed.agent.id, "view", shown["object_type"], shown["object_id"], reason, clock=desk.clock
        )
    return reply(view)


@routes.post("/console/api/conversations/{conversation_id}/claim")
@require("agent")
async def claim(request: web.Request, signed: Signed) -> web.Response:
    item = await visible(request, signed)
    desk, me = request.app[DESK], signed.agent.id
    if item.assignee == me:
        return reply({"conversation_id": item.conversation_id, "assignee": me})
    won = await desk.store.assign(item.conversation_id, me, by=me, now=desk.now(), only_if_unassigned=True)
    if not won:
        raise ApiError(409, "Cán bộ khác vừa nhận cuộc hội thoại này.")
    await _act(request, signed, "claim", item.conversation_id)
    return reply({"conversation_id": item.conversation_id, "assignee": me})


@routes.post("/console/api/conversations/{conversation_id}/assign")
@require("agent")
async def assign(request: web.Request, signed: Signed) -> web.Response:
    """Transfer to an agent or a team, with a note the next one reads: an
    agent transfers what they hold, a supervisor anything."""
    item = await handled(request, signed)
    body = await b.json_object(request)
    desk = request.app[DESK]
    target = b.text(body, "agent_id", required=False, max_len=100)
    team = b.text(body, "team", required=False, max_len=100)
    note = b.text(body, "note", required=False, max_len=TEXT_MAX)
    if target is None and team is None:
        raise ApiError(422, "Hãy chọn cán bộ ('agent_id') hoặc nhóm ('team') để chuyển.", field="agent_id")
    if target is not None:
        agent = await desk.store.get_agent(target)
        if agent is None or agent.disabled or agent.id != target:
            raise ApiError(422, "Không có cán bộ này (hoặc tài khoản đã bị khóa).", field="agent_id")
        team = team or agent.team
    done = await desk.store.assign(
        item.conversation_id, target, by=signed.agent.id, now=desk.now(), note=note, team=team
    )
    if not done:
        raise ApiError(404, NOT_FOUND)
    await _act(request, signed, "assign", item.conversation_id, f"to {target or '-'} team {team or '-'}")
    return reply({"conversation_id": item.conversation_id, "assignee": target, "team": team})


@routes.post("/console/api/conversations/{conversation_id}/reply")
@require("agent")
async def answer(request: web.Request, signed: Signed) -> web.Response:
    """The reply goes out on the citizen's channel; 201 with the message and its delivery."""
    item = await handled(request, signed)
    body = await b.json_object(request)
    text = b.text(body, "text", max_len=TEXT_MAX)
    desk = request.app[DESK]
    try:
        message = await desk.replies.send(item.conversation_id, signed.agent, text)
    except ValueError as exc:
        raise ApiError(422, f"Không gửi được trả lời: {exc}", field="text") from None
    except LookupError:
        raise ApiError(404, NOT_FOUND) from None
    await _act(request, signed, "reply", item.conversation_id)
    return reply(message, status=201)


@routes.post("/console/api/conversations/{conversation_id}/notes")
@require("agent")
async def note(request: web.Request, signed: Signed) -> web.Response:
    """A private note; the agents it @mentions get a mention row (their alert)."""
    item = await visible(request, signed)
    body = await b.json_object(request)
    text = b.text(body, "text", max_len=TEXT_MAX)
    desk = request.app[DESK]
    mentioned = find_mentions(text, await desk.store.list_agents(), exclude=signed.agent.id)
    message = await desk.store.add_agent_message(
        item.conversation_id, author=signed.agent.id, kind="note", text=text, now=desk.now(), mentions=mentioned
    )
    await _act(request, signed, "note", item.conversation_id, ",".join(mentioned) and "mentions " + ",".join(mentioned))
    return reply({**message, "mentions": list(mentioned)}, status=201)


@routes.post("/console/api/conversations/{conversation_id}/status")
@require("agent")
async def status(request: web.Request, signed: Signed) -> web.Response:
    item = await handled(request, signed)
    body = await b.json_object(request)
    desk = request.app[DESK]
    value = b.text(body, "status", max_len=20)
    _one_of(value, STATUSES, "status")
    until = None
    if value == "snoozed":
        until = b.moment(body, "snooze_until")
        now = desk.now()
        if not now < until <= now + SNOOZE_MAX:
            raise ApiError(422, "'snooze_until' phải ở tương lai, trong vòng 90 ngày.", field="snooze_until")
    done = await desk.store.set_queue_status(
        item.conversation_id, value, by=signed.agent.id, now=desk.now(), snooze_until=until
    )
    if not done:
        raise ApiError(404, NOT_FOUND)
    await _act(request, signed, "status", item.conversation_id, value)
    return reply(
        {"conversation_id": item.conversation_id, "status": value, "snooze_until": until.isoformat() if until else None}
    )


@routes.post("/console/api/conversations/{conversation_id}/handback")
@require("agent")
async def handback(request: web.Request, signed: Signed) -> web.Response:
    """Back to the assistant: out of the queue, its escalation closed."""
    item = await handled(request, signed)
    desk = request.app[DESK]
    if not await desk.store.set_queue_status(item.conversation_id, None, by=signed.agent.id, now=desk.now()):
        raise ApiError(404, NOT_FOUND)
    await _act(request, signed, "handback", item.conversation_id)
    return reply({"conversation_id": item.conversation_id, "status": None})


@routes.post("/console/api/conversations/{conversation_id}/labels")
@require("agent")
async def labels(request: web.Request, signed: Signed) -> web.Response:
    item = await visible(request, signed)
    body = await b.json_object(request)
    given = body.get("labels")
    if not isinstance(given, list) or len(given) > LABELS_MAX:
        raise ApiError(422, f"'labels' phải là danh sách tối đa {LABELS_MAX} nhãn.", field="labels")
    cleaned: list[str] = []
    for i, value in enumerate(given):
        label = b.text({"label": value}, "label", max_len=LABEL_MAX, prefix=f"labels[{i}].")
        if label.lower() not in cleaned:
            cleaned.append(label.lower())
    desk = request.app[DESK]
    if not await desk.store.set_labels(item.conversation_id, tuple(cleaned), by=signed.agent.id, now=desk.now()):
        raise ApiError(404, NOT_FOUND)
    await _act(request, signed, "labels", item.conversation_id, ",".join(cleaned))
    return reply({"conversation_id": item.conversation_id, "labels": cleaned})


@routes.post("/console/api/conversations/{conversation_id}/priority")
@require("agent")
async def priority(request: web.Request, signed: Signed) -> web.Response:
    item = await visible(request, signed)
    body = await b.json_object(request)
    value = _priority(body.get("priority"))
    desk = request.app[DESK]
    if not await desk.store.set_priority(item.conversation_id, value, by=signed.agent.id, now=desk.now()):
        raise ApiError(404, NOT_FOUND)
    await _act(request, signed, "priority", item.conversation_id, str(value))
    return reply({"conversation_id": item.conversation_id, "priority": value})
