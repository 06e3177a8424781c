"""One contract, every store backend, organised by the port's roles
(hub/store/port.py): a new backend can be brought up role by role, running
`-k TestOutbox` and so on. The backends are in tests/contracts/backends.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from hub.store.port import ROLES, Agent, ApplicantData, AuditEntry, Broadcast, DeliveryResult, InboundRecord
from models.citizen import Channel, ConsentRecord
from models.dossier import DossierStatus as S
from models.errors import Conflict, StoreUnavailable
from models.events import InboundMessageReceived
from models.notifications import DeliveryAttempt, DeliveryStatus, Notification, Progress
from models.notifications import DeliveryStatus as NS
from tests.contracts.backends import LOSE_STORAGE
from tests.support.dossiers import T0, change, dossier


def asking(channel: Channel):
    """The confirmation a follow request queues, as the follow API builds it."""

    def confirmation(request_id: str, citizen_id: str) -> Notification:
        return Notification(
            id=f"n-{request_id}",
            citizen_id=citizen_id,
            purpose="follow_confirmation",
            source_event_id=f"follow:{request_id}",
            template="follow_confirmation",
            context={"follow_request": request_id, "channel": channel.value},
            next_at=0.0,
        )

    return confirmation


async def outbox_types(store) -> list[str]:
    return [row.type for row in await store.outbox_after(0, 1000)]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.__name__)
def test_the_backend_offers_every_method_of_the_role(store, role):
    missing = [
        name
        for name, value in vars(role).items()
        if not name.startswith("_") and callable(value) and not callable(getattr(store, name, None))
    ]
    assert missing == []


class TestLifecycle:
    """open, close, readiness."""

    async def test_readiness_reports_migrations(self, store):
        state = await store.readiness()
        assert state["ready"] and state["schema_version"] == state["latest_migration"] >= 1

    async def test_readiness_proves_the_store_takes_writes(self, store):
        state = await store.readiness()
        assert state["writable"] is True

    async def test_lost_storage_turns_readiness_red_and_writes_fail_loudly(self, store, request):
        backend = request.node.callspec.params["store"]
        if backend not in LOSE_STORAGE:
            pytest.skip(f"{backend} has no storage that can be taken away under it")
        await store.upsert_dossier(dossier())
        LOSE_STORAGE[backend](store)
        state = await store.readiness()
        assert state["ready"] is False and state["writable"] is False
        with pytest.raises(StoreUnavailable):
            await store.upsert_dossier(dossier(code="H12.22-261120-0002"))
        with pytest.raises(StoreUnavailable):
            await store.add_api_key("after-the-loss", "0" * 64)


class TestDossierStore:
    """Dossiers and their timelines; every change puts its event in the outbox in the same commit."""

    async def test_upsert_creates_then_updates_and_says_which(self, store):
        created = await store.upsert_dossier(dossier())
        assert created.created and created.dossier.status is S.SUBMITTED
        same = await store.upsert_dossier(dossier())
        assert not same.created and same.changed == ()
        moved = await store.upsert_dossier(dossier(agency="UBND quận"))
        assert moved.changed == ("agency",) and moved.dossier.agency == "UBND quận"
        assert await outbox_types(store) == ["DossierRegistered", "DossierUpdated"]

    async def test_status_on_put_cannot_bypass_the_event_api(self, store):
        await store.upsert_dossier(dossier())
        with pytest.raises(Conflict):
            await store.upsert_dossier(dossier(status=S.RETURNED))

    async def test_status_change_updates_dossier_timeline_and_outbox_together(self, store):
        await store.upsert_dossier(dossier())
        result = await store.record_status_change(change("e1", S.RECEIVED, due_at=T0 + timedelta(days=9)))
        assert result.outcome == "accepted" and result.previous_status is S.SUBMITTED
        stored = await store.get_dossier("H12-0001")
        assert stored.status is S.RECEIVED and stored.due_at == T0 + timedelta(days=9)
        assert [e.event_id for e in stored.timeline] == ["e1"]
        rows = await store.outbox_after(0, 100)
        assert rows[-1].type == "DossierStatusChanged" and rows[-1].payload["event_id"] == "e1"
        assert rows[-1].key == "H12-0001"

    async def test_repeated_event_id_answers_as_the_first_time(self, store):
        await store.upsert_dossier(dossier())
        first = await store.record_status_change(change("e1", S.RECEIVED))
        again = await store.record_status_change(change("e1", S.RECEIVED))
        assert again.outcome == "duplicate" and again.recorded_at == first.recorded_at
        assert again.entry == first.entry
        reused = await store.record_status_change(change("e1", S.IN_PROGRESS))
        assert reused.outcome == "event_id_reused"
        assert (await outbox_types(store)).count("DossierStatusChanged") == 1

    async def test_illegal_and_unknown_change_nothing(self, store):
        await store.upsert_dossier(dossier())
        illegal = await store.record_status_change(change("e1", S.RETURNED))
        assert illegal.outcome == "illegal" and illegal.current_status is S.SUBMITTED
        missing = await store.record_status_change(change("e2", S.RECEIVED, code="NOPE"))
        assert missing.outcome == "not_found"
        assert (await store.get_dossier("H12-0001")).status is S.SUBMITTED
        assert "DossierStatusChanged" not in await outbox_types(store)

    async def test_concurrent_changes_share_commits_and_lose_nothing(self, store):
        codes = [f"C-{i}" for i in range(20)]
        for i, code in enumerate(codes):
            await store.upsert_dossier(dossier(code, phone=f"+8491000{i:04d}"))
        await asyncio.gather(*(store.record_status_change(change(f"{c}-r", S.RECEIVED, code=c)) for c in codes))
        results = await asyncio.gather(
            *(
                store.record_status_change(change(f"{c}-{n}", S.IN_PROGRESS, code=c, minutes=n))
                for n in range(1, 11)
                for c in codes
            )
        )
        assert {r.outcome for r in results} == {"accepted"}
        for code in codes:
            assert len((await store.get_dossier(code)).timeline) == 11
        assert (await outbox_types(store)).count("DossierStatusChanged") == 220

    async def test_same_event_twice_in_one_batch_is_recorded_once(self, store):
        await store.upsert_dossier(dossier())
        results = await asyncio.gather(*(store.record_status_change(change("e1", S.RECEIVED)) for _ in range(5)))
        assert sorted(r.outcome for r in results) == ["accepted"] + ["duplicate"] * 4


class TestCitizenStore:
    """A citizen gives a piece of information once; consents are a ledger."""

    async def test_a_citizen_gives_their_phone_once(self, store):
        first = await store.upsert_dossier(dossier("A-1"))
        second = await store.upsert_dossier(dossier("A-2", name="Nguyễn Văn An"))
        assert first.dossier.applicant_id == second.dossier.applicant_id
        other = await store.upsert_dossier(dossier("A-3", phone="+84987654321"))
        assert other.dossier.applicant_id != first.dossier.applicant_id

    async def test_id_number_wins_and_a_shared_phone_takes_nobody_over(self, store):
        first = await store.upsert_dossier(
            dossier("B-1", applicant=ApplicantData("A", phone="+84911111111", id_number="001203004567"))
        )
        other = await store.upsert_dossier(dossier("B-2", applicant=ApplicantData("B", phone="+84922222222")))
        # A moves to the phone B uses: the same person by ID number, sharing B's phone.
        moved = await store.upsert_dossier(
            dossier("B-3", applicant=ApplicantData("A", phone="+84922222222", id_number="001203004567"))
        )
        assert moved.dossier.applicant_id == first.dossier.applicant_id != other.dossier.applicant_id
        b = await store.get_citizen(other.dossier.applicant_id)
        assert (b.full_name, b.phone, b.id_number) == ("B", "+84922222222", None)
        # B by name at B's phone, now with an ID number: B, who gave none before.
        same = await store.upsert_dossier(
            dossier("B-4", applicant=ApplicantData("B", phone="+84922222222", id_number="001203008888"))
        )
        assert same.dossier.applicant_id == other.dossier.applicant_id
        # The same name at that phone with another ID number is someone else.
        namesake = await store.upsert_dossier(
            dossier("B-5", applicant=ApplicantData("B", phone="+84922222222", id_number="001203009999"))
        )
        assert namesake.dossier.applicant_id not in (first.dossier.applicant_id, other.dossier.applicant_id)
        assert (await store.get_citizen(other.dossier.applicant_id)).id_number == "001203008888"

    async def test_a_withdrawal_from_a_shared_phone_applies_to_everyone_on_it(self, store):
        grant = ConsentRecord(Channel.SMS, True, T0, "one_stop_shop", "consent")
        mother = await store.upsert_dossier(
            dossier("C-1", applicant=ApplicantData("Trần Thị Bình", phone="+84913000901", consents=(grant,)))
        )
        son = await store.upsert_dossier(
            dossier("C-2", applicant=ApplicantData("Nguyễn Văn Bình", phone="+84913000901", consents=(grant,)))
        )
        ids = [mother.dossier.applicant_id, son.dossier.applicant_id]
        assert ids[0] != ids[1]
        await store.add_consent(ids[1], ConsentRecord(Channel.SMS, False, T0, "sms_keyword", "withdrawal"))
        contacts = await store.get_contacts(ids)
        assert not any(contacts[i].consent_for(Channel.SMS) for i in ids)

    async def test_a_follow_waits_for_its_confirmation_and_the_cap_counts_requests(self, store):
        await store.upsert_dossier(dossier("F-1"))
        later = T0.replace(year=2099)
        grant = ConsentRecord(Channel.EMAIL, True, T0, "follow_confirmed", "consent")

        confirmation = asking(Channel.EMAIL)

        async def ask(address: str):
            return await store.request_follow(
                "F-1", Channel.EMAIL, address, limit=2, expires_at=later, confirmation=confirmation
            )

        first = await ask("a@example.vn")
        assert first.outcome == "requested" and first.request is not None
        assert (await ask("a@example.vn")).outcome == "pending"  # the same address again: nothing new
        assert (await ask("b@example.vn")).outcome == "requested"
        assert (await ask("c@example.vn")).outcome == "full"  # two live requests fill a cap of two
        assert [n.purpose for n in await store.due_notifications(1.0, 10)] == ["follow_confirmation"] * 2

        pending = await store.live_follow_request("F-1", Channel.EMAIL, "a@example.vn")
        assert pending == first.request
        citizen = first.request.citizen_id
        assert not (await store.get_citizen(citizen)).consent_for(Channel.EMAIL)  # nothing granted yet
        confirmed = await store.confirm_follow(first.request.id, grant)
        assert confirmed.outcome == "following"
        assert (await store.get_citizen(citizen)).consent_for(Channel.EMAIL)
        assert await store.live_follow_request("F-1", Channel.EMAIL, "a@example.vn") is None
        assert (await ask("a@example.vn")).outcome == "following"
        assert citizen in [cid for cid, _ in (await store.dossier_targets(["F-1"]))["F-1"].recipients]

    async def test_a_withdrawn_address_is_never_asked_nor_confirmed(self, store):
        await store.upsert_dossier(dossier("F-2"))
        later = T0.replace(year=2099)

        confirmation = asking(Channel.SMS)

        asked = await store.request_follow(
            "F-2", Channel.SMS, "+84912000009", limit=5, expires_at=later, confirmation=confirmation
        )
        assert asked.request is not None
        no = ConsentRecord(Channel.SMS, False, T0, "sms_keyword", "withdrawal")
        await store.add_consent(asked.request.citizen_id, no)
        grant = ConsentRecord(Channel.SMS, True, T0, "follow_confirmed", "consent")
        assert (await store.confirm_follow(asked.request.id, grant)).outcome == "withdrawn"
        assert not (await store.get_citizen(asked.request.citizen_id)).consent_for(Channel.SMS)
        again = await store.request_follow(
            "F-2", Channel.SMS, "+84912000009", limit=5, expires_at=later, confirmation=confirmation
        )
        assert again.outcome == "withdrawn"

    async def test_consents_are_a_ledger(self, store):
        at = T0
        grant = ConsentRecord(Channel.SMS, True, at, "one_stop_shop", "consent")
        withdraw = ConsentRecord(Channel.SMS, False, at + timedelta(days=1), "sms:HUY", "consent")
        result = await store.upsert_dossier(
            dossier(applicant=ApplicantData("An", phone="+84912345678", consents=(grant,)))
        )
        await store.upsert_dossier(dossier(applicant=ApplicantData("An", phone="+84912345678", consents=(withdraw,))))
        citizen = await store.get_citizen(result.dossier.applicant_id)
        assert citizen.consents == (grant, withdraw)
        assert not citizen.consent_for(Channel.SMS) and not citizen.consent_for(Channel.EMAIL)

    async def test_a_start_link_resolves_until_it_expires(self, store):
        """Issue 11 item 8: a receipt's short Telegram link id."""
        result = await store.upsert_dossier(dossier("000.00.21.H12-261130-0505"))
        expires = T0 + timedelta(days=30)
        await store.add_start_link("digest-1", result.dossier.applicant_id, "000.00.21.H12-261130-0505", expires)
        await store.add_start_link("digest-1", result.dossier.applicant_id, "000.00.21.H12-261130-0505", expires)
        found = (result.dossier.applicant_id, "000.00.21.H12-261130-0505")
        assert await store.start_link("digest-1", T0) == found
        assert await store.start_link("digest-1", expires) is None
        assert await store.start_link("digest-2", T0) is None

    async def test_an_address_linked_by_a_deep_link_owns_the_applicants_dossiers(self, store):
        """Issue 11 item 9: what the assistant may tell a linked chat without a code."""
        first = await store.upsert_dossier(dossier("A-1"))
        await store.upsert_dossier(dossier("A-2", received_at=T0 + timedelta(days=1)))
        await store.upsert_dossier(dossier("B-1", phone="+84987654321", name="Lê Văn Cường"))
        applicant = first.dossier.applicant_id
        consent = ConsentRecord(Channel.TELEGRAM, granted=True, at=T0, via="telegram_deeplink", legal_basis="consent")
        assert await store.linked_dossiers(Channel.TELEGRAM, 555) == []
        assert await store.linked_dossiers(Channel.SMS, "+84912345678") == []  # the phone alone is no link
        assert await store.link_contact(applicant, Channel.TELEGRAM, 555, consent, link="l1", dossier_code="A-1")
        assert [d.code for d in await store.linked_dossiers(Channel.TELEGRAM, 555)] == ["A-2", "A-1"]
        assert [d.code for d in await store.linked_dossiers(Channel.TELEGRAM, 555, limit=1)] == ["A-2"]
        # The chat moves to another citizen's receipt: it owns that citizen's dossiers, not the first's.
        other = (await store.get_dossier("B-1")).applicant_id
        assert await store.link_contact(other, Channel.TELEGRAM, 555, consent, link="l2", dossier_code="B-1")
        assert [d.code for d in await store.linked_dossiers(Channel.TELEGRAM, 555)] == ["B-1"]


