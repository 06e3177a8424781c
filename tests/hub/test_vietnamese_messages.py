"""Issue 11 item 12, second half: every message a citizen or the one-stop-shop
reads is Vietnamese. One 409 was English ("dossier is 'returned'; change its
status with POST ..."). The 409 through the real API, and a scan of every
message the code hands to a reader: the texts given to ApiError,
error_response, too_many, Conflict and Reply (and a module's constant passed
there), in every package that answers people."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.support.dossiers import DOSSIER

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hub", "contact_center", "notify", "channels", "assistant", "kiosk")
# Callable name -> which positional argument is the reader's text.
MESSAGE_ARG = {"ApiError": 1, "error_response": 1, "too_many": 0, "Conflict": 0, "Reply": 0}
# Words an English sentence has and a Vietnamese one does not (no "do", "to",
# "in", "an", "no": Vietnamese words too).
ENGLISH = {
    "the", "is", "are", "was", "were", "be", "been", "with", "its", "not", "must", "should", "please",
    "change", "invalid", "missing", "required", "unknown", "found", "expected", "cannot", "only", "dossier",
    "error", "failed", "allowed", "your", "this", "that", "from", "has", "have", "will", "and", "or", "of", "for",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z]+")


def _texts(node: ast.expr, constants: dict[str, ast.expr]) -> list[str]:
    """The literal parts of a message expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp):
        return _texts(node.left, constants) + _texts(node.right, constants)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _texts(node.func.value, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return _texts(constants[node.id], constants)
    return []


def messages() -> list[tuple[str, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            constants = {
                t.id: node.value
                for node in tree.body
                if isinstance(node, ast.Assign)
                for t in node.targets
                if isinstance(t, ast.Name)
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                index = MESSAGE_ARG.get(name)
                if index is None or len(node.args) <= index:
                    continue
                text = " ".join(_texts(node.args[index], constants))
                if text.strip():
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    return found


def english_words(text: str) -> set[str]:
    # Paths and setting names ("/api/v1/...", TONGDAI_...) are not prose.
    prose = re.sub(r"\S*[/_]\S*", " ", text)
    return {w for w in _WORD.findall(prose) if w in ENGLISH}


def test_the_scan_sees_the_messages_and_would_see_english():
    found = messages()
    assert len(found) > 50  # the scan reaches the call sites
    assert any(where.startswith("hub/store/sqlite/dossiers.py") for where, _ in found)
    assert english_words("dossier is 'returned'; change its status with POST /api/v1/x") == {
        "dossier",
        "is",
        "change",
        "its",
        "with",
    }


def test_no_message_to_a_reader_is_english():
    english = {where: (text, english_words(text)) for where, text in messages() if english_words(text)}
    assert english == {}


@pytest.fixture
async def dossier(client, auth) -> str:
    code = "BD-261130-0707"
    assert (await client.put(f"/api/v1/dossiers/{code}", json=DOSSIER, headers=auth)).status == 201
    return code


async def test_a_status_changed_by_put_is_refused_in_vietnamese(client, auth, dossier):
    response = await client.put(f"/api/v1/dossiers/{dossier}", json={**DOSSIER, "status": "returned"}, headers=auth)
    assert response.status == 409
    message = (await response.json())["message"]
    assert "Hồ sơ" in message and "/events" in message
    assert english_words(message) == set()
