"""The built-in engine's dialogue, driven by the project's domain.yml,
rules.yml and knowledge.yml, with parses built by hand (no NLU)."""

from __future__ import annotations

import random

import pytest

from assistant.dialogue import Dialogue, find_dossier_code, parse_payload
from assistant.domain import Domain
from assistant.knowledge import SAMPLE_NOTE, Knowledge
from assistant.port import FALLBACK_INTENT, Entity, Parse
from tests.support.clock import FakeClock

ASK_CODE = (
    "Ông/Bà vui lòng cho biết mã hồ sơ (in trên giấy tiếp nhận hồ sơ và hẹn trả kết quả), ví dụ: "
    "000.00.21.H12-241105-0012."
)
ASK_DIGITS = "Để bảo vệ thông tin cá nhân, Ông/Bà vui lòng nhập 4 số cuối của số điện thoại người nộp hồ sơ."
KHAI_SINH_FEE = "Lệ phí Đăng ký khai sinh: Miễn lệ phí khi đăng ký đúng hạn (trong 60 ngày kể từ ngày sinh)."
HANDOFF_START = "Yêu cầu của Ông/Bà đã được chuyển tới cán bộ tổng đài"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load()


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge.load()


class Lookup:
    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.askers: list[str | None] = []

    async def __call__(self, code: str, digits: str, asker: str | None = None) -> str:
        self.calls.append((code, digits))
        self.askers.append(asker)
        return f"Hồ sơ {code}: đang giải quyết, hẹn trả 20/11/2024."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lookup() -> Lookup:
    return Lookup()


@pytest.fixture
def dialogue(domain, knowledge, lookup, clock) -> Dialogue:
    return Dialogue(domain, knowledge, lookup, clock=clock, rng=random.Random(7))


def p(text: str, intent: str = FALLBACK_INTENT, confidence: float = 0.95, **entities: str) -> Parse:
    """A parse; entity values must appear in the text (their span is found)."""
    found = []
    for name, value in entities.items():
        start = text.lower().index(value.lower())
        found.append(Entity(name, value, start, start + len(value)))
    return Parse(text, intent, confidence if intent != FALLBACK_INTENT else min(confidence, 0.3), tuple(found))


async def texts(dialogue: Dialogue, parse: Parse, sender: str = "sms:+84912345821") -> list[str]:
    return [reply.text for reply in await dialogue.turn(sender, parse)]


# ---------------------------------------------------------------- loading


def test_domain_and_rules_load_as_plain_data(domain):
    assert domain.forms == {"dossier_form": ("dossier_code", "verify_digits")}
    assert domain.rule_for("greet").actions == ("utter_greet",)
    assert domain.rule_for("subscribe_notifications").actions == ("action_subscribe", "utter_subscribe_how")
    assert domain.rule_for("goodbye", "dossier_form").actions == ("action_deactivate_loop", "utter_goodbye")
    assert domain.rule_for("ask_fee", "dossier_form") is None
    assert domain.after_form("dossier_form") == ("action_check_dossier_status",)
    assert domain.intents_running("action_escalate") == {"request_human", "complaint"}
    assert domain.session_expiration_minutes == 60
    assert [b for b in domain.responses["utter_default"][0].buttons] == [
        ("Tra cứu hồ sơ", "/check_dossier_status"),
        ("Gặp cán bộ", "/request_human"),
    ]
    assert domain.problems() == []


def test_domain_refuses_a_rule_with_an_unknown_action():
    with pytest.raises(ValueError, match="utter_nowhere"):
        Domain.from_dicts(
            {"intents": ["greet"], "responses": {"utter_greet": [{"text": "Chào"}]}},
            {"rules": [{"rule": "x", "steps": [{"intent": "greet"}, {"action": "utter_nowhere"}]}]},
        )


def test_knowledge_answers_and_resolves_spellings(knowledge):
    assert knowledge.answer("ask_fee", "khai_sinh") == KHAI_SINH_FEE + "\n" + SAMPLE_NOTE
    assert knowledge.answer("ask_fee", "Khai Sinh") == knowledge.answer("ask_fee", "khai_sinh")
    assert knowledge.answer("ask_fee", None) is None
    assert knowledge.answer("ask_fee", "nấu phở") is None
    assert knowledge.answer("greet", None) is None
    assert knowledge.answer("ask_office_hours", None).startswith("Trung tâm làm việc từ thứ Hai đến thứ Sáu")
    assert "- Giấy chứng sinh" in knowledge.answer("ask_required_documents", "khai_sinh")
    assert knowledge.answer("ask_location", "ly_lich_tu_phap").startswith("Nơi nộp hồ sơ Cấp Phiếu lý lịch tư pháp:")
    assert knowledge.resolve("sổ hồng") == "so_do"  # an NLU synonym
    assert knowledge.find("thế còn làm căn cước thì sao") == "cap_doi_cccd"
    assert ("khai_sinh", "Đăng ký khai sinh") in knowledge.procedures()


