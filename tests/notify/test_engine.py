"""The notification engine end to end inside one process, with a hand-moved
clock: routing, consent, quiet hours, holidays, fallback, retries, receipts,
dedupe, crash recovery, overdue apologies and followers."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from channels.port import Limit
from models.citizen import Channel, ConsentRecord
from models.notifications import FOLLOW_CONFIRMATION, Notification, Receipt
from models.notifications import DeliveryStatus as S
from models.timeutil import VN_TZ
from notify.sender import Policy
from tests.support.harness import APPLICANT, CODE, make_harness


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path)
    yield harness
    await harness.store.close()


async def only(h, code=CODE, purpose="dossier_status"):
    items = [n for n in await h.notifications(code) if n.purpose == purpose]
    assert len(items) == 1, items
    return items[0]


async def test_status_change_reaches_the_first_consented_channel(h):
    await h.dossier()
    await h.pump()  # told before the next news: not superseded by it (issue 11 item 3)
    await h.status("received", "e1")
    await h.pump()
    received = [n for n in await h.notifications() if n.purpose == "dossier_status"]
    assert [n.template for n in received] == ["dossier_received"]
    registered, message = h.sent(Channel.TELEGRAM)
    assert message.address == "777001" and CODE in message.text
    assert received[0].status is S.DELIVERED
    assert [a.status for a in received[0].attempts] == [S.DELIVERED]
    assert not h.sent(Channel.SMS) and not h.sent(Channel.EMAIL)


async def test_registration_is_told_once_and_repeats_are_not(h):
    await h.dossier()
    await h.pump()
    await h.status("received", "e1")
    await h.status("received", "e2", note="Bổ sung ghi chú")  # same status again: not news
    await h.pump()
    purposes = sorted(n.purpose for n in await h.notifications())
    assert purposes == ["dossier_received", "dossier_status"]
    assert len(h.sent(Channel.TELEGRAM)) == 2


async def test_planning_the_same_events_twice_sends_once(h):
    await h.dossier()
    await h.status("received", "e1")
    events = await h.plan()
    await h.planner.handle(events)  # the bus delivered everything again
    await h.send()
    await h.planner.handle(events)  # and once more after sending
    await h.send()
    # Planned together, the registration was superseded by the newer news (issue 11 item 3).
    assert len(h.sent(Channel.TELEGRAM)) == 1
    assert len(await h.notifications()) == 2


async def test_withdrawn_consent_moves_to_the_next_channel(h):
    await h.dossier()
    citizen_id = (await h.store.get_dossier(CODE)).applicant_id
    await h.store.add_consent(
        citizen_id,
        ConsentRecord(
            channel=Channel.TELEGRAM,
            granted=False,
            at=datetime.now(UTC),
            via="telegram_block",
            legal_basis="withdrawal",
        ),
    )
    await h.pump()
    await h.status("received", "e1")
    await h.pump()
    assert not h.sent(Channel.TELEGRAM)
    assert len(h.sent(Channel.SMS)) == 2


async def test_consent_basis_without_consent_sends_nothing(h):
    # Dossier notices go under the public task by default (issue 11 item 1): a
    # province that sets them to consent gets nothing sent without one.
    h.planner.legal_bases = {**h.planner.legal_bases, "dossier_received": "consent"}
    await h.dossier(applicant=replace(APPLICANT, consents=()))
    await h.pump()
    n = await only(h, purpose="dossier_received")
    assert n.status is S.CANCELLED and n.attempts == () and n.reason == "no_basis"
    assert not any(h.sent(c) for c in h.sinks)


async def test_night_sms_waits_for_morning(h):
    await h.dossier(applicant=replace(APPLICANT, preferred_channels=("sms",)))
    await h.pump()  # the registration goes in the morning
    h.clock.set(datetime(2026, 11, 25, 22, 30, tzinfo=VN_TZ))
    await h.status("received", "e1")
    await h.pump()
    assert len(h.sent(Channel.SMS)) == 1  # the registration, at 09:00
    n = await only(h)
    assert n.status is S.DEFERRED and n.reason == "quiet_hours"
    assert n.next_at == datetime(2026, 11, 26, 7, 0, tzinfo=VN_TZ).timestamp()
    h.clock.set(datetime(2026, 11, 26, 6, 59, tzinfo=VN_TZ))
    await h.send()
    assert len(h.sent(Channel.SMS)) == 1
    h.clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=VN_TZ))
    await h.send()
    assert len(h.sent(Channel.SMS)) == 2
    assert (await only(h)).status is S.DELIVERED


async def test_telegram_is_not_held_at_night(h):
    await h.dossier()
    await h.pump()
    h.clock.set(datetime(2026, 11, 25, 23, 0, tzinfo=VN_TZ))
    await h.status("received", "e1")
    await h.pump()
    assert len(h.sent(Channel.TELEGRAM)) == 2


async def test_holiday_defers_sms_past_the_holiday(h):
    await h.dossier(applicant=replace(APPLICANT, preferred_channels=("sms",)))
    h.clock.set(datetime(2027, 9, 2, 10, 0, tzinfo=VN_TZ))  # Quốc khánh
    await h.status("received", "e1")
    await h.pump()
    n = await only(h)
    assert n.status is S.DEFERRED
    allowed = datetime.fromtimestamp(n.next_at, VN_TZ)
    assert allowed.hour == 7 and allowed.date() > datetime(2027, 9, 2).date()


async def test_urgent_overrides_quiet_hours(h):
    await h.dossier(applicant=replace(APPLICANT, preferred_channels=("sms",)))
    h.clock.set(datetime(2026, 11, 25, 23, 0, tzinfo=VN_TZ))
    await h.pump()
    n = await only(h, purpose="dossier_received")
    assert n.status is S.DEFERRED
    # An operator marks it urgent (as an urgent template or broadcast would).
    await h.store.add_notifications(
        [replace(n, id="urgent1", source_event_id="urgent", urgent=True, next_at=h.clock.now)]
    )
    await h.send()
    assert len(h.sent(Channel.SMS)) == 1


async def test_permanent_failure_falls_back_and_records_every_attempt(tmp_path):
    h = await make_harness(tmp_path, fail={Channel.TELEGRAM: "permanent"})
    await h.dossier()
    await h.status("received", "e1")
    await h.pump()
    n = await only(h)
    assert [(a.channel, a.status) for a in n.attempts] == [("telegram", S.PERMANENT_FAILURE), ("sms", S.DELIVERED)]
    assert n.status is S.DELIVERED and n.tried == ("telegram",)
    await h.store.close()


async def test_a_provider_refusing_us_falls_back_at_once_and_tells_the_operator(tmp_path, caplog):
    h = await make_harness(tmp_path, fail={Channel.TELEGRAM: "refused"})
    await h.dossier()
    await h.status("received", "e1")
    with caplog.at_level(logging.ERROR, logger="notify.sender"):
        await h.pump()
    n = await only(h)
    # Not retried on telegram (no message would get through), and not held
    # against the citizen's address: a technical failure, not a permanent one.
    assert [(a.channel, a.status) for a in n.attempts] == [("telegram", S.TECHNICAL_FAILURE), ("sms", S.DELIVERED)]
    assert n.status is S.DELIVERED and n.tried == ("telegram",)
    refused = [r for r in caplog.records if r.name == "notify.sender" and r.levelno == logging.ERROR]
    assert refused and {r.provider for r in refused} == {"recording-telegram"}
    assert "recording-telegram" in refused[0].getMessage()
    await h.store.close()


async def test_no_receipt_before_the_deadline_falls_back(tmp_path):
    h = await make_harness(tmp_path, receipts=False)
    await h.dossier()
    await h.status("received", "e1")
    await h.pump()
    n = await only(h)
    assert n.status is S.SENT and [a.channel for a in n.attempts] == ["telegram"]
    h.clock.advance(599)
    await h.send()
    assert len((await only(h)).attempts) == 1
    h.clock.advance(2)  # Telegram's 10 minutes are up
    await h.send()
    n = await only(h)
    assert [(a.channel, a.status) for a in n.attempts] == [("telegram", S.SENT), ("sms", S.SENT)]
    # A late receipt for the first attempt still counts: the citizen has it.
    await h.receipts.apply([Receipt("recording-telegram", n.attempts[0].provider_ref, S.DELIVERED)])
    n = await only(h)
    assert n.status is S.DELIVERED and n.next_at is None
    await h.store.close()


async def test_temporary_failures_retry_with_backoff_then_fall_back(tmp_path):
    h = await make_harness(
        tmp_path,
        fail={Channel.TELEGRAM: "temporary"},
        policy=Policy(max_attempts=3, backoff_base=10, backoff_cap=60, lease=30),
    )
    await h.dossier()
    await h.status("received", "e1")
    await h.plan()
    await h.send()
    n = await only(h)
    assert n.status is S.TEMPORARY_FAILURE and n.tries == 1
    assert 5 <= n.next_at - h.clock.now <= 10  # equal jitter: at least half the backoff
    for tries in (2, 3):
        h.clock.now = n.next_at
        await h.send()
        n = await only(h)
        if tries < 3:
            assert n.status is S.TEMPORARY_FAILURE and n.tries == tries
            assert n.next_at - h.clock.now <= 10 * 2 ** (tries - 1)
    assert [a.status for a in n.attempts] == [
        S.TEMPORARY_FAILURE,
        S.TEMPORARY_FAILURE,
        S.TECHNICAL_FAILURE,
        S.DELIVERED,
    ]
    assert n.attempts[-1].channel == "sms" and n.status is S.DELIVERED
    await h.store.close()


async def test_retry_after_from_the_provider_is_honoured(h):
    from channels.port import Provider
    from models.errors import RetryableError

    class Busy(Provider):
        name, channel = "busy-telegram", Channel.TELEGRAM

        def limits(self, message):
            return []

        async def send(self, message):
            raise RetryableError("429", retry_after=300)

    h.channels.register(Busy())
    await h.dossier()
    await h.pump()
    n = await only(h, purpose="dossier_received")
    assert n.status is S.TEMPORARY_FAILURE and n.next_at == pytest.approx(h.clock.now + 300)


async def test_failure_receipt_falls_back(tmp_path):
    h = await make_harness(tmp_path, receipts=False)
    await h.dossier()
    await h.pump()
    n = await only(h, purpose="dossier_received")
    await h.receipts.apply(
        [Receipt("recording-telegram", n.attempts[0].provider_ref, S.PERMANENT_FAILURE, "bot was blocked")]
    )
    await h.send()
    n = await only(h, purpose="dossier_received")
    assert [(a.channel, a.status) for a in n.attempts] == [("telegram", S.PERMANENT_FAILURE), ("sms", S.SENT)]
    # Receipts never move an attempt backwards.
    await h.receipts.apply(
        [
            Receipt("recording-sms", n.attempts[1].provider_ref, S.DELIVERED),
            Receipt("recording-telegram", n.attempts[0].provider_ref, S.SENT),
        ]
    )
    n = await only(h, purpose="dossier_received")
    assert [a.status for a in n.attempts] == [S.PERMANENT_FAILURE, S.DELIVERED] and n.status is S.DELIVERED
    await h.store.close()


async def test_a_crash_mid_send_resends_the_same_attempt_once(h):
    await h.dossier()
    await h.plan()
    [n] = await h.store.due_notifications(h.clock.now, 10)
    contacts = await h.store.get_contacts([n.citizen_id])
    step = await h.sender._decide(n, contacts[n.citizen_id], h.clock.now, "2026-11-25T02:00:00")
    assert await h.store.claim_notifications([n.id], h.clock.now, 30) == {n.id}
    assert await h.store.claim_notifications([n.id], h.clock.now, 30) == set()  # leased: nobody else
    await h.store.start_sending([step.update], [step.attempt])
    await step.provider.send(step.outgoing)  # the provider took it ... and the process died here
    h.clock.advance(10)
    assert await h.send() == 0  # still leased
    h.clock.advance(21)
    await h.send()
    n = await only(h, purpose="dossier_received")
    assert len(n.attempts) == 1 and n.attempts[0].id == step.attempt.id and n.status is S.DELIVERED
    assert len(h.sent(Channel.TELEGRAM)) == 1  # same attempt id: the provider kept one message


async def test_overdue_dossier_gets_one_apology(h):
    due = datetime(2026, 11, 24, 17, 0, tzinfo=VN_TZ)
    await h.dossier(due_at=due)
    await h.pump()
    assert await h.overdue.run_once() == 1
    assert await h.overdue.run_once() == 0
    await h.send()
    apology = await only(h, purpose="overdue_apology")
    assert apology.template == "overdue_apology" and apology.status is S.DELIVERED
    assert "xin lỗi" in h.sent(Channel.TELEGRAM)[-1].text.lower()


async def test_a_new_due_date_on_a_late_dossier_is_the_apologys_return_date(h):
    await h.dossier(due_at=datetime(2026, 11, 24, 17, 0, tzinfo=VN_TZ))
    await h.status("received", "e1")
    await h.pump()
    await h.status("in_progress", "e2", due_at=datetime(2026, 12, 2, 17, 0, tzinfo=VN_TZ))
    await h.pump()
    apology = await only(h, purpose="overdue_apology")
    assert apology.context["new_due_at_display"] == "02/12/2026 17:00"
    assert "02/12/2026" in h.sent(Channel.TELEGRAM)[-2].text + h.sent(Channel.TELEGRAM)[-1].text
    assert await h.overdue.run_once() == 0  # already apologised


async def test_followers_are_told_like_the_applicant(h):
    await h.dossier()
    await h.pump()
    consent = ConsentRecord(
        channel=Channel.EMAIL, granted=True, at=datetime.now(UTC), via="email_keyword", legal_basis="consent"
    )
    follower, added = await h.store.follow(CODE, Channel.EMAIL, "con.trai@example.vn", "api", consent)
    assert added
    await h.status("received", "e1")
    await h.pump()
    emails = h.sent(Channel.EMAIL)
    assert [m.address for m in emails] == ["con.trai@example.vn"]
    assert emails[0].subject and emails[0].html and emails[0].unsubscribe_url
    assert {n.citizen_id for n in await h.notifications() if n.purpose == "dossier_status"} == {
        follower,
        (await h.store.get_dossier(CODE)).applicant_id,
    }


async def test_supplement_request_lists_the_missing_documents(h):
    await h.dossier()
    await h.status("received", "e1")
    await h.status(
        "supplement_requested", "e2", note="Cần bổ sung:\n- Bản sao CCCD của cha\n- Giấy chứng sinh bản chính"
    )
    await h.pump()
    text = h.sent(Channel.TELEGRAM)[-1].text
    assert "Bản sao CCCD của cha" in text and "Giấy chứng sinh bản chính" in text


async def test_result_ready_says_where_to_collect(h):
    await h.dossier()
    await h.status("received", "e1")
    await h.status("result_ready", "e2", result={"method": "post", "tracking_code": "EB123456789VN"})
    await h.pump()
    assert "EB123456789VN" in h.sent(Channel.TELEGRAM)[-1].text


async def test_rate_limit_spaces_messages_to_one_chat(tmp_path):
    h = await make_harness(tmp_path, limits={Channel.TELEGRAM: [Limit("telegram:chat:777001", 1.0, 1)]})
    await h.dossier()
    await h.plan()
    await h.sender.run_once()
    await h.status("received", "e1")
    await h.plan()
    await h.sender.run_once()
    assert len(h.sent(Channel.TELEGRAM)) == 1
    waiting = [n for n in await h.notifications() if n.status is S.QUEUED]
    assert len(waiting) == 1 and waiting[0].next_at == pytest.approx(h.clock.now + 1.0)
    assert waiting[0].reason == "rate_limited"
    h.clock.advance(1.0)
    await h.send()
    assert len(h.sent(Channel.TELEGRAM)) == 2
    await h.store.close()


async def test_unknown_template_variable_fails_the_channel_not_silently(h):
    await h.dossier()
    await h.pump()
    n = await only(h, purpose="dossier_received")
    await h.store.add_notifications(
        [
            replace(
                n,
                id="broken",
                source_event_id="x",
                template="no_such_template",
                status=S.QUEUED,
                attempts=(),
                next_at=h.clock.now,
            )
        ]
    )
    await h.send()
    [broken] = [x for x in await h.notifications() if x.id == "broken"]
    assert broken.status is S.PERMANENT_FAILURE
    assert all(a.status is S.PERMANENT_FAILURE for a in broken.attempts) and broken.attempts


async def test_consent_is_judged_at_send_time(h):
    """A withdrawal that arrives while a message waits for morning wins."""
    await h.dossier(applicant=replace(APPLICANT, preferred_channels=("sms",)))
    h.clock.set(datetime(2026, 11, 25, 22, 0, tzinfo=VN_TZ))
    await h.pump()
    citizen_id = (await h.store.get_dossier(CODE)).applicant_id
    await h.store.add_consent(
        citizen_id,
        ConsentRecord(
            channel=Channel.SMS,
            granted=False,
            at=datetime.now(UTC) + timedelta(seconds=1),
            via="sms_keyword HUY",
            legal_basis="withdrawal",
        ),
    )
    h.clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=VN_TZ))
    await h.send()
    assert not h.sent(Channel.SMS)
    assert (await only(h, purpose="dossier_received")).status is S.CANCELLED


def test_operator_rate_limits_and_failures_reach_the_recording_providers(tmp_path):
    from hub.app import recording_channels
    from hub.settings import Settings

    channels = recording_channels(
        None, Settings(data_dir=tmp_path, rate_limits="sms=10/s:5,email=2/s", recording_fail="telegram=temporary")
    )
    assert channels.provider(Channel.SMS).limits(None) == [Limit("recording:sms", 10.0, 5)]
    assert channels.provider(Channel.EMAIL).limits(None) == [Limit("recording:email", 2.0, 2)]
    assert channels.provider(Channel.PHONE).limits(None) == []
    with pytest.raises(ValueError, match="N/s"):
        recording_channels(None, Settings(data_dir=tmp_path, rate_limits="sms=10"))


def _confirmation(channel: Channel):
    def build(request_id: str, citizen_id: str):
        return Notification(
            id="n-" + request_id,
            citizen_id=citizen_id,
            purpose=FOLLOW_CONFIRMATION,
            source_event_id=f"follow:{request_id}",
            template=FOLLOW_CONFIRMATION,
            context={"follow_request": request_id, "channel": channel.value, "dossier_code": CODE, "minutes": 15},
            dossier_code=CODE,
            urgent=True,
            next_at=0.0,
        )

    return build


async def test_a_follow_confirmation_goes_to_its_one_address_without_consent_and_at_night(h):
    await h.dossier()
    await h.pump()
    h.clock.now = datetime(2026, 11, 25, 23, 0, tzinfo=VN_TZ).timestamp()  # quiet hours for SMS
    asked = await h.store.request_follow(
        CODE,
        Channel.SMS,
        "+84912000777",
        limit=5,
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
        confirmation=_confirmation(Channel.SMS),
    )
    await h.send()
    [sms] = [m for m in h.sent(Channel.SMS) if m.address == "+84912000777"]
    code = h.sender.links.follow_code(asked.request.id)
    assert code in sms.text and CODE in sms.text
    [n] = [n for n in await h.notifications() if n.purpose == "follow_confirmation"]
    assert code not in str(n.context)  # derived when sent, never stored


async def test_a_follow_confirmation_is_not_sent_after_a_withdrawal_nor_elsewhere(h):
    await h.dossier()
    await h.pump()
    # The applicant's own phone, asked about by email: it has every consent, yet only
    # the address asked about may get the request, and the SMS withdrawal stops it.
    asked = await h.store.request_follow(
        CODE,
        Channel.SMS,
        APPLICANT.phone,
        limit=5,
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
        confirmation=_confirmation(Channel.SMS),
    )
    no = ConsentRecord(Channel.SMS, False, datetime.now(UTC), via="sms_keyword", legal_basis="withdrawal")
    await h.store.add_consent(asked.request.citizen_id, no)
    before = {c: len(h.sent(c)) for c in (Channel.SMS, Channel.TELEGRAM, Channel.EMAIL)}
    await h.send()
    assert {c: len(h.sent(c)) for c in before} == before  # no fallback to telegram or email either
    [n] = [n for n in await h.notifications() if n.purpose == "follow_confirmation"]
    assert n.status is S.CANCELLED
