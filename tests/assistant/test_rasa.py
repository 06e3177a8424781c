"""The Rasa assistant for real: the trained model behind `rasa run --enable-api`,
the custom actions in `rasa run actions`, and the dossier look-ups the action
hands back to the service, answered by the guarded lookup on the demo data
of a real `tongdai serve`, all driven through RasaEngine as the service
drives it.

The first run on a machine builds Rasa's environment and trains the model
(several minutes, cached under ~/.cache/tongdai); `make test` does that
before pytest starts.
"""

from __future__ import annotations

import uuid

import pytest

from assistant.port import FALLBACK_INTENT
from assistant.rasa_engine import RasaEngine
from contact_center.status import NOT_FOUND, StatusAnswers
from hub.api.guard import FailureLimiter
from hub.settings import Settings
from hub.store.sqlite import SqliteStore
from models.errors import RetryableError
from tests.support import rasa_peer
from tests.support.server import free_port

# Building and training on a fresh machine takes minutes: never cut short by a --timeout.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def rasa(tmp_path_factory):
    with rasa_peer.running(tmp_path_factory.mktemp("rasa")) as peer:
        yield peer


class Lookups:
    """The service's lookup on the demo data, remembering who asked."""

    def __init__(self, answers: StatusAnswers):
        self.answers = answers
        self.askers: list[str | None] = []

    async def __call__(self, code: str, digits: str, asker: str | None = None) -> str:
        self.askers.append(asker)
        return await self.answers.text(code, digits, asker)


@pytest.fixture
async def lookups(rasa):
    store = SqliteStore(Settings(data_dir=rasa.data_dir).database_path)
    await store.open()
    defaults = Settings()  # the service's limits: per asker, and a higher one per code
    guard = FailureLimiter(
        defaults.lookup_max_failures,
        defaults.lookup_window_seconds,
        limits={"code:": defaults.lookup_max_failures_per_code},
    )
    yield Lookups(StatusAnswers(store, guard))
    await store.close()


@pytest.fixture
async def engine(rasa, lookups):
    async with RasaEngine(rasa.url, lookup=lookups, timeout=60) as engine:
        yield engine


def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("giờ làm việc của trung tâm thế nào ạ", "ask_office_hours"),
        ("xin chào", "greet"),
        ("lệ phí đăng ký khai sinh là bao nhiêu", "ask_fee"),
        ("cho tôi gặp cán bộ", "request_human"),
    ],
)
async def test_parse_gives_the_intent(engine, text, intent):
    parse = await engine.parse(text)
    assert parse.text == text
    assert parse.intent == intent, parse
    assert 0 < parse.confidence <= 1


async def test_parse_finds_a_dossier_code(engine):
    parse = await engine.parse("tra cứu hồ sơ 000.00.21.H12-241105-0012")
    assert parse.intent == "check_dossier_status", parse
    codes = [e.value for e in parse.entities if e.entity == "dossier_code"]
    assert codes == ["000.00.21.H12-241105-0012"], parse.entities


async def test_parse_maps_a_procedure_synonym(engine):
    parse = await engine.parse("lệ phí khai sinh bao nhiêu")
    assert [e.value for e in parse.entities if e.entity == "procedure"] == ["khai_sinh"], parse


async def test_greeting_offers_buttons(engine):
    replies = await engine.turn(sender(), "xin chào")
    assert len(replies) == 1
    assert "trợ lý ảo" in replies[0].text
    assert [b.payload for b in replies[0].buttons] == ["/check_dossier_status", "/ask_office_hours", "/request_human"]
    assert replies[0].buttons[0].title == "Tra cứu hồ sơ"


async def test_the_form_looks_the_dossier_up_in_tongdai(engine, rasa, lookups):
    dossier = rasa.dossier("BD-")  # BD-261015-0077 in the demo data
    me = sender()
    assert not await engine.in_form(me)
    asked = await engine.turn(me, "tra cứu hồ sơ")
    assert "mã hồ sơ" in asked[-1].text
    assert await engine.in_form(me)  # an answer now is not a misunderstanding

    asked = await engine.turn(me, dossier.code)
    assert "4 số cuối" in asked[-1].text

    answer = await engine.turn(me, dossier.verify)
    assert not await engine.in_form(me)
    text = "\n".join(r.text for r in answer)
    # The action hands the look-up back; the service's own lookup answers.
    assert f"Hồ sơ {dossier.code}" in text
    assert dossier.status in text
    # Word for word what every other channel says (contact_center/status.py status_line).
    assert answer[-1].text == await lookups.answers.text(dossier.code, dossier.verify)