class TestApiKeyStore:
    async def test_api_keys_are_found_by_hash_only(self, store):
        await store.add_api_key("one-stop-shop", "ab" * 32)
        assert await store.api_key_name("ab" * 32) == "one-stop-shop"
        assert await store.api_key_name("cd" * 32) is None


def an_agent(agent_id: str = "ag_1", email: str = "an@example.vn", role: str = "agent") -> Agent:
    return Agent(id=agent_id, name="Nguyễn An", email=email, role=role, team="Một cửa", disabled=False, created_at=T0)


class TestAgentStore:
    """Console accounts, their links and sessions, and the append-only audit log."""

    async def test_agents_by_id_or_email_and_an_email_only_once(self, store):
        await store.add_agent(an_agent())
        assert (await store.get_agent("ag_1")).email == "an@example.vn"
        found = await store.get_agent("An@Example.VN")
        assert (found.id, found.role, found.team, found.disabled, found.password_hash) == (
            "ag_1",
            "agent",
            "Một cửa",
            False,
            None,
        )
        with pytest.raises(Conflict):
            await store.add_agent(an_agent("ag_2"))
        assert [a.id for a in await store.list_agents()] == ["ag_1"]
        assert await store.get_agent("ag_9") is None

    async def test_a_password_link_works_once_until_it_expires(self, store):
        await store.add_agent(an_agent())
        await store.add_password_token("t1", "ag_1", T0, T0 + timedelta(hours=1))
        assert await store.password_token_agent("t1", T0 + timedelta(minutes=59)) == "ag_1"
        assert await store.password_token_agent("t1", T0 + timedelta(hours=1)) is None
        assert await store.use_password_token("t1", "hash-1", T0 + timedelta(hours=2)) is None
        assert await store.use_password_token("t1", "hash-1", T0) == "ag_1"
        assert (await store.get_agent("ag_1")).password_hash == "hash-1"
        assert await store.use_password_token("t1", "hash-2", T0) is None
        assert await store.use_password_token("unknown", "hash-2", T0) is None

    async def test_a_new_link_ends_the_earlier_one(self, store):
        await store.add_agent(an_agent())
        await store.add_password_token("t1", "ag_1", T0, T0 + timedelta(hours=1))
        await store.add_password_token("t2", "ag_1", T0, T0 + timedelta(hours=1))
        assert await store.password_token_agent("t1", T0) is None
        assert await store.password_token_agent("t2", T0) == "ag_1"

    async def test_sessions_are_touched_and_revoked(self, store):
        await store.add_agent(an_agent())
        await store.add_session("s1", "ag_1", T0)
        await store.add_session("s2", "ag_1", T0)
        await store.touch_session("s1", T0 + timedelta(minutes=5))
        session = await store.get_session("s1")
        assert (session.agent_id, session.created_at, session.last_seen, session.revoked) == (
            "ag_1",
            T0,
            T0 + timedelta(minutes=5),
            False,
        )
        await store.revoke_session("s1", T0)
        assert (await store.get_session("s1")).revoked
        assert await store.revoke_agent_sessions("ag_1", T0) == 1  # s2; s1 was already
        assert (await store.get_session("s2")).revoked
        assert await store.get_session("unknown") is None

    async def test_setting_a_password_or_disabling_ends_every_session(self, store):
        await store.add_agent(an_agent())
        await store.add_session("s1", "ag_1", T0)
        await store.add_password_token("t1", "ag_1", T0, T0 + timedelta(hours=1))
        await store.use_password_token("t1", "hash-1", T0)
        assert (await store.get_session("s1")).revoked
        await store.add_session("s2", "ag_1", T0)
        assert await store.set_agent_disabled("ag_1", True, T0)
        assert (await store.get_session("s2")).revoked and (await store.get_agent("ag_1")).disabled
        assert not await store.set_agent_disabled("ag_9", True, T0)

    async def test_the_audit_log_filters_and_keeps_its_order(self, store):
        for i, (actor, kind, obj) in enumerate(
            [("ag_1", "dossier", "D-1"), ("ag_2", "dossier", "D-1"), ("ag_1", "citizen", "c-1")]
        ):
            await store.append_audit(
                AuditEntry(
                    actor=actor,
                    action="view",
                    object_type=kind,
                    object_id=obj,
                    reason="hỏi",
                    at=T0 + timedelta(minutes=i),
                )
            )
        everything = await store.audit_entries()
        assert [(e.actor, e.object_id) for e in everything] == [("ag_1", "D-1"), ("ag_2", "D-1"), ("ag_1", "c-1")]
        assert everything[0].at == T0 and everything[0].reason == "hỏi"
        assert [e.object_id for e in await store.audit_entries(actor="ag_1")] == ["D-1", "c-1"]
        assert [e.actor for e in await store.audit_entries(object_type="dossier", object_id="D-1")] == ["ag_1", "ag_2"]
        assert [e.actor for e in await store.audit_entries(since=T0 + timedelta(minutes=1))] == ["ag_2", "ag_1"]
        assert [e.object_id for e in await store.audit_entries(limit=2)] == ["D-1", "c-1"]  # the latest two

    def test_the_audit_log_has_no_method_to_change_or_remove_a_row(self, store):
        names = [n for n in dir(store) if "audit" in n and not n.startswith("_")]
        assert sorted(names) == ["append_audit", "audit_entries"]


