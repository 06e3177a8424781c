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
from hub.settings import Settings
from models.messages import Reply
from tests.support import rasa_peer

pytestmark = pytest.mark.timeout(900)  # a first Rasa start needs minutes on 2 cores

GIBBERISH = "qwzx plmk vbnr"


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
    return BuiltinEngine.train_sync(_no_dossier, cache_dir=Settings().assistant_cache)


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
        engine = RasaEngine(request.getfixturevalue("rasa_url"), lookup=_no_dossier, timeout=60)
        await engine.start()
        yield engine
        await engine.close()


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