async def test_the_form_rejects_a_bad_code_and_bad_digits(engine, rasa):
    dossier = rasa.dossier("H12.22-")
    me = sender()
    await engine.turn(me, "tra cứu hồ sơ")
    again = await engine.turn(me, "abc")
    assert "chưa đúng định dạng" in again[0].text
    # The code inside a sentence, typed in lower case.
    asked = await engine.turn(me, f"mã của tôi là {dossier.code.lower()} ạ")
    assert "4 số cuối" in asked[-1].text
    again = await engine.turn(me, "12")
    assert "đúng 4 chữ số" in again[0].text
    answer = await engine.turn(me, dossier.verify)
    assert f"Hồ sơ {dossier.code}" in answer[-1].text


async def test_asking_for_an_officer_leaves_the_form(engine, rasa):
    me = sender()
    await engine.turn(me, "tra cứu hồ sơ")
    await engine.turn(me, rasa.dossier("BD-").code)
    handoff = await engine.turn(me, "cho tôi gặp cán bộ")
    assert "chuyển tới cán bộ" in handoff[-1].text  # utter_handoff, not "enter 4 digits"
    again = await engine.turn(me, "tra cứu hồ sơ")
    assert "mã hồ sơ" in again[-1].text  # a fresh look-up


async def test_wrong_digits_get_tongdais_message(engine, rasa):
    dossier = rasa.dossier("000.00.21.H12-")
    wrong = "0000" if dossier.verify != "0000" else "1111"
    me = sender()
    await engine.turn(me, "tra cứu hồ sơ")
    await engine.turn(me, dossier.code)
    answer = await engine.turn(me, wrong)
    # The service's own message, word for word (contact_center/status.py NOT_FOUND).
    assert answer[-1].text == NOT_FOUND


async def test_look_ups_count_against_the_asker_not_the_conversation(engine, rasa, lookups):
    # Before issue 10 the action server asked the HTTP API itself: every
    # citizen shared its address as the guard's key, and whoever wrote got
    # the guesses of all. Now a fresh conversation buys no fresh allowance.
    dossier = rasa.dossier("BD-")
    wrong = "0000" if dossier.verify != "0000" else "1111"

    async def look_up(digits: str, asker: str) -> str:
        me = sender()
        await engine.turn(me, "tra cứu hồ sơ", asker=asker)
        await engine.turn(me, dossier.code, asker=asker)
        return (await engine.turn(me, digits, asker=asker))[-1].text

    for _ in range(5):
        assert await look_up(wrong, "addr:203.0.113.9") == NOT_FOUND
    assert await look_up(dossier.verify, "addr:203.0.113.9") == NOT_FOUND  # limited
    assert lookups.askers[-6:] == ["addr:203.0.113.9"] * 6
    assert f"Hồ sơ {dossier.code}" in await look_up(dossier.verify, "addr:198.51.100.7")


async def test_a_fee_question_with_a_procedure_answers_from_knowledge(engine):
    replies = await engine.turn(sender(), "lệ phí đăng ký khai sinh là bao nhiêu")
    text = "\n".join(r.text for r in replies)
    assert "Miễn lệ phí khi đăng ký đúng hạn" in text  # knowledge.yml, procedures.khai_sinh.fee


async def test_a_fee_question_without_a_procedure_asks_which(engine):
    me = sender()
    replies = await engine.turn(me, "lệ phí bao nhiêu tiền")
    assert replies[-1].buttons, replies
    choice = next(b for b in replies[-1].buttons if "khai_sinh" in b.payload)
    answer = await engine.turn(me, choice.payload)
    assert "Miễn lệ phí khi đăng ký đúng hạn" in answer[-1].text


async def test_office_hours_answer_from_knowledge(engine):
    replies = await engine.turn(sender(), "giờ làm việc của trung tâm thế nào ạ")
    assert "7:30" in replies[-1].text


async def test_an_unreachable_rasa_is_retryable():
    async with RasaEngine(f"http://127.0.0.1:{free_port()}", timeout=5) as engine:
        with pytest.raises(RetryableError):
            await engine.parse("xin chào")
        with pytest.raises(RetryableError):
            await engine.turn("x", "xin chào")


def test_fallback_intent_is_rasas():
    assert FALLBACK_INTENT == "nlu_fallback"
