"""One definition of a dossier code: the table, the normaliser, finding a
code in free text; and every reader of codes (keyword commands, the built-in
assistant, Rasa's actions, Rasa's NLU regex) agreeing with it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from assistant.dialogue import digit_runs, find_dossier_code
from contact_center import keywords
from models import dossier_code as dc

ROOT = Path(__file__).resolve().parents[2]
NLU_YML = ROOT / "assistant" / "data" / "nlu.yml"
IN_TEXT = [example for f in dc.FORMATS if f.in_text for example in f.examples]


def nlu_regexes() -> list[str]:
    items = yaml.safe_load(NLU_YML.read_text(encoding="utf-8"))["nlu"]
    return [
        line.strip()[2:]
        for item in items
        if item.get("regex") == "dossier_code"
        for line in item["examples"].splitlines()
        if line.strip()
    ]


def test_the_nlu_regex_is_the_tables():
    # To regenerate: python -c "from models.dossier_code import nlu_regex; print(nlu_regex())"
    assert nlu_regexes() == [dc.nlu_regex()], "assistant/data/nlu.yml's dossier_code regex is out of date"


@pytest.mark.parametrize("example", IN_TEXT)
def test_each_example_matches_the_nlu_regex_as_rasa_uses_it(example):
    [pattern] = nlu_regexes()
    for typed in (example, example.lower()):
        match = re.search(pattern, f"hồ sơ {typed} ạ", re.IGNORECASE)  # RegexFeaturizer case_sensitive: false
        assert match and match.group(0) == typed


@pytest.mark.parametrize(("row", "example"), [(f, e) for f in dc.FORMATS for e in f.examples])
def test_each_example_is_in_its_own_row_and_accepted_by_the_api(row, example):
    assert dc.code_format(example) is row
    assert dc.is_valid_code(example)


def test_the_formats_in_use_are_in_the_table():
    names = {f.name for f in dc.FORMATS}
    assert {"national_portal", "provincial", "free_form"} <= names
    assert dc.code_format("000.00.21.H12-261130-0505").name == "national_portal"
    assert dc.code_format("bd-261130-0606").name == "provincial"
    assert dc.code_format("BD-240915-077").name == "provincial"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("bd-261130-0606", "BD-261130-0606"),  # lower case
        ("BD–261130–0606", "BD-261130-0606"),  # en dash
        ("BD—261130‑0606", "BD-261130-0606"),  # em dash, non-breaking hyphen
        ("BD−261130﹣0606", "BD-261130-0606"),  # minus sign, small hyphen-minus
        ("ＢＤ－２６１１３０－０６０６", "BD-261130-0606"),  # full-width letters, digits and dash
        (" BD - 261130 - 0606 ", "BD-261130-0606"),  # spaces
        ("０００.００.２１.h１２‐２６１１３０‐０５０５", "000.00.21.H12-261130-0505"),
    ],
)
def test_the_normaliser(typed, code):
    assert dc.normalize_code(typed) == code


def test_text_is_normalised_one_character_for_one():
    text = "hồ sơ ＢＤ–２６１１３０–０６０６ ạ"
    assert dc.normalize_text(text) == "hồ sơ BD-261130-0606 ạ"
    assert dc.normalize_text("ho\u0302`") == "hô`"  # NFC


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("hồ sơ BD-240915-077", ["BD-240915-077"]),
        ("tracuu bd-261130-0606 1606", ["BD-261130-0606"]),
        ("hs 000.00.21.h12-261130-0505, và BD–261130–0606.", ["000.00.21.H12-261130-0505", "BD-261130-0606"]),
        ("mã ＢＤ－２６１１３０－０６０６ ạ", ["BD-261130-0606"]),
        ("BD-261130-0606 BD-261130-0606", ["BD-261130-0606"]),
        ("xin chào 2026-11-28", []),
        ("mã là 12345", []),
        ("MC2026.000123", []),  # free-form: only where a code is expected
        ("sơBD-240915-0077", []),  # glued to a word
        ("ſD-240915-0077 KD-240915-0077", ["KD-240915-0077"]),  # no Unicode look-alikes of ASCII letters
    ],
)
def test_codes_in_free_text(text, codes):
    assert dc.find_codes(text) == codes
    assert dc.find_code(text) == (codes[0] if codes else None)


def test_the_api_accepts_what_it_accepted():
    old = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")
    for code in ["a", "BD-261130-0606", "h12.22_x", "9" * 100, "MC2026.000123"]:
        assert dc.is_valid_code(code) and old.match(code)
    for code in ["", "-a", "a b", "a/b", "9" * 101, "BD–261130–0606", "ſ", "Ａ", "a\n"]:
        assert not dc.is_valid_code(code)


def test_digits_outside_codes():
    assert digit_runs("BD-240915-0077 sđt đuôi 5821") == ["5821"]
    assert digit_runs("ＢＤ－２４０９１５－００７７ １６０６") == ["1606"]


# Every reader finds the same code in the same text.

SENTENCES = [
    ("hồ sơ BD-240915-077", "BD-240915-077"),
    ("hồ sơ 000.00.21.H12-261130-0505 xong chưa", "000.00.21.H12-261130-0505"),
    ("ma hs bd–261130–0606 ạ", "BD-261130-0606"),
    ("mã ＢＤ－２６１１３０－０６０６", "BD-261130-0606"),
    ("Hồ Sơ H12.22-240301-0456 Sao Rồi", "H12.22-240301-0456"),
]


@pytest.mark.parametrize(("text", "code"), SENTENCES)
def test_keywords_and_the_builtin_assistant_find_the_same_code(text, code):
    assert keywords.find_code(text) == code
    assert find_dossier_code(text) == code
    command = keywords.parse("TRACUU " + text.split(maxsplit=2)[-1] + " 1606")
    assert dc.normalize_code(command.code) == code and command.digits == "1606"


def _rasa_python() -> Path | None:
    try:
        from assistant.rasa import manage

        python = manage.venv_path() / "bin" / "python"
    except Exception:  # noqa: BLE001 - no Rasa set-up on this machine
        return None
    return python if python.exists() else None


def test_rasa_actions_find_the_same_code():
    """actions.py in Rasa's own Python 3.10 environment, loading
    models/dossier_code.py by path as it does when the action server runs."""
    python = _rasa_python()
    if python is None:
        pytest.skip("Rasa's environment is not built (make test builds it)")
    texts = [text for text, _ in SENTENCES] + ["BD-240915-0077 sđt 5821", "４４１７"]
    script = (
        "import json, sys; sys.path.insert(0, 'actions'); import actions; texts = json.loads(sys.argv[1]); "
        "print(json.dumps([[actions.find_dossier_code(t), actions.find_verify_digits(t)] for t in texts]))"
    )
    done = subprocess.run(
        [str(python), "-c", script, json.dumps(texts)],
        cwd=ROOT / "assistant",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert [code for code, _ in found[: len(SENTENCES)]] == [code for _, code in SENTENCES]
    assert found[len(SENTENCES) :] == [["BD-240915-0077", "5821"], [None, "4417"]]