def test_dossier_codes_are_pulled_out_of_text():
    assert find_dossier_code("mã hs của em là 000.00.21.h12-241105-0012 ạ") == "000.00.21.H12-241105-0012"
    assert find_dossier_code("H12.22-240301-0456") == "H12.22-240301-0456"
    assert find_dossier_code("hồ sơ BD-240915-0077, sđt đuôi 5821") == "BD-240915-0077"
    assert find_dossier_code("mã là 12345") is None


def test_parse_payload():
    parsed = parse_payload('/ask_fee{"procedure":"khai_sinh"}')
    assert (parsed.intent, parsed.confidence) == ("ask_fee", 1.0)
    assert [(e.entity, e.value) for e in parsed.entities] == [("procedure", "khai_sinh")]
    assert parse_payload("/request_human").entities == ()
    assert parse_payload("/greet@0.5").confidence == 0.5
    assert parse_payload("xin chào") is None
    assert parse_payload('/ask_fee{"procedure":') is None
    assert parse_payload("/tracuu BD-240915-0077 5821") is None
    assert parse_payload("/nonsense", intents=("greet",)) is None


# ---------------------------------------------------------------- rules


async def test_greet_gives_text_and_buttons(dialogue):
    [reply] = await dialogue.turn("a", p("xin chào", "greet"))
    assert reply.text.startswith("Xin chào Ông/Bà! Tôi là trợ lý ảo của Trung tâm Phục vụ hành chính công.")
    assert [(b.title, b.payload) for b in reply.buttons] == [
        ("Tra cứu hồ sơ", "/check_dossier_status"),
        ("Giờ làm việc", "/ask_office_hours"),
        ("Gặp cán bộ", "/request_human"),
    ]


async def test_goodbye_and_thank_pick_a_variant(domain, knowledge, lookup):
    class First(random.Random):
        def choice(self, seq):
            return seq[-1]

    dialogue = Dialogue(domain, knowledge, lookup, rng=First())
    assert await texts(dialogue, p("bye", "goodbye")) == ["Xin chào và hẹn gặp lại Ông/Bà!"]
    assert await texts(dialogue, p("cảm ơn", "thank")) == [
        "Rất vui được hỗ trợ Ông/Bà. Ông/Bà còn cần hỏi gì thêm không ạ?"
    ]


async def test_fallback_gives_utter_default_with_buttons(dialogue):
    [reply] = await dialogue.turn("a", p("asdf qwer", FALLBACK_INTENT, 0.2))
    assert reply.text.startswith("Xin lỗi, tôi chưa hiểu rõ ý Ông/Bà.")
    assert [b.payload for b in reply.buttons] == ["/check_dossier_status", "/request_human"]


async def test_an_intent_without_a_rule_falls_back(dialogue):
    [reply] = await dialogue.turn("a", p("ừ", "affirm", 0.9))
    assert reply.text.startswith("Xin lỗi, tôi chưa hiểu rõ ý Ông/Bà.")


async def test_out_of_scope(dialogue):
    assert (await texts(dialogue, p("giá vàng hôm nay", "out_of_scope")))[0].startswith(
        "Xin lỗi, tôi chỉ hỗ trợ các câu hỏi về thủ tục hành chính"
    )


async def test_subscribe_and_unsubscribe_explain_the_keywords(dialogue):
    how, after = await texts(dialogue, p("đăng ký nhận thông báo", "subscribe_notifications"))
    assert "THEODOI <mã hồ sơ> <4 số cuối điện thoại người nộp>" in how
    assert after.startswith("Thông báo được gửi qua chính kênh này")
    named = await texts(
        dialogue, p("theo dõi hồ sơ bd-240915-0077 giúp tôi", "subscribe_notifications", dossier_code="bd-240915-0077")
    )
    assert "THEODOI BD-240915-0077 <4 số cuối điện thoại>" in named[0]
    # Nothing is withdrawn by the assistant: no "Đã ghi nhận" confirmation.
    assert await texts(dialogue, p("hủy nhận thông báo", "unsubscribe")) == [
        "Để dừng nhận thông báo tự động, Ông/Bà nhắn một từ: HUY (hoặc HỦY) trên chính kênh này."
    ]


async def test_escalation_answers_handoff_and_is_flagged(dialogue):
    for intent in ("request_human", "complaint"):
        parse = p("cho tôi gặp cán bộ", intent)
        assert dialogue.escalates(parse)
        [text] = await texts(dialogue, parse)
        assert text.startswith(HANDOFF_START)
    assert dialogue.escalates(p("/request_human"))
    assert not dialogue.escalates(p("xin chào", "greet"))


