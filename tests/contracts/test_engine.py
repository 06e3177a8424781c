"""One contract, every assistant engine: the built-in one, the scripted one,
and Rasa where its environment and model are built (`make rasa`; the
parameter is skipped, saying which is missing, where they are not)."""

from __future__ import annotations

import uuid

import pytest

from assistant.builtin import BuiltinEngine
from assistant.port import FALLBACK_INTENT, Engine, Parse
from assistant.rasa_engine import RasaEngine
from assistant.scripted import ScriptedEngine
from assistant.service import Assistant
from hub.settings import Settings
from models.messages import Reply
from tests.support import rasa_peer

pytestmark = pytest.mark.timeout(900)  # a first Rasa start needs minutes on 2 cores

GIBBERISH = "qwzx plmk vbnr"
# The organisation as the settings give it (hub/app.py org_of): the only source of the hotline and website.
ORG = {"name": "Trung tâm thử nghiệm", "hotline": "0200 3 123 456", "website": "https://dvc.thu-nghiem.example.vn"}


LOOKUPS: list[tuple[str, str, str | None]] = []  # what the engines asked the service's lookup


async def _no_dossier(code: str, digits: str, asker: str | None = None) -> str:
    LOOKUPS.append((code, digits, asker))
    return "Không tìm thấy hồ sơ."


def rasa_missing() -> str | None:
    manage = rasa_peer.load_manage()
    complete, model = manage.venv_path() / ".tongdai-complete", manage.model_path()
    missing = [str(p) for p in (complete, model) if not p.exists()]
    return f"Rasa is not built here: missing {', '.join(missing)} (`make rasa` builds it)" if missing else None


@pytest.fixture(scope="module")
def builtin() -> BuiltinEngine:
    # Module scope runs outside the event loop: training blocks nothing (and is cached).
    return BuiltinEngine.train_sync(_no_dossier, cache_dir=Settings().assistant_cache, org=ORG)


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory):
    missing = rasa_missing()
    if missing:
        pytest.skip(missing)
    with rasa_peer.running(tmp_path_factory.mktemp("rasa")) as peer:
        yield peer.url


def scripted() -> ScriptedEngine:
    return ScriptedEngine({"greet": "Xin chào Ông/Bà, tôi có thể giúp gì?"}, intents={"xin chào": "greet"})


@pytest.fixture(params=["builtin", "scripted", "rasa"])
async def engine(request) -> Engine:
    if request.param == "builtin":
        yield request.getfixturevalue("builtin")
    elif request.param == "scripted":
        yield scripted()
    else:
        engine = RasaEngine(request.getfixturevalue("rasa_url"), lookup=_no_dossier, timeout=60, org=ORG)
        await engine.start()
        yield engine
        await engine.close()


@pytest.fixture(params=["builtin", "rasa"])
async def answering(request) -> Engine:
    """The engines that answer from knowledge.yml (a script answers only what it is given)."""
    if request.param == "builtin":
        yield request.getfixturevalue("builtin")
    else:
        engine = RasaEngine(request.getfixturevalue("rasa_url"), lookup=_no_dossier, timeout=60, org=ORG)
        await engine.start()
        yield engine
        await engine.close()


async def talk(engine: Engine, *texts: str) -> list[str]:
    """One conversation; the text of each turn's replies."""
    me = sender()
    return ["\n".join(r.text for r in await engine.turn(me, text)) for text in texts]


def sender() -> str:
    return f"contract-{uuid.uuid4().hex[:12]}"


async def test_has_a_name(engine):
    assert isinstance(engine.name, str) and engine.name


async def test_parse_gives_the_intent_with_a_confidence(engine):
    parse = await engine.parse("xin chào")
    assert isinstance(parse, Parse) and parse.text == "xin chào"
    assert parse.intent == "greet" and 0 < parse.confidence <= 1


async def test_a_button_payload_names_its_intent(engine):
    assert (await engine.parse("/greet")).intent == "greet"


async def test_any_text_parses_to_some_intent(engine):
    # Which one differs: the built-in engine calls gibberish out_of_scope, a script the fallback.
    parse = await engine.parse(GIBBERISH)
    assert parse.text == GIBBERISH and parse.intent and 0 <= parse.confidence <= 1


async def test_a_turn_answers_with_replies(engine):
    replies = await engine.turn(sender(), "xin chào")
    assert replies and all(isinstance(r, Reply) and r.text for r in replies)


async def test_a_look_up_goes_to_the_services_lookup_with_the_turns_asker(engine):
    # The asker (a client address, a verified sender) is the brute-force
    # guard's key: never the conversation id, which a web client chooses.
    me, asker = sender(), f"addr:{uuid.uuid4().hex[:8]}"
    for text in ("tra cứu hồ sơ", "BD-261015-0077"):
        await engine.turn(me, text, asker=asker)
    replies = await engine.turn(me, "1222", asker=asker)
    if isinstance(engine, ScriptedEngine):
        assert engine.askers[-3:] == [asker] * 3  # a script looks nothing up, but is handed the asker
    else:
        assert ("BD-261015-0077", "1222", asker) in LOOKUPS
        assert replies[-1].text == "Không tìm thấy hồ sơ."


