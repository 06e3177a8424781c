"""The console's queue over HTTP, as agents use it: views and filters, claim
(one winner), transfer with a note, reply through Replies, notes with
@mentions, status (pending, snoozed, resolved), hand back, labels and
priority, and the 404/422 answers for what cannot be done."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

from contact_center.console_queue import DESK
from hub.app import SERVICE
from hub.keys import STORE
from hub.store.port import InboundRecord
from models.citizen import Channel
from models.timeutil import VN_TZ
from tests.support.console import PASSWORD, token_of
from tests.support.served import served, settle

DAY = datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ)
TEAM = "Một cửa"
_ids = itertools.count(1)


async def agent_headers(client, email: str, role: str = "agent", team: str | None = TEAM, name: str | None = None):
    """(agent, headers) for a signed-in agent: the session cookie and its CSRF
    token in headers, so that several agents can act side by side."""
    agent, link = await client.app[SERVICE].agents.create(
        name or email.split("@")[0].capitalize(), email, role, team, "cli:test"
    )
    assert (await client.post(f"/console/set-password/{token_of(link)}", data={"password": PASSWORD})).status == 200
    client.session.cookie_jar.clear()
    signed = await client.post("/console/login", data={"email": email, "password": PASSWORD}, allow_redirects=False)
    assert signed.status == 303
    cookie = {"Cookie": f"tongdai_console={signed.cookies['tongdai_console'].value}"}
    client.session.cookie_jar.clear()
    me = await (await client.get("/console/api/me", headers=cookie)).json()
    return agent, {**cookie, "X-CSRF-Token": me["csrf_token"]}


async def queued(
    client,
    *,
    channel: Channel = Channel.TELEGRAM,
    address: str | None = None,
    text: str = "Tôi muốn gặp cán bộ",
    team: str | None = None,
    reason: str = "request_human",
) -> str:
    """A conversation escalated to a person: in the open queue, unassigned."""
    store = client.app[STORE]
    n = next(_ids)
    address = address or (f"70000{n:04d}" if channel is Channel.TELEGRAM else f"09130{n:05d}")
    result = await store.add_inbound(InboundRecord(channel, address, text, f"test-{n}"), lambda cid: [])
    assert await store.escalate(result.conversation_id, reason) is not None
    if team is not None:
        now = datetime.fromtimestamp(client.app[DESK].clock(), VN_TZ)
        assert await store.assign(result.conversation_id, None, by="test", now=now, team=team)
    return result.conversation_id


async def view(client, headers, **params) -> dict:
    response = await client.get("/console/api/queue", params=params, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


def ids(page: dict) -> set[str]:
    return {item["conversation_id"] for item in page["items"]}


async def post(client, headers, path: str, body: dict | None = None):
    return await client.post(path, json=body if body is not None else {}, headers=headers)


async def test_views_and_filters_show_each_agent_what_they_may_see(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn")
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        anyone = await queued(client)
        ours = await queued(client, channel=Channel.SMS, team=TEAM)
        theirs = await queued(client, team="Thuế")

        assert ids(await view(client, an, view="unassigned")) == {anyone, ours}
        assert ids(await view(client, an, view="mine")) == set()
        page = await view(client, an, view="unassigned", channel="sms")
        assert ids(page) == {ours}
        assert "*" in page["items"][0]["address_masked"]  # never the whole number
        assert set(page["counts"]) == {"mine", "unassigned", "team", "all"}
        assert ids(await view(client, sup, view="all")) == {anyone, ours, theirs}

        refused = await client.get("/console/api/queue", params={"view": "all"}, headers=an)
        assert refused.status == 403 and "giám sát" in (await refused.json())["message"]
        for params, field in (
            ({"channel": "fax"}, "channel"),
            ({"status": "done"}, "status"),
            ({"view": "everything"}, "view"),
            ({"priority": "9"}, "priority"),
            ({"limit": "0"}, "limit"),
            ({"dossier": "BD 1"}, "dossier"),
            ({"before": "x"}, "before"),
        ):
            bad = await client.get("/console/api/queue", params=params, headers=an)
            assert bad.status == 422, params
            assert (await bad.json())["field"] == field

        # A page at a time: `next` is the cursor of the next page.
        first = await view(client, sup, view="all", limit="2")
        assert len(first["items"]) == 2 and first["next"]
        rest = await view(client, sup, view="all", limit="2", before=first["next"])
        assert ids(first) | ids(rest) == {anyone, ours, theirs} and not ids(first) & ids(rest)


async def test_two_agents_claiming_at_once_one_wins_the_other_gets_409(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        an_agent, an = await agent_headers(client, "an@example.vn")
        binh_agent, binh = await agent_headers(client, "binh@example.vn")
        cid = await queued(client, team=TEAM)
        path = f"/console/api/conversations/{cid}/claim"
        first, second = await asyncio.gather(post(client, an, path), post(client, binh, path))
        assert sorted([first.status, second.status]) == [200, 409]
        loser = second if second.status == 409 else first
        assert "vừa nhận" in (await loser.json())["message"]
        winner = an_agent.id if first.status == 200 else binh_agent.id
        assert (await client.app[STORE].queue_item(cid, lambda c, a: a)).assignee == winner
        # Claiming what one already has is no conflict.
        again = await post(client, an if winner == an_agent.id else binh, path)
        assert again.status == 200
        claims = await client.app[STORE].audit_entries(object_type="conversation", object_id=cid)
        assert [(e.actor, e.action) for e in claims] == [(winner, "claim")]


async def test_transfer_with_a_note_moves_the_conversation_and_keeps_the_note(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn")
        binh, binh_h = await agent_headers(client, "binh@example.vn")
        _, chi = await agent_headers(client, "chi@example.vn")
        cid = await queued(client, team=TEAM)
        assert (await post(client, an, f"/console/api/conversations/{cid}/claim")).status == 200
        # Only the holder (or a supervisor) transfers.
        assert (
            await post(client, chi, f"/console/api/conversations/{cid}/assign", {"agent_id": binh.id})
        ).status == 403
        missing = await post(client, an, f"/console/api/conversations/{cid}/assign", {"agent_id": "ag_nobody"})
        assert missing.status == 422 and (await missing.json())["field"] == "agent_id"
        nothing = await post(client, an, f"/console/api/conversations/{cid}/assign", {})
        assert nothing.status == 422
        moved = await post(
            client,
            an,
            f"/console/api/conversations/{cid}/assign",
            {"agent_id": binh.id, "note": "Công dân hỏi về thuế đất, nhờ chị xem giúp."},
        )
        assert moved.status == 200, await moved.text()
        assert ids(await view(client, binh_h, view="mine")) == {cid}
        opened = await client.get(f"/console/api/conversations/{cid}", headers=binh_h)
        notes = [m for m in (await opened.json())["messages"] if m["kind"] == "note"]
        assert [n["text"] for n in notes] == ["Công dân hỏi về thuế đất, nhờ chị xem giúp."]
        # It is Bình's now: An no longer opens it.
        assert (await client.get(f"/console/api/conversations/{cid}", headers=an)).status == 403


async def test_a_reply_goes_through_replies_and_only_the_holder_replies(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        an_agent, an = await agent_headers(client, "an@example.vn")
        _, binh = await agent_headers(client, "binh@example.vn")
        cid = await queued(client, team=TEAM)
        path = f"/console/api/conversations/{cid}/reply"
        assert (await post(client, an, path, {"text": "Chào anh"})).status == 403  # not claimed yet
        await post(client, an, f"/console/api/conversations/{cid}/claim")
        for body in ({}, {"text": "   "}, {"text": 5}, {"text": "a\x1bb"}):
            bad = await post(client, an, path, body)
            assert bad.status == 422 and (await bad.json())["field"] == "text", body
        sent = await post(client, an, path, {"text": "Chào anh, hồ sơ của anh đang được xử lý."})
        assert sent.status == 201, await sent.text()
        message = await sent.json()
        assert message["author"] == an_agent.id and message["delivery"]["channel"] == "telegram"
        assert (await post(client, binh, path, {"text": "Tôi cũng trả lời"})).status == 403
        await settle(client)  # the sender sends it: the recording Telegram provider keeps what went out
        recorded = await client.app[STORE].last_recorded(5)
        assert any("hồ sơ của anh đang được xử lý" in str(r) for r in recorded), recorded
        history = await (await client.get(f"/console/api/conversations/{cid}", headers=an)).json()
        assert history["messages"][-1]["text"] == "Chào anh, hồ sơ của anh đang được xử lý."
        actions = [e.action for e in await client.app[STORE].audit_entries(object_id=cid)]
        assert actions == ["claim", "reply", "view"]


async def test_a_note_mentioning_an_agent_gives_them_a_mention_row(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn", name="Nguyễn Văn An")
        binh, binh_h = await agent_headers(client, "binh@example.vn", name="Trần Thị Bình", team="Thuế")
        cid = await queued(client, team=TEAM)
        await post(client, an, f"/console/api/conversations/{cid}/claim")
        # Bình (another team) may not open it until mentioned.
        assert (await client.get(f"/console/api/conversations/{cid}", headers=binh_h)).status == 403
        noted = await post(client, an, f"/console/api/conversations/{cid}/notes", {"text": "@binh xem giúp thuế đất"})
        assert noted.status == 201, await noted.text()
        assert (await noted.json())["mentions"] == [binh.id]
        feed = await client.app[STORE].feed_since(0)
        mentions = [r for r in feed if r.kind == "mention"]
        assert [(r.agent_id, r.conversation_id) for r in mentions] == [(binh.id, cid)]
        assert (await client.get(f"/console/api/conversations/{cid}", headers=binh_h)).status == 200


async def test_status_snooze_resolve_and_hand_back(tmp_path):
    async with served(tmp_path, DAY) as (client, clock, _):
        _, an = await agent_headers(client, "an@example.vn")
        cid = await queued(client, team=TEAM)
        path = f"/console/api/conversations/{cid}/status"
        await post(client, an, f"/console/api/conversations/{cid}/claim")
        assert (await post(client, an, path, {"status": "pending"})).status == 200
        assert ids(await view(client, an, view="mine", status="pending")) == {cid}
        for body, field in (
            ({"status": "later"}, "status"),
            ({"status": "snoozed"}, "snooze_until"),
            ({"status": "snoozed", "snooze_until": "2026-11-30T08:00:00+07:00"}, "snooze_until"),
            ({"status": "snoozed", "snooze_until": "not a time"}, "snooze_until"),
        ):
            bad = await post(client, an, path, body)
            assert bad.status == 422 and (await bad.json())["field"] == field, body
        until = (DAY + timedelta(minutes=10)).isoformat()
        snoozed = await post(client, an, path, {"status": "snoozed", "snooze_until": until})
        assert snoozed.status == 200
        assert ids(await view(client, an, view="mine")) == set()  # open only, by default
        clock.advance(11 * 60)
        assert await client.app[SERVICE].assignment.tick() >= 1  # the periodic sweep wakes it
        assert ids(await view(client, an, view="mine")) == {cid}
        assert (await post(client, an, path, {"status": "resolved"})).status == 200
        assert ids(await view(client, an, view="mine", status="resolved")) == {cid}
        back = await post(client, an, f"/console/api/conversations/{cid}/handback")
        assert back.status == 200
        assert ids(await view(client, an, view="mine", status="any")) == set()
        actions = [e.action for e in await client.app[STORE].audit_entries(object_id=cid)]
        assert actions == ["claim", "status", "status", "status", "handback"]


async def test_labels_and_priority(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn")
        cid = await queued(client, team=TEAM)
        labels = await post(
            client, an, f"/console/api/conversations/{cid}/labels", {"labels": ["Đất đai", "đất đai", "Thuế"]}
        )
        assert labels.status == 200 and (await labels.json())["labels"] == ["đất đai", "thuế"]
        assert ids(await view(client, an, view="unassigned", label="thuế")) == {cid}
        for body in ({"labels": "thuế"}, {"labels": [1]}, {"labels": ["x" * 41]}, {"labels": ["ok"] * 21}):
            bad = await post(client, an, f"/console/api/conversations/{cid}/labels", body)
            assert bad.status == 422 and (await bad.json())["field"].startswith("labels"), body
        assert (await post(client, an, f"/console/api/conversations/{cid}/priority", {"priority": 2})).status == 200
        assert ids(await view(client, an, view="unassigned", priority="2")) == {cid}
        for value in (3, -1, "cao", True, None):
            bad = await post(client, an, f"/console/api/conversations/{cid}/priority", {"priority": value})
            assert bad.status == 422 and (await bad.json())["field"] == "priority", value


async def test_unknown_conversations_are_404_and_bad_bodies_422(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        cid = await queued(client)
        for suffix in ("", "/citizen"):
            assert (await client.get(f"/console/api/conversations/nope{suffix}", headers=sup)).status == 404
        for action in ("claim", "assign", "reply", "notes", "status", "handback", "labels", "priority"):
            response = await post(client, sup, f"/console/api/conversations/nope/{action}", {"text": "x"})
            assert response.status == 404, action
            assert "Không có cuộc hội thoại" in (await response.json())["message"]
        for action in ("assign", "reply", "notes", "status", "labels", "priority"):
            for raw in (b"{", b"[]", b'"x"'):
                response = await client.post(
                    f"/console/api/conversations/{cid}/{action}",
                    data=raw,
                    headers={**sup, "Content-Type": "application/json"},
                )
                assert response.status == 422 and (await response.json())["field"] == "body", (action, raw)


async def test_sms_preview_counts_segments(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn")
        plain = await (await client.get("/console/api/sms-preview", params={"text": "Chao anh"}, headers=an)).json()
        accented = await (
            await client.get("/console/api/sms-preview", params={"text": "Hồ sơ đã xong"}, headers=an)
        ).json()
        assert plain["encoding"] != accented["encoding"] and plain["segments"] == 1
        too_long = await client.get("/console/api/sms-preview", params={"text": "a" * 4001}, headers=an)
        assert too_long.status == 422


async def test_canned_responses_are_listed_rendered_and_managed_by_supervisors(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn", name="Nguyễn Văn An")
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        body = {
            "shortcut": "/Chao",
            "title": "Lời chào",
            "body": "Chào {{ citizen.name }}, tôi là {{ agent.name }}. {{ x.y }}",
        }
        assert (await post(client, an, "/console/api/canned", body)).status == 403
        created = await post(client, sup, "/console/api/canned", body)
        assert created.status == 201, await created.text()
        canned = await created.json()
        assert canned["shortcut"] == "chao"
        taken = await post(client, sup, "/console/api/canned", body)
        assert taken.status == 409 and (await taken.json())["field"] == "shortcut"
        bad = await post(client, sup, "/console/api/canned", {**body, "shortcut": "chào bạn"})
        assert bad.status == 422 and (await bad.json())["field"] == "shortcut"
        listed = await (await client.get("/console/api/canned", params={"q": "/ch"}, headers=an)).json()
        assert [c["shortcut"] for c in listed["items"]] == ["chao"]

        cid = await queued(client, team=TEAM)
        rendered = await post(client, an, f"/console/api/canned/{canned['id']}/render", {"conversation_id": cid})
        assert rendered.status == 200, await rendered.text()
        result = await rendered.json()
        # No name for this citizen: a hint to fill in; an unknown variable stays as written.
        assert result["text"] == "Chào [họ tên công dân], tôi là Nguyễn Văn An. {{ x.y }}"
        assert result["unfilled"] == ["[họ tên công dân]"]
        missing = await post(client, an, f"/console/api/canned/{canned['id']}/render", {"conversation_id": "nope"})
        assert missing.status == 422 and (await missing.json())["field"] == "conversation_id"
        assert (await client.delete(f"/console/api/canned/{canned['id']}", headers=an)).status == 403
        assert (await client.delete(f"/console/api/canned/{canned['id']}", headers=sup)).status == 200
        assert (await client.delete(f"/console/api/canned/{canned['id']}", headers=sup)).status == 404


async def test_presence_and_the_agents_list(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        an_agent, an = await agent_headers(client, "an@example.vn")
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        assert (await post(client, an, "/console/api/presence", {"presence": "online"})).status == 200
        bad = await post(client, an, "/console/api/presence", {"presence": "busy"})
        assert bad.status == 422 and (await bad.json())["field"] == "presence"
        as_agent = {a["id"]: a for a in (await (await client.get("/console/api/agents", headers=an)).json())["agents"]}
        assert as_agent[an_agent.id]["presence"] == "online" and as_agent[an_agent.id]["open"] == 0
        assert "email" not in as_agent[an_agent.id]  # agents see names and teams, not accounts
        as_sup = (await (await client.get("/console/api/agents", headers=sup)).json())["agents"]
        assert {a["email"] for a in as_sup} == {"an@example.vn", "sup@example.vn"}
        assert all("password" not in str(a) for a in as_sup)
        feed = await client.app[STORE].feed_since(0)
        assert [(r.kind, r.payload) for r in feed if r.kind == "presence"] == [
            ("presence", {"agent_id": an_agent.id, "presence": "online"})
        ]


async def test_supervisors_merge_two_citizens_and_undo_it(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, an = await agent_headers(client, "an@example.vn")
        sup_agent, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        store = client.app[STORE]
        # Two contacts the inbox made for one person: by SMS, then by email.
        keep = await store.ensure_contact(Channel.SMS, "+84913000111")
        gone = await store.ensure_contact(Channel.EMAIL, "an.nguyen@example.vn")
        assert keep and gone and keep != gone
        body = {"keep": keep, "merge": gone, "reason": "Cùng một người: gọi điện xác nhận"}
        assert (await post(client, an, "/console/api/citizens/merge", body)).status == 403
        assert (await post(client, sup, "/console/api/citizens/merge", {**body, "reason": ""})).status == 422
        unknown = await post(client, sup, "/console/api/citizens/merge", {**body, "merge": "cit_nobody"})
        assert unknown.status == 404
        merged = await post(client, sup, "/console/api/citizens/merge", body)
        assert merged.status == 201, await merged.text()
        merge = await merged.json()
        assert (merge["kept_id"], merge["merged_id"]) == (keep, gone)
        again = await post(client, sup, "/console/api/citizens/merge", body)
        assert again.status == 422
        undo = f"/console/api/citizens/merges/{merge['id']}/undo"
        assert (await post(client, sup, undo, {})).status == 422  # a reason is required
        undone = await post(client, sup, undo, {"reason": "Nhầm người"})
        assert undone.status == 200 and (await undone.json())["undone_at"]
        assert (await post(client, sup, undo, {"reason": "Nhầm người"})).status == 422
        assert (await post(client, sup, "/console/api/citizens/merges/mg_nope/undo", {"reason": "x"})).status == 404
        actions = [e.action for e in await store.audit_entries(actor=sup_agent.id) if e.object_type == "citizen"]
        assert actions == ["citizen.merge", "citizen.merge", "citizen.unmerge", "citizen.unmerge"]


async def test_odd_input_never_makes_a_server_error(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        _, sup = await agent_headers(client, "sup@example.vn", role="supervisor")
        cid = await queued(client, team=TEAM)
        odd = ["", " ", "x|y", "|", "%", "_", "\\", "'; DROP TABLE conversations; --", "０９１３", "ø" * 300, "a\x00b"]
        for name in ("q", "label", "dossier", "before", "status", "view", "channel", "priority", "limit"):
            for value in odd:
                response = await client.get("/console/api/queue", params={"view": "all", name: value}, headers=sup)
                assert response.status < 500, (name, value, await response.text())
        for path in ("%20", "ø" * 200, "..", "a" * 101):
            assert (await client.get(f"/console/api/conversations/{path}", headers=sup)).status in (404, 422)
        for action in ("assign", "reply", "notes", "status", "labels", "priority"):
            for body in ({"text": None, "status": [], "labels": {}, "priority": 1.5}, {"agent_id": 5}, {"x": "y"}):
                response = await post(client, sup, f"/console/api/conversations/{cid}/{action}", body)
                assert response.status < 500, (action, body, await response.text())
