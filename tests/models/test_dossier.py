from datetime import UTC, datetime, timedelta

import pytest

from models.dossier import (
    FINAL,
    LABELS,
    TRANSITIONS,
    Dossier,
    check_transition,
    parse_status,
)
from models.dossier import (
    DossierStatus as S,
)

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def dossier(status: S, due_in_days: float) -> Dossier:
    return Dossier(
        code="X-1",
        procedure="p",
        agency="a",
        applicant_id="c",
        received_at=NOW - timedelta(days=5),
        due_at=NOW + timedelta(days=due_in_days),
        status=status,
    )


def test_every_status_has_its_vietnamese_label_and_a_row_in_the_table():
    assert LABELS[S.SUPPLEMENT_REQUESTED] == "Yêu cầu bổ sung hồ sơ"
    assert LABELS[S.AWAITING_PAYMENT] == "Chờ thực hiện nghĩa vụ tài chính"
    assert set(LABELS) == set(S) == set(TRANSITIONS)


def test_final_states_go_nowhere():
    for status in FINAL:
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize(
    "current,requested,legal",
    [
        (S.SUBMITTED, S.RECEIVED, True),
        (S.RECEIVED, S.IN_PROGRESS, True),
        (S.IN_PROGRESS, S.IN_PROGRESS, True),
        (S.IN_PROGRESS, S.RESULT_READY, True),
        (S.RESULT_READY, S.RETURNED, True),
        (S.SUBMITTED, S.RETURNED, False),
        (S.RETURNED, S.IN_PROGRESS, False),
        (S.REJECTED, S.RECEIVED, False),
        (S.RESULT_READY, S.IN_PROGRESS, False),
    ],
)
def test_transition_table(current, requested, legal):
    assert check_transition(current, requested) is legal


def test_overdue_is_derived_past_due_and_still_processing():
    assert dossier(S.IN_PROGRESS, -1).is_overdue(NOW)
    assert not dossier(S.IN_PROGRESS, +1).is_overdue(NOW)
    assert not dossier(S.RETURNED, -1).is_overdue(NOW)
    # The agency finished in time; the citizen has not collected yet.
    assert not dossier(S.RESULT_READY, -1).is_overdue(NOW)


def test_status_accepts_national_portal_codes():
    assert parse_status("in_progress") is S.IN_PROGRESS
    assert parse_status(4) is S.IN_PROGRESS
    assert parse_status("10") is S.RETURNED
    for bad in ("bogus", 0, 11, True, None, 3.5):
        with pytest.raises(ValueError):
            parse_status(bad)