# ---------------------------------------------------------------- the form


async def test_form_asks_code_then_digits_reasks_then_looks_up_once(dialogue, lookup):
    assert await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status")) == [ASK_CODE]
    assert dialogue.active_form("sms:+84912345821") == "dossier_form"

    [bad_code] = await texts(dialogue, p("hồ sơ nộp hôm thứ hai"))
    assert bad_code.startswith("Mã hồ sơ chưa đúng định dạng.")
    assert "BD-240915-0077" in bad_code

    assert await texts(dialogue, p("mã của em là h12.22-240301-0456 ạ")) == [ASK_DIGITS]

    [three] = await texts(dialogue, p("582"))
    assert three == (
        "Ông/Bà vừa nhập 3 chữ số. Vui lòng nhập đúng 4 chữ số: 4 số cuối của số điện thoại "
        "người nộp hồ sơ (ví dụ: 5821)."
    )
    [phone] = await texts(dialogue, p("0912345821"))
    assert phone.startswith("Ông/Bà vừa nhập 10 chữ số.")
    assert lookup.calls == []

    assert await texts(dialogue, p("số cuối là 5821 ạ")) == [
        "Hồ sơ H12.22-240301-0456: đang giải quyết, hẹn trả 20/11/2024."
    ]
    assert lookup.calls == [("H12.22-240301-0456", "5821")]
    assert dialogue.active_form("sms:+84912345821") is None

    # The slots were cleared: the next look-up asks again.
    assert await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status")) == [ASK_CODE]
    assert lookup.calls == [("H12.22-240301-0456", "5821")]


async def test_entities_up_front_skip_the_questions(dialogue, lookup):
    text = "mã hồ sơ 000.00.21.H12-241105-0012, 4 số cuối sđt 6688"
    replies = await texts(
        dialogue, p(text, "check_dossier_status", dossier_code="000.00.21.H12-241105-0012", verify_digits="6688")
    )
    assert replies == ["Hồ sơ 000.00.21.H12-241105-0012: đang giải quyết, hẹn trả 20/11/2024."]
    assert lookup.calls == [("000.00.21.H12-241105-0012", "6688")]


async def test_code_up_front_asks_only_digits(dialogue, lookup):
    assert await texts(
        dialogue, p("hs BD-240915-0077 xong chưa", "check_dossier_status", dossier_code="BD-240915-0077")
    ) == [ASK_DIGITS]
    # The "0077" of the code is not the verification digits.
    assert await texts(dialogue, p("đuôi 1590", "check_dossier_status", 0.8, verify_digits="1590")) == [
        "Hồ sơ BD-240915-0077: đang giải quyết, hẹn trả 20/11/2024."
    ]
    assert lookup.calls == [("BD-240915-0077", "1590")]


async def test_payload_starts_the_form(dialogue, lookup):
    assert await texts(dialogue, p("/check_dossier_status")) == [ASK_CODE]
    assert await texts(dialogue, p("BD-240915-0077 2086")) == [
        "Hồ sơ BD-240915-0077: đang giải quyết, hẹn trả 20/11/2024."
    ]
    assert lookup.calls == [("BD-240915-0077", "2086")]


async def test_a_clear_other_intent_leaves_the_form(dialogue, lookup):
    await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status"))
    [fee] = await texts(dialogue, p("lệ phí khai sinh bao nhiêu", "ask_fee", 0.9, procedure="khai sinh"))
    assert fee.startswith(KHAI_SINH_FEE)
    assert dialogue.active_form("sms:+84912345821") is None
    # A digits-looking reply is no longer taken for the form.
    [reply] = await texts(dialogue, p("5821"))
    assert reply.startswith("Xin lỗi, tôi chưa hiểu rõ ý Ông/Bà.")
    assert lookup.calls == []


async def test_an_unsure_other_intent_stays_in_the_form(dialogue):
    await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status"))
    [reply] = await texts(dialogue, p("phí bao nhiêu", "ask_fee", 0.45))
    assert reply.startswith("Mã hồ sơ chưa đúng định dạng.")
    assert dialogue.active_form("sms:+84912345821") == "dossier_form"


async def test_goodbye_or_thoi_mid_form_leaves_it(dialogue, lookup):
    await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status"))
    [bye] = await texts(dialogue, p("thôi chào em", "goodbye"))
    assert bye in {"Cảm ơn Ông/Bà đã liên hệ. Chúc Ông/Bà một ngày tốt lành!", "Xin chào và hẹn gặp lại Ông/Bà!"}
    assert dialogue.active_form("sms:+84912345821") is None

    await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status"))
    assert await texts(dialogue, p("Thôi")) == ["Đã dừng tra cứu hồ sơ. Ông/Bà cần hỗ trợ gì thêm cứ nhắn cho tôi."]
    assert dialogue.active_form("sms:+84912345821") is None
    assert lookup.calls == []


