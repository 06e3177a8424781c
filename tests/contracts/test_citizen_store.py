"""The store contract for the console's citizen side (issue 12): canned
responses, what the citizen panel reads, and merging two records of one
person, reversibly. Same backends as tests/contracts/test_store.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.store.port import ApplicantData, CannedResponse
from models.citizen import Channel
from models.errors import Conflict
from models.notifications import Notification
from tests.support.citizens import CHAT, PHONE, one_person_twice
from tests.support.dossiers import T0, dossier


def canned(cid: str, shortcut: str, title: str = "Lời chào", team: str | None = None) -> CannedResponse:
    return CannedResponse(cid, shortcut, title, "Chào {{ citizen.name }}", team, "ag_1", T0)


class TestCannedStore:
    async def test_add_get_list_update_delete(self, store):
        await store.add_canned(canned("c1", "chao"))
        await store.add_canned(canned("c2", "bosung", "Yêu cầu bổ sung", team="Tư pháp"))
        await store.add_canned(canned("c3", "ketqua", "Nhận kết quả", team="Đất đai"))
        assert await store.get_canned("c1") == canned("c1", "chao")
        assert (await store.get_canned("chao")).id == "c1"
        assert await store.get_canned("nope") is None
        assert [c.shortcut for c in await store.list_canned(team="Tư pháp")] == ["bosung", "chao"]
        assert [c.shortcut for c in await store.list_canned()] == ["chao"]
        assert [c.shortcut for c in await store.list_canned(every_team=True)] == ["bosung", "chao", "ketqua"]
        assert [c.shortcut for c in await store.list_canned(query="ch", every_team=True)] == ["chao"]
        assert [c.shortcut for c in await store.list_canned(query="kết", every_team=True)] == ["ketqua"]
        assert [c.shortcut for c in await store.list_canned(query="%", every_team=True)] == []

        with pytest.raises(Conflict):
            await store.add_canned(canned("c4", "chao"))
        with pytest.raises(Conflict):
            await store.update_canned(canned("c2", "chao"))
        assert await store.update_canned(canned("c2", "bosung2", "Bổ sung", team=None))
        assert (await store.get_canned("c2")).shortcut == "bosung2"
        assert not await store.update_canned(canned("c9", "x"))
        assert await store.delete_canned("c1")
        assert not await store.delete_canned("c1")
        assert await store.get_canned("chao") is None


class TestCitizenViewStore:
    async def test_conversations_of_the_citizens_and_of_the_address(self, store):
        twice = await one_person_twice(store)
        found = await store.citizen_conversations([twice.applicant], "telegram", str(CHAT))
        assert {c["id"] for c in found} == {twice.sms_conversation, twice.chat_conversation}
        sms = next(c for c in found if c["id"] == twice.sms_conversation)
        assert [(m["direction"], m["text"]) for m in sms["messages"]] == [
            ("in", "TRACUU H12-0001 5678"),
            ("out", "Hồ sơ H12-0001: Đang xử lý."),
        ]
        assert sms["escalation"] is None and sms["dossier_code"] == "H12-0001"
        chat = next(c for c in found if c["id"] == twice.chat_conversation)
        assert chat["escalation"]["reason"] == "request_human"
        assert chat["escalation"]["transcript"][0]["text"] == "Tôi muốn gặp cán bộ"
        only = await store.citizen_conversations([], "sms", PHONE, messages=1)
        assert [(c["id"], [m["text"] for m in c["messages"]]) for c in only] == [
            (twice.sms_conversation, ["Hồ sơ H12-0001: Đang xử lý."])
        ]
        assert await store.citizen_conversations([], "sms", "+84000000000") == []

    async def test_dossiers_as_applicant_then_as_follower(self, store):
        twice = await one_person_twice(store)
        assert await store.citizen_dossier_codes([twice.applicant]) == [("H12-0001", "applicant")]
        assert await store.citizen_dossier_codes([twice.chat]) == [("H12-0002", "follower")]
        both = await store.citizen_dossier_codes([twice.applicant, twice.chat, twice.other])
        assert sorted(both) == [("H12-0001", "applicant"), ("H12-0002", "applicant")]
        assert await store.citizen_dossier_codes([]) == []


async def what_each_has(store, *ids: str) -> dict:
    """Everything the port tells about these citizens."""
    citizens = await store.get_citizens(list(ids))
    found: dict = {}
    for one in ids:
        found[one] = {
            "citizen": citizens[one],
            "contact": (await store.get_contacts([one]))[one],
            "conversations": sorted(c["id"] for c in await store.list_conversations(citizen=one)),
            "notifications": sorted(n.id for n in await store.list_notifications(citizen=one)),
            "dossiers": await store.citizen_dossier_codes([one]),
        }
    found["escalations"] = sorted((e["id"], e["citizen_id"]) for e in await store.list_escalations())
    found["link"] = await store.start_link("link-1", T0)
    found["phone"] = await store.applicant_phone("H12-0001")
    return found


class TestMerges:
    async def test_merge_moves_everything_and_undo_puts_it_back(self, store):
        twice = await one_person_twice(store)
        before = await what_each_has(store, twice.applicant, twice.chat)
        await store.get_contacts([twice.applicant])  # cached: the merge must not leave it stale

        outcome = await store.merge_citizens(
            "m1", twice.applicant, twice.chat, agent_id="ag_1", reason="cùng một người", now=T0
        )
        assert outcome.outcome == "merged"
        merge = outcome.merge
        assert (merge.id, merge.kept_id, merge.merged_id, merge.agent_id, merge.at, merge.undone_at) == (
            "m1",
            twice.applicant,
            twice.chat,
            "ag_1",
            T0,
            None,
        )
        after = await what_each_has(store, twice.applicant, twice.chat)
        kept, gone = after[twice.applicant], after[twice.chat]
        assert kept["citizen"].telegram_chat_id == CHAT and gone["citizen"].telegram_chat_id is None
        assert kept["contact"].telegram_chat_id == CHAT and Channel.TELEGRAM in kept["contact"].consented
        assert kept["citizen"].phone == PHONE and kept["citizen"].full_name == "Nguyễn Văn An"
        assert kept["conversations"] == sorted([twice.sms_conversation, twice.chat_conversation])
        assert kept["notifications"] == ["n-app", "n-chat"] and gone["notifications"] == []
        assert kept["dossiers"] == [("H12-0001", "applicant"), ("H12-0002", "follower")]
        assert gone["conversations"] == [] and gone["dossiers"] == [] and gone["citizen"].consents == ()
        assert after["escalations"] == [(e, twice.applicant) for e, _ in before["escalations"]]
        assert after["link"] == (twice.applicant, "H12-0002")
        assert await store.find_contact(Channel.TELEGRAM, CHAT) == twice.applicant
        assert [m.id for m in await store.citizen_merges(twice.chat)] == ["m1"]
        assert (await store.get_citizen_merge("m1")).moved["rows"]["conversations"] == [twice.chat_conversation]

        undone = await store.undo_citizen_merge("m1", agent_id="ag_2", now=T0 + timedelta(hours=1))
        assert undone.outcome == "undone"
        assert (undone.merge.undone_at, undone.merge.undone_by) == (T0 + timedelta(hours=1), "ag_2")
        assert await what_each_has(store, twice.applicant, twice.chat) == before
        assert await store.find_contact(Channel.TELEGRAM, CHAT) == twice.chat

    async def test_the_applicant_merged_into_the_chat_takes_phone_and_dossier_along(self, store):
        twice = await one_person_twice(store)
        before = await what_each_has(store, twice.applicant, twice.chat)
        assert (await store.merge_citizens("m1", twice.chat, twice.applicant, agent_id="a", reason="r", now=T0)).merge
        kept = (await store.get_citizens([twice.chat]))[twice.chat]
        assert (kept.phone, kept.full_name, kept.telegram_chat_id) == (PHONE, "Nguyễn Văn An", CHAT)
        assert (await store.get_dossier("H12-0001")).applicant_id == twice.chat
        assert await store.applicant_phone("H12-0001") == PHONE  # the lookup's digits did not change
        await store.undo_citizen_merge("m1", agent_id="a", now=T0)
        assert await what_each_has(store, twice.applicant, twice.chat) == before

    async def test_a_dossier_whose_lookup_phone_would_change_stays(self, store):
        twice = await one_person_twice(store)
        # The other applicant has another phone: their dossier keeps its applicant.
        outcome = await store.merge_citizens("m1", twice.applicant, twice.other, agent_id="a", reason="r", now=T0)
        assert outcome.merge.moved["stayed"] == {"dossiers": ["H12-0002"]}
        assert outcome.merge.moved["contacts_kept_apart"] == ["phone"]
        assert (await store.get_dossier("H12-0002")).applicant_id == twice.other
        assert await store.applicant_phone("H12-0002") == "+84900000002"

    async def test_refusals(self, store):
        twice = await one_person_twice(store)
        a, b, c = twice.applicant, twice.chat, twice.other
        assert (await store.merge_citizens("m0", a, a, agent_id="x", reason="r", now=T0)).outcome == "same"
        assert (await store.merge_citizens("m0", a, "c_nope", agent_id="x", reason="r", now=T0)).outcome == "unknown"
        assert (await store.merge_citizens("m1", a, b, agent_id="x", reason="r", now=T0)).outcome == "merged"
        assert (await store.merge_citizens("m2", c, b, agent_id="x", reason="r", now=T0)).outcome == "merged_away"
        assert (await store.merge_citizens("m2", b, c, agent_id="x", reason="r", now=T0)).outcome == "merged_away"
        assert (await store.merge_citizens("m2", c, a, agent_id="x", reason="r", now=T0)).outcome == "merged"
        # a was merged away since: the first merge cannot be undone before the second
        assert (await store.undo_citizen_merge("m1", agent_id="x", now=T0)).outcome == "blocked"
        assert (await store.undo_citizen_merge("m2", agent_id="x", now=T0)).outcome == "undone"
        assert (await store.undo_citizen_merge("m2", agent_id="x", now=T0)).outcome == "already_undone"
        assert (await store.undo_citizen_merge("m1", agent_id="x", now=T0)).outcome == "undone"
        assert (await store.undo_citizen_merge("m9", agent_id="x", now=T0)).outcome == "unknown"
        assert await store.get_citizen_merge("m9") is None
        assert [m.id for m in await store.citizen_merges(a)] == ["m1", "m2"]

    async def test_two_id_numbers_are_two_people(self, store):
        ids = []
        for code, phone, number in (("H12-0005", "+84911111111", "001090000001"), ("H12-0006", None, "001090000002")):
            applicant = ApplicantData("Nguyễn Văn An", phone=phone, id_number=number)
            ids.append((await store.upsert_dossier(dossier(code, applicant=applicant))).dossier.applicant_id)
        outcome = await store.merge_citizens("m1", ids[0], ids[1], agent_id="x", reason="r", now=T0)
        assert outcome.outcome == "different_people" and await store.get_citizen_merge("m1") is None

    async def test_a_notice_both_got_stays_with_each(self, store):
        twice = await one_person_twice(store)
        # The same event told both records (a broadcast): one row per citizen and event.
        await store.add_notifications(
            [Notification(f"b-{one}", one, "broadcast", "ev-b", "t", {}) for one in (twice.applicant, twice.chat)]
        )
        outcome = await store.merge_citizens("m1", twice.applicant, twice.chat, agent_id="a", reason="r", now=T0)
        assert outcome.merge.moved["stayed"] == {"notifications": [f"b-{twice.chat}"]}
        assert [n.id for n in await store.list_notifications(citizen=twice.chat)] == [f"b-{twice.chat}"]
