"""The one verified lookup every channel uses, on a real SQLite store: found,
not found (wrong code and wrong digits alike), limited, and the guard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.api.guard import FailureLimiter
from hub.lookup import verified_lookup
from hub.store.port import ApplicantData, DossierData
from hub.store.sqlite import SqliteStore
from tests.support.clock import FakeClock

CODE = "BD-261130-0606"


@pytest.fixture
async def store(tmp_path):
    store = SqliteStore(tmp_path / "lookup.sqlite3")
    await store.open()
    for code in (CODE, "mc.free-form-1"):  # a free-form code the one-stop-shop sent in lower case
        await store.upsert_dossier(
            DossierData(
                code=code,
                procedure="Cấp giấy phép xây dựng",
                agency="UBND tỉnh",
                received_at=datetime(2026, 11, 30, 1, tzinfo=UTC),
                due_at=None,
                applicant=ApplicantData(full_name="Lê Văn Cường", phone="+84912341606"),
            )
        )
    yield store
    await store.close()


@pytest.mark.parametrize(
    "typed", [CODE, "bd-261130-0606", "BD–261130–0606", "ＢＤ－２６１１３０－０６０６", " BD - 261130 - 0606 "]
)
async def test_found_however_the_code_is_typed(store, typed):
    outcome = await verified_lookup(store, FailureLimiter(), typed, "1606", key="addr:test")
    assert outcome.ok and outcome.status == "found"
    assert outcome.found.dossier.code == CODE and outcome.found.applicant_name == "Lê Văn Cường"


async def test_full_width_digits_and_a_free_form_code_as_stored(store):
    assert (await verified_lookup(store, FailureLimiter(), CODE, "１６０６")).ok
    found = await verified_lookup(store, FailureLimiter(), "mc.free-form-1", "1606")
    assert found.ok and found.found.dossier.code == "mc.free-form-1"


@pytest.mark.parametrize(
    ("code", "digits"),
    [
        (CODE, "0000"),
        ("BD-261130-0607", "1606"),
        (CODE, "160"),
        (CODE, "16060"),
        (CODE, ""),
        ("a/b", "1606"),
    ],
)
async def test_wrong_code_and_wrong_digits_are_one_outcome_and_count(store, code, digits):
    guard = FailureLimiter(limit=1)
    outcome = await verified_lookup(store, guard, code, digits, key="addr:x")
    assert outcome.status == "not_found" and outcome.found is None and outcome.retry_after is None
    assert guard.retry_after("addr:x") is not None


async def test_limited_after_the_guards_limit_even_with_the_right_digits(store):
    clock = FakeClock(1000.0)
    guard = FailureLimiter(limit=5, window=900, clock=clock)
    for i, typed in enumerate(["bd-261130-0606", "Bd-261130-0606", "BD–261130–0606", CODE, CODE]):
        # Each spelling of the code, from its own address: one dossier, one allowance.
        assert (await verified_lookup(store, guard, typed, f"000{i}", key=f"addr:{i}")).status == "not_found"
    limited = await verified_lookup(store, guard, CODE, "1606", key="addr:new")
    assert limited.status == "limited" and limited.retry_after == 900 and not limited.ok
    clock.now += 901
    assert (await verified_lookup(store, guard, CODE, "1606", key="addr:new")).ok


async def test_a_success_does_not_wash_away_the_askers_failures(store):
    guard = FailureLimiter(limit=3)
    for n in range(2):
        await verified_lookup(store, guard, f"OTHER-{n}", "1606", key="addr:x")
    assert (await verified_lookup(store, guard, CODE, "1606", key="addr:x")).ok
    await verified_lookup(store, guard, "OTHER-9", "1606", key="addr:x")
    assert (await verified_lookup(store, guard, CODE, "1606", key="addr:x")).status == "limited"