async def test_request_human_or_complaint_mid_form_leaves_it(dialogue):
    for parse in (p("/request_human"), p("tôi muốn khiếu nại", "complaint", 0.8)):
        await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status"))
        [text] = await texts(dialogue, parse)
        assert text.startswith(HANDOFF_START)
        assert dialogue.active_form("sms:+84912345821") is None


async def test_session_expiry_resets_the_form(dialogue, clock, lookup):
    await texts(dialogue, p("tra cứu hồ sơ", "check_dossier_status"))
    assert await texts(dialogue, p("BD-240915-0077")) == [ASK_DIGITS]
    clock.now += 59 * 60  # still the same session
    assert dialogue.active_form("sms:+84912345821") == "dossier_form"
    clock.now += 61 * 60
    assert dialogue.active_form("sms:+84912345821") is None
    [reply] = await texts(dialogue, p("5821"))
    assert reply.startswith("Xin lỗi, tôi chưa hiểu rõ ý Ông/Bà.")
    assert lookup.calls == []


async def test_reset_and_senders_are_separate_and_bounded(domain, knowledge, lookup):
    dialogue = Dialogue(domain, knowledge, lookup, max_senders=2)
    await dialogue.turn("a", p("tra cứu hồ sơ", "check_dossier_status"))
    await dialogue.turn("b", p("tra cứu hồ sơ", "check_dossier_status"))
    assert dialogue.active_form("a") == dialogue.active_form("b") == "dossier_form"
    dialogue.reset("a")
    assert dialogue.active_form("a") is None
    assert dialogue.active_form("b") == "dossier_form"
    await dialogue.turn("c", p("xin chào", "greet"))
    await dialogue.turn("d", p("xin chào", "greet"))
    assert dialogue.active_form("b") is None  # the least recently active was dropped


# ---------------------------------------------------------------- knowledge


async def test_payload_answers_the_fee_from_knowledge(dialogue):
    [reply] = await dialogue.turn("a", p('/ask_fee{"procedure":"khai_sinh"}'))
    assert reply.text == KHAI_SINH_FEE + "\n" + SAMPLE_NOTE
    assert reply.buttons == ()


async def test_fee_without_procedure_asks_with_buttons_then_takes_the_answer(dialogue):
    [reply] = await dialogue.turn("a", p("lệ phí bao nhiêu", "ask_fee"))
    assert reply.text.startswith("Ông/Bà muốn hỏi lệ phí của thủ tục nào ạ?")
    assert reply.buttons[0].title == "Đăng ký khai sinh"
    assert reply.buttons[0].payload == '/ask_fee{"procedure":"khai_sinh"}'
    assert {b.payload for b in reply.buttons} >= {
        '/ask_fee{"procedure":"ket_hon"}',
        '/ask_fee{"procedure":"ly_lich_tu_phap"}',
    }
    # The citizen types the procedure instead of pressing a button.
    [answer] = await texts(dialogue, p("kết hôn ạ"), sender="a")
    assert answer.startswith("Lệ phí Đăng ký kết hôn: Miễn lệ phí")


async def test_procedure_is_remembered_for_the_next_question(dialogue):
    await dialogue.turn(
        "a", p("làm lý lịch tư pháp cần giấy tờ gì", "ask_required_documents", procedure="lý lịch tư pháp")
    )
    [reply] = await dialogue.turn("a", p("bao lâu thì có", "ask_processing_time"))
    assert reply.text.startswith("Thời hạn giải quyết Cấp Phiếu lý lịch tư pháp: Không quá 10 ngày làm việc")


async def test_general_questions_need_no_procedure(dialogue):
    [hours] = await texts(dialogue, p("mấy giờ làm việc", "ask_office_hours"))
    assert hours.startswith("Trung tâm làm việc từ thứ Hai đến thứ Sáu: sáng 7:30–11:30")
    [places] = await texts(dialogue, p("nộp ở đâu", "ask_location"), sender="b")
    assert places.startswith("Ông/Bà có thể nộp hồ sơ tại:\n- Trung tâm Phục vụ hành chính công tỉnh An Lạc")


async def test_unknown_procedure_says_so(dialogue):
    [reply] = await dialogue.turn("a", p("lệ phí nuôi con nuôi", "ask_fee", procedure="nuôi con nuôi"))
    assert reply.text.startswith('Tôi chưa có thông tin về thủ tục "nuôi con nuôi". Ông/Bà muốn hỏi lệ phí')
    assert reply.buttons