class TestOutbox:
    """The bus's side."""

    async def test_delivery_records_dead_letters_and_retry(self, store):
        from models.events import DossierUpdated

        message = DossierUpdated(code="X", changed=("agency",))
        await store.append_outbox([message])
        row = (await store.outbox_after(0, 10))[0]
        await store.record_deliveries(
            [
                DeliveryResult(message.message_id, "a", "done", 1),
                DeliveryResult(message.message_id, "b", "dead", 3, error="boom"),
            ],
            [row.id],
        )
        assert await store.count_pending() == 0
        assert await store.outbox_after(0, 10) == []
        [letter] = await store.dead_letters()
        assert (letter.handler, letter.attempts, letter.error) == ("b", 3, "boom")
        assert await store.retry_dead_letter(letter.id)
        assert not await store.retry_dead_letter(letter.id)
        assert await store.dead_letters() == []
        assert await store.due_retries(now=1.0, limit=10) == [message.message_id]
        [again] = await store.outbox_by_ids([message.message_id])
        assert again.deliveries["a"][0] == "done" and again.deliveries["b"][:2] == ("retry", 0)


class TestNotificationStore:
    async def test_added_notifications_are_due_and_found_by_dossier(self, store):
        woken = []
        store.on_notifications_added(lambda: woken.append(1))
        registered = await store.upsert_dossier(dossier())
        citizen = registered.dossier.applicant_id
        item = Notification(
            id="n1",
            citizen_id=citizen,
            purpose="dossier_received",
            source_event_id="e1",
            template="dossier_received",
            context={},
            dossier_code="H12-0001",
            next_at=10.0,
        )
        assert await store.add_notifications([item]) == 1
        assert await store.add_notifications([item]) == 0  # the same notification twice is one
        assert woken
        assert [n.id for n in await store.due_notifications(now=10.0, limit=10)] == ["n1"]
        assert await store.due_notifications(now=9.0, limit=10) == []
        assert [n.id for n in await store.list_notifications(dossier="H12-0001")] == ["n1"]
        assert [n.id for n in await store.get_notifications(["n1", "nope"])] == ["n1"]
        targets = await store.dossier_targets(["H12-0001"])
        assert targets["H12-0001"].recipients[0][0] == citizen
        [(status, waiting)] = (await store.notification_backlog()).items()
        assert status == "queued" and waiting.size == 1
        assert waiting.oldest == (await store.get_notifications(["n1"]))[0].created_at

    async def test_newer_news_supersedes_pending_older_in_event_order(self, store):
        """Issue 11 item 3: by the time the news happened, whatever order it is added in."""
        citizen = (await store.upsert_dossier(dossier())).dossier.applicant_id

        def news(nid, minute, template="status_changed", basis="public_task"):
            return Notification(
                id=nid,
                citizen_id=citizen,
                purpose="dossier_status",
                source_event_id=nid,
                template=template,
                context={},
                dossier_code="H12-0001",
                next_at=10.0,
                legal_basis=basis,
                event_at=(T0 + timedelta(minutes=minute)).isoformat(),
            )

        await store.add_notifications([news("late", 5)])
        await store.add_notifications([news("early", 1)])  # older, added later: stale at once
        await store.add_notifications([news("result", 3, template="result_ready")])  # kept
        await store.add_notifications([news("early", 1), news("late", 5)])  # redelivered: nothing changes
        found = {n.id: n for n in await store.list_notifications(dossier="H12-0001")}
        assert (found["early"].status.value, found["early"].reason, found["early"].superseded_by) == (
            "cancelled",
            "superseded",
            "late",
        )
        assert found["late"].status.value == "queued" and found["late"].legal_basis == "public_task"
        assert found["result"].status.value == "queued" and found["result"].reason is None
        assert [n.id for n in await store.not_sent_notifications(10)] == ["early"]
        # A round that decided on a notice superseded meanwhile is told not to send it.
        await store.add_notifications([news("latest", 9)])
        assert await store.start_sending([Progress("late", DeliveryStatus.SENDING, "sms", (), 1, "a1", 99.0)], []) == {
            "late"
        }
        assert (await store.get_notifications(["late"]))[0].status.value == "cancelled"

    async def test_resend_routes_a_notification_again_from_the_start(self, store):
        citizen = (await store.upsert_dossier(dossier())).dossier.applicant_id
        item = Notification(
            id="n1",
            citizen_id=citizen,
            purpose="dossier_received",
            source_event_id="e1",
            template="dossier_received",
            context={},
            dossier_code="H12-0001",
            next_at=10.0,
        )
        await store.add_notifications([item])
        gone = Progress("n1", DeliveryStatus.CANCELLED, None, ("sms",), 2, None, None, "withdrawn")
        await store.record_progress([gone], [])
        assert (await store.get_notifications(["n1"]))[0].reason == "withdrawn"
        for _ in range(2):  # idempotent
            again = await store.resend_notification("n1", 20.0)
            assert again is not None and again.status.value == "queued" and again.reason is None
            assert again.tried == () and again.tries == 0 and again.next_at == 20.0
        assert await store.resend_notification("nope", 20.0) is None

    async def test_attempts_keep_what_they_sent_until_purged(self, store):
        """Issue 11 item 5: text, subject and masked address on every attempt; the purge
        blanks texts older than the cut-off and keeps the row."""
        citizen = (await store.upsert_dossier(dossier())).dossier.applicant_id
        # Two purposes: two status notices would supersede each other (item 3).
        notes = [
            Notification(f"n{i}", citizen, purpose, f"e{i}", "t", {}, dossier_code="H12-0001")
            for i, purpose in ((1, "overdue_apology"), (2, "dossier_status"))
        ]
        await store.add_notifications(notes)
        old, new = "2026-08-01T02:00:00.000+00:00", "2026-11-20T02:00:00.000+00:00"
        await store.start_sending(
            [Progress(n.id, NS.SENDING, "email", (), 1, f"a{n.id}", None) for n in notes],
            [
                DeliveryAttempt(
                    "an1",
                    "n1",
                    "email",
                    "smtp",
                    NS.SENDING,
                    old,
                    old,
                    address="c***@example.vn",
                    subject="S1",
                    text="T1",
                ),
                DeliveryAttempt(
                    "an2",
                    "n2",
                    "email",
                    "smtp",
                    NS.SENDING,
                    new,
                    new,
                    address="c***@example.vn",
                    subject="S2",
                    text="T2",
                ),
            ],
        )
        sent = await store.last_sent(10)
        assert [(r["provider"], r["address"], r["subject"], r["text"], r["dossier_code"]) for r in sent] == [
            ("smtp", "c***@example.vn", "S1", "T1", "H12-0001"),
            ("smtp", "c***@example.vn", "S2", "T2", "H12-0001"),
        ]
        assert [r["text"] for r in await store.sent_after(sent[0]["id"], 10)] == ["T2"]
        assert await store.purge_sent_texts(T0 - timedelta(days=1)) == 1
        assert await store.purge_sent_texts(T0 - timedelta(days=1)) == 0
        [first] = (await store.get_notifications(["n1"]))[0].attempts
        assert (first.text, first.subject, first.address, first.status) == (None, None, "c***@example.vn", NS.SENDING)
        [second] = (await store.get_notifications(["n2"]))[0].attempts
        assert (second.text, second.subject) == ("T2", "S2")

    async def test_overdue_since_leaves_out_dossiers_late_for_longer(self, store):
        """Issue 11 item 4: a dossier late since before `since` is back-filled history."""
        await store.upsert_dossier(dossier(code="H12-OLD", due_at=T0 - timedelta(days=60)))
        await store.upsert_dossier(dossier(code="H12-NEW", due_at=T0 - timedelta(hours=2)))
        assert sorted(await store.overdue_without_apology(T0, 10)) == ["H12-NEW", "H12-OLD"]
        assert await store.overdue_without_apology(T0, 10, since=T0 - timedelta(days=1)) == ["H12-NEW"]


