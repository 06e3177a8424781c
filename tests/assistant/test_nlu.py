"""The built-in NLU engine (assistant/nlu): training on the Rasa project's
data, held-out accuracy, calibration, fallback, entities, normalisation."""

from __future__ import annotations

import unicodedata
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from assistant.nlu import BuiltinNlu, fold, load_project, load_test_set, normalize
from assistant.nlu.training_data import strip_annotations
from assistant.port import FALLBACK_INTENT, Entity, Parse

ASSISTANT_DIR = Path(__file__).resolve().parents[2] / "assistant"
TEST_SET = ASSISTANT_DIR / "evaluation" / "test_set.yml"


@pytest.fixture(scope="module")
def nlu() -> BuiltinNlu:
    return BuiltinNlu.train()


@pytest.fixture(scope="module")
def data():
    return load_project()


@pytest.fixture(scope="module")
def test_set():
    return load_test_set(TEST_SET)


def _span(text: str, e: Entity) -> str:
    return text[e.start : e.end]


def _by_entity(parse: Parse) -> dict[str, list[Entity]]:
    out: dict[str, list[Entity]] = {}
    for e in parse.entities:
        out.setdefault(e.entity, []).append(e)
    return out


# ------------------------------------------------------------------ training
def test_training_reads_project(nlu, data):
    assert nlu.intents[:17] == data.intents[:17]
    assert len(nlu.intents) == 17 and "out_of_scope" in nlu.intents and "ask_contact" in nlu.intents
    assert nlu.training_examples == len(data.examples) > 17 * 25
    assert (nlu.threshold, nlu.ambiguity_threshold) == (0.4, 0.1)  # config.yml FallbackClassifier
    assert set(data.synonyms.values()) >= {"khai_sinh", "so_do", "ly_lich_tu_phap", "cap_doi_cccd"}
    assert [name for name, _ in data.regexes] == ["dossier_code", "verify_digits"]
    assert nlu.temperature > 0


def test_annotations_stripped_with_spans_and_values():
    text, ents = strip_annotations(
        "hồ sơ [sổ đỏ](procedure) mã [bd-1](dossier_code) "
        '[giấy KS]{"entity": "procedure", "value": "khai_sinh"} [x](a:b)'
    )
    assert text == "hồ sơ sổ đỏ mã bd-1 giấy KS x"
    assert [(e.entity, e.value, text[e.start : e.end]) for e in ents] == [
        ("procedure", "sổ đỏ", "sổ đỏ"),
        ("dossier_code", "bd-1", "bd-1"),
        ("procedure", "khai_sinh", "giấy KS"),
        ("a", "b", "x"),
    ]


def test_lookup_tables_are_read(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "domain.yml").write_text("intents:\n  - greet\n  - ask_fee\n", encoding="utf-8")
    (tmp_path / "data" / "nlu.yml").write_text(
        "nlu:\n- intent: greet\n  examples: |\n    - xin chào\n    - chào bạn\n    - alo\n    - hello\n"
        "    - chào ad\n- intent: ask_fee\n  examples: |\n    - lệ phí [khai sinh](procedure) bao nhiêu\n"
        "    - phí bao nhiêu\n    - mất bao nhiêu tiền\n    - có mất phí không\n    - tốn bao nhiêu\n"
        "- lookup: procedure\n  examples: |\n    - trích lục\n",
        encoding="utf-8",
    )
    small = BuiltinNlu.train(tmp_path, folds=2)
    parsed = small.parse("phí trích lục bao nhiêu")
    assert ("procedure", "trích lục") in {(e.entity, e.value) for e in parsed.entities}


# ------------------------------------------------------------ held-out set
def test_held_out_set_is_held_out(data, test_set):
    counts = Counter(ex.intent for ex in test_set)
    assert set(counts) == set(data.intents)
    assert min(counts.values()) >= 12
    training = {normalize(ex.text)[1] for ex in data.examples} | {normalize(ex.text)[0] for ex in data.examples}
    copied = [ex.text for ex in test_set if normalize(ex.text)[1] in training or normalize(ex.text)[0] in training]
    assert copied == []
    assert "held out" in TEST_SET.read_text(encoding="utf-8").lower()


def test_held_out_accuracy_and_macro_f1(nlu, test_set):
    parses = nlu.parse_many([ex.text for ex in test_set])
    gold = [ex.intent for ex in test_set]
    pred = [p.intent for p in parses]
    accuracy = float(np.mean([g == p for g, p in zip(gold, pred, strict=True)]))
    f1 = []
    for intent in nlu.intents:
        tp = sum(g == intent and p == intent for g, p in zip(gold, pred, strict=True))
        fp = sum(g != intent and p == intent for g, p in zip(gold, pred, strict=True))
        fn = sum(g == intent and p != intent for g, p in zip(gold, pred, strict=True))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    print(f"held-out accuracy {accuracy:.3f}, macro-F1 {np.mean(f1):.3f} on {len(gold)} examples")
    assert accuracy >= 0.85
    assert float(np.mean(f1)) >= 0.80
    assert set(pred) - {FALLBACK_INTENT} == set(nlu.intents)  # every intent is predicted somewhere