async def test_a_new_conversation_is_in_no_form(engine):
    assert await engine.in_form(sender()) is False


async def test_start_and_close_are_safe_to_repeat():
    for engine in (scripted(), RasaEngine("http://127.0.0.1:9", timeout=1)):
        await engine.close()  # before start
        await engine.start()
        await engine.close()
        await engine.close()


async def test_defaults_come_from_the_port():
    class Minimal(Engine):
        name = "minimal"

        async def parse(self, text: str) -> Parse:
            return Parse(text, FALLBACK_INTENT, 0.0)

        async def turn(self, sender: str, text: str, *, asker: str | None = None) -> list[Reply]:
            return []

    engine = Minimal()
    await engine.start()
    assert await engine.in_form("x") is False
    await engine.close()


async def test_started_it_becomes_ready(engine):
    await engine.start()
    await engine.until_ready()
    assert engine.ready


async def test_the_builtin_engine_trains_at_start_not_before(tmp_path):
    engine = BuiltinEngine(_no_dossier, cache_dir=Settings().assistant_cache)
    assert not engine.ready  # built by bootstrap() without a second of CPU
    await engine.start()
    await engine.until_ready()
    assert engine.ready
    assert (await engine.parse("xin chào")).intent == "greet"
    await engine.close()


# ---------------------------------------------------------------- issue 11 items 9, 14, 15


async def test_the_hotline_question_gets_the_settings_hotline_and_website(answering):
    """Issue 11 item 14: not the office addresses, and one source: the settings."""
    [answer] = await talk(answering, "Số điện thoại đường dây nóng là gì")
    assert f"Đường dây nóng: {ORG['hotline']}." in answer and ORG["website"] in answer
    assert "nộp hồ sơ tại" not in answer


async def test_the_online_answer_cites_the_settings_website(answering):
    [answer] = await talk(answering, '/ask_online_submission{"procedure":"khai_sinh"}')
    assert f"Cổng dịch vụ công: {ORG['website']}" in answer


async def test_a_general_question_does_not_inherit_the_previous_procedure(answering):
    """Issue 11 item 15: after căn cước, the centre's address is the centre's."""
    _, where = await talk(answering, "làm căn cước cần giấy tờ gì", "địa chỉ trung tâm ở đâu")
    assert where.startswith("Ông/Bà có thể nộp hồ sơ tại:") and "căn cước" not in where


async def test_a_question_naming_another_procedure_answers_about_that_one(answering):
    kết_hôn, licence = await talk(answering, "nộp hồ sơ kết hôn ở đâu", "làm giấy phép lái xe ở đâu")
    assert kết_hôn.startswith("Nơi nộp hồ sơ Đăng ký kết hôn")
    assert licence.startswith("Nơi nộp hồ sơ Cấp đổi, cấp lại giấy phép lái xe") and "kết hôn" not in licence


async def test_a_follow_up_that_needs_the_procedure_still_inherits_it(answering):
    _, when = await talk(answering, "làm lý lịch tư pháp cần giấy tờ gì", "bao lâu thì có")
    assert when.startswith("Thời hạn giải quyết Cấp Phiếu lý lịch tư pháp")


async def test_a_procedure_left_behind_by_another_exchange_is_stale(answering):
    *_, fee = await talk(answering, "lệ phí kết hôn", "xin chào", "lệ phí bao nhiêu")
    assert fee.startswith("Ông/Bà muốn hỏi lệ phí của thủ tục nào") and "Đăng ký kết hôn: Miễn" not in fee


class _NoEscalation:
    async def escalate(self, conversation_id: str, reason: str):
        raise AssertionError(f"escalated {conversation_id}: {reason}")


def _owning(*codes: str):
    async def own() -> list[tuple[str, str, str]]:
        return [(code, f"Thủ tục {code[-1]}", f"Hồ sơ {code}: đang giải quyết.") for code in codes]

    return own


async def test_my_dossier_is_answered_from_the_conversations_own_dossiers(answering):
    """Issue 11 item 9, whichever the engine: no code asked of a linked chat."""
    assistant, me = Assistant(answering, _NoEscalation()), sender()  # type: ignore[arg-type]
    [one] = await assistant.converse(me, "hồ sơ của tôi đến đâu rồi", own=_owning("BD-261101-0001"))
    assert one.text == "Hồ sơ BD-261101-0001: đang giải quyết."
    own = _owning("BD-261110-0002", "BD-261101-0001")
    [which] = await assistant.converse(me, "hồ sơ của tôi đến đâu rồi", own=own)
    assert which.text.startswith("Ông/Bà có 2 hồ sơ:\n- BD-261110-0002 (Thủ tục 2)\n- BD-261101-0001 (Thủ tục 1)")
    [chosen] = await assistant.converse(me, which.buttons[1].payload, own=own)
    assert chosen.text == "Hồ sơ BD-261101-0001: đang giải quyết."
    [nothing_owned] = await assistant.converse(sender(), "hồ sơ của tôi đến đâu rồi", own=_owning())
    assert "mã hồ sơ" in nothing_owned.text