class TestRecordedMessages:
    async def test_recorded_once_per_attempt_in_order(self, store):
        row = ("att-1", "recording-sms", "sms", "+84912345678", None, "Xin chào", None, "2026-11-20T02:00:00")
        await store.record_messages([row, row, ("att-2", *row[1:5], "Tạm biệt", *row[6:])])
        kept = await store.recorded_after(0, 10)
        assert [(r["attempt_id"], r["body"]) for r in kept] == [("att-1", "Xin chào"), ("att-2", "Tạm biệt")]
        assert [r["attempt_id"] for r in await store.last_recorded(1)] == ["att-2"]
        assert await store.recorded_after(kept[-1]["id"], 10) == []


class TestConversationStore:
    async def test_a_retried_webhook_is_one_message_and_escalation_waits_once(self, store):
        record = InboundRecord(Channel.SMS, "+84912345678", "lệ phí bao nhiêu", "SM1")

        def events_for(conversation_id):
            return [
                InboundMessageReceived(
                    conversation_id=conversation_id,
                    channel="sms",
                    sender="+84912345678",
                    text="lệ phí bao nhiêu",
                    provider_message_id="SM1",
                )
            ]

        first = await store.add_inbound(record, events_for)
        again = await store.add_inbound(record, events_for)
        assert first.new_message and first.new_conversation and not again.new_message
        assert again.conversation_id == first.conversation_id
        await store.add_outbound(first.conversation_id, Channel.SMS, "Lệ phí là 0 đồng", [])
        conversation = await store.get_conversation(first.conversation_id)
        assert [m["text"] for m in conversation["messages"]] == ["lệ phí bao nhiêu", "Lệ phí là 0 đồng"]
        assert [c["id"] for c in await store.list_conversations(channel=Channel.SMS)] == [first.conversation_id]
        assert await store.escalate(first.conversation_id, "request_human") is not None
        assert await store.escalate(first.conversation_id, "request_human") is None
        assert len(await store.list_escalations()) == 1
        assert await store.count_open_escalations() == 1

    async def test_the_options_offered_are_those_of_the_last_turn(self, store):
        """Issue 11 item 11: a bare number answers the buttons of the replies
        to the citizen's previous message, never an older turn's."""

        async def inbound(text: str, sid: str) -> str:
            record = InboundRecord(Channel.SMS, "+84912345679", text, sid)
            return (await store.add_inbound(record, lambda _: [])).conversation_id

        menu = [{"title": "Khai sinh", "payload": "/a"}, {"title": "Kết hôn", "payload": "/b"}]
        conversation = await inbound("lệ phí", "SM-o1")
        assert await store.offered_options(conversation) == []
        await store.add_outbound(conversation, Channel.SMS, "Thủ tục nào?", menu)
        await store.add_outbound(conversation, Channel.SMS, "Hoặc gọi đường dây nóng.", [])
        assert await inbound("2", "SM-o2") == conversation
        assert await store.offered_options(conversation) == menu
        await store.add_outbound(conversation, Channel.SMS, "Lệ phí: 0 đồng.", [])
        await inbound("1", "SM-o3")
        assert await store.offered_options(conversation) == []


class TestBroadcastStore:
    async def test_a_broadcast_is_created_once_and_cancelled(self, store):
        broadcast = Broadcast(
            id="b1", template="announcement", context={}, source="api", total=0, state="loading", created_at=""
        )
        created = await store.create_broadcast(broadcast)
        assert created.id == "b1" and (await store.get_broadcast("b1")).state == "loading"
        await store.add_broadcast_recipients("b1", [], total=0, done=True)
        assert (await store.get_broadcast("b1")).state == "active"
        await store.cancel_broadcast("b1")
        assert (await store.get_broadcast("b1")).state == "cancelled"
        assert await store.get_broadcast("nope") is None