def test_confidence_is_calibrated_on_held_out(nlu, test_set):
    probs, _ = nlu.probabilities([ex.text for ex in test_set])
    confidence = probs.max(axis=1)
    correct = np.array([nlu.intents[i] == ex.intent for i, ex in zip(probs.argmax(axis=1), test_set, strict=True)])
    ece = 0.0  # expected calibration error over 10 confidence bins
    for lo, hi in pairwise(np.linspace(0.0, 1.0, 11)):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += float(in_bin.mean()) * abs(float(correct[in_bin].mean()) - float(confidence[in_bin].mean()))
    assert ece < 0.1
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_held_out_entities(nlu, test_set):
    synonyms = load_project().synonyms
    expected = found = 0
    for ex in test_set:
        got = {(e.entity, e.start, e.end) for e in nlu.parse(ex.text).entities}
        for e in ex.entities:
            expected += 1
            found += (e.entity, e.start, e.end) in got
            if e.entity == "procedure":
                assert ex.text[e.start : e.end] in synonyms or fold(ex.text[e.start : e.end]) in map(fold, synonyms)
    assert found / expected >= 0.9


# ---------------------------------------------------------------- fallback
@pytest.mark.parametrize(
    "text",
    [
        "asdkjh qwe zzz",
        "lorem ipsum dolor sit amet",
        "!!!",
        "",
        "jfjfjf",
        "thời tiết hà nội mai thế nào",
        "mua vé xem bóng đá tối nay",
    ],
)
def test_out_of_scope_and_gibberish(nlu, text):
    parsed = nlu.parse(text)
    assert parsed.intent in (FALLBACK_INTENT, "out_of_scope")


def test_fallback_reports_threshold_as_rasa_does(nlu):
    parsed = nlu.parse("asdkjh qwe zzz")
    assert parsed.intent == FALLBACK_INTENT
    assert parsed.confidence == pytest.approx(nlu.threshold)
    top = nlu.ranking("asdkjh qwe zzz", 2)
    assert top[0][1] < nlu.threshold or top[0][1] - top[1][1] < nlu.ambiguity_threshold


def test_fallback_can_report_top_confidence(data):
    nlu = BuiltinNlu.train(data=data, folds=2, fallback_confidence="top")
    parsed = nlu.parse("asdkjh qwe zzz")
    assert parsed.intent == FALLBACK_INTENT
    assert parsed.confidence == pytest.approx(nlu.ranking("asdkjh qwe zzz", 1)[0][1])


# ----------------------------------------------------------- normalisation
def test_fold_and_shorthand():
    assert fold("Đăng Ký Hồ Sơ") == "dang ky ho so"
    assert normalize("Hs cua e dc dk chua z?") == (
        "hồ sơ cua em được đăng ký chua vậy",
        "ho so cua em duoc dang ky chua vay",
    )
    assert normalize("đc ko, sđt bn") == ("được không số điện thoại bao nhiêu", "duoc khong so dien thoai bao nhieu")
    assert normalize(unicodedata.normalize("NFD", "Hồ sơ")) == ("hồ sơ", "ho so")
    assert normalize("5h chiều")[0] == "5 giờ chiều"


@pytest.mark.parametrize(
    "accented, variants",
    [
        ("hồ sơ của tôi đã xử lý xong chưa", ["ho so cua toi da xu ly xong chua", "hs cua t da xu ly xong chua"]),
        ("làm khai sinh cần giấy tờ gì", ["lam khai sinh can giay to gi", "lam ks can giay to j"]),
        ("lệ phí khai sinh bao nhiêu", ["le phi khai sinh bao nhieu", "le phi khai sinh bn"]),
        ("có nộp online được không", ["co nop online duoc khong", "co nop onl dc ko"]),
        ("đăng ký nhận thông báo", ["dang ky nhan thong bao", "dk nhan thong bao"]),
        ("tôi muốn nói chuyện với người thật", ["toi muon noi chuyen voi nguoi that", "t muon noi chuyen vs ng that"]),
        ("bây giờ còn mở cửa không", ["bay gio con mo cua khong", "bay gio con mo cua k"]),
    ],
)
def test_unaccented_and_shorthand_keep_the_intent(nlu, accented, variants):
    intent = nlu.parse(accented).intent
    assert intent != FALLBACK_INTENT
    for variant in variants:
        assert nlu.parse(variant).intent == intent, variant


def test_unaccented_training_set_mostly_keeps_its_intent(nlu, data):
    texts = [ex.text for ex in data.examples]
    same = [
        a.intent == b.intent
        for a, b in zip(nlu.parse_many(texts), nlu.parse_many([fold(t) for t in texts]), strict=True)
    ]
    assert np.mean(same) >= 0.95


# ----------------------------------------------------------------- entities
@pytest.mark.parametrize(
    "text, code",
    [
        ("tra cứu hồ sơ 000.00.21.H12-241105-0012 giúp em", "000.00.21.H12-241105-0012"),
        ("hs h12.22-240301-0456 xong chưa", "H12.22-240301-0456"),
        ("mã bd-240915-0077 ạ", "BD-240915-0077"),
        ("TP.01-241118-0203", "TP.01-241118-0203"),
    ],
)
def test_dossier_codes(nlu, text, code):
    parsed = nlu.parse(text)
    codes = _by_entity(parsed)["dossier_code"]
    assert [e.value for e in codes] == [code]
    assert _span(text, codes[0]).upper() == code
    assert "verify_digits" not in _by_entity(parsed)  # the code's last 4 digits are not the verification digits
    assert parsed.intent == "check_dossier_status"


def test_code_and_verify_digits_together(nlu):
    text = "mã hồ sơ 000.00.21.H12-241105-0012, 4 số cuối sđt 5821 ạ"
    parsed = nlu.parse(text)
    ents = _by_entity(parsed)
    assert [e.value for e in ents["verify_digits"]] == ["5821"]
    assert _span(text, ents["verify_digits"][0]) == "5821"
    assert [e.entity for e in parsed.entities] == ["dossier_code", "verify_digits"]  # in text order


@pytest.mark.parametrize("text", ["đuôi 12345 nhé", "ngày 20/11/2024", "lúc 10:30", "phí 1.000.000 đồng"])
def test_verify_digits_stand_alone_only(nlu, text):
    assert "verify_digits" not in _by_entity(nlu.parse(text))


@pytest.mark.parametrize(
    "text, value, span",
    [
        ("giay khai sinh cho be can gi", "khai_sinh", "giay khai sinh"),
        ("dang ky khai sinh cho be", "khai_sinh", "dang ky khai sinh"),
        ("làm sổ đỏ cần những gì", "so_do", "sổ đỏ"),
        ("lam so do het bao nhieu", "so_do", "so do"),
        ("sổ hồng bao lâu thì xong", "so_do", "sổ hồng"),
        ("xin lltp ở đâu", "ly_lich_tu_phap", "lltp"),
        ("Lý Lịch Tư Pháp mấy ngày có", "ly_lich_tu_phap", "Lý Lịch Tư Pháp"),
        ("đổi cccd online được không", "cap_doi_cccd", "đổi cccd"),
        ("đk kết hôn cần gì", "ket_hon", "đk kết hôn"),
        ("hồ sơ tam trú của em", "tam_tru", "tam trú"),
        ("xin gpxd nộp ở đâu", "giay_phep_xay_dung", "gpxd"),
    ],
)
def test_procedure_synonyms(nlu, text, value, span):
    procedures = _by_entity(nlu.parse(text))["procedure"]
    assert [(e.value, _span(text, e)) for e in procedures] == [(value, span)]


def test_wrong_diacritics_are_not_a_procedure(nlu):
    assert "procedure" not in _by_entity(nlu.parse("số đó là số của tôi"))


def test_offsets_point_into_the_original_text(nlu):
    text = unicodedata.normalize("NFD", "Cho hỏi  làm SỔ ĐỎ và hồ sơ BD-240915-0077, đuôi 0934")
    parsed = nlu.parse(text)
    ents = _by_entity(parsed)
    assert parsed.text == text
    assert fold(_span(text, ents["procedure"][0])) == "so do"
    assert _span(text, ents["dossier_code"][0]) == "BD-240915-0077"
    assert _span(text, ents["verify_digits"][0]) == "0934"


# ---------------------------------------------------------------------- API
def test_parse_many_keeps_order_and_matches_parse(nlu, test_set):
    texts = [ex.text for ex in test_set]
    texts = (texts * (300 // len(texts) + 1))[:300]
    parses = nlu.parse_many(texts)
    assert len(parses) == 300
    assert [p.text for p in parses] == texts
    for i in range(0, 300, 37):
        single = nlu.parse(texts[i])
        assert (single.intent, single.entities) == (parses[i].intent, parses[i].entities)
        assert single.confidence == pytest.approx(parses[i].confidence, abs=1e-5)
    assert nlu.parse_many([]) == []


def test_parse_shape(nlu):
    out = nlu.parse("lệ phí khai sinh bao nhiêu").to_dict()
    assert out["intent"]["name"] == "ask_fee"
    assert 0.4 <= out["intent"]["confidence"] <= 1.0
    assert out["entities"] == [{"entity": "procedure", "value": "khai_sinh", "start": 7, "end": 16}]
