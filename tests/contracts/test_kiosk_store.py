"""The store contract for kiosks (issue 13): accounts found by their key's
digest, disabled by id or name, ratings per kiosk, and the result hand-over
and due dates a kiosk screen reads. Same backends as tests/contracts/test_store.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.store.port import Kiosk
from models.dossier import DossierStatus
from models.errors import Conflict
from tests.support.dossiers import T0, change, dossier


def kiosk(kid: str, name: str = "Quầy 3") -> Kiosk:
    return Kiosk(id=kid, name=name, created_at="2026-11-20T02:00:00+00:00")


class TestKioskAccounts:
    async def test_add_find_by_key_list_disable(self, store):
        await store.add_kiosk(kiosk("k_1"), "digest-1")
        await store.add_kiosk(kiosk("k_2", "Quầy 4"), "digest-2")
        assert await store.kiosk_by_key("digest-1") == kiosk("k_1")
        assert await store.kiosk_by_key("nope") is None
        assert [k.id for k in await store.list_kiosks()] == ["k_1", "k_2"]

        by_name = await store.disable_kiosk("Quầy 4")
        assert by_name is not None and by_name.id == "k_2" and by_name.disabled
        by_id = await store.disable_kiosk("k_1")
        assert by_id is not None and by_id.disabled
        assert await store.disable_kiosk("k_9") is None
        # Still found by its key, so that the caller can say it is disabled.
        found = await store.kiosk_by_key("digest-1")
        assert found is not None and found.disabled

    async def test_an_id_or_a_key_is_not_given_twice(self, store):
        await store.add_kiosk(kiosk("k_1"), "digest-1")
        with pytest.raises(Conflict):
            await store.add_kiosk(kiosk("k_1", "Khác"), "digest-9")
        with pytest.raises(Conflict):
            await store.add_kiosk(kiosk("k_2"), "digest-1")


class TestKioskRatings:
    async def test_ratings_are_counted_per_kiosk(self, store):
        await store.add_kiosk(kiosk("k_1"), "d1")
        await store.add_kiosk(kiosk("k_2"), "d2")
        for score in (5, 5, 3):
            await store.add_kiosk_rating("k_1", score, T0)
        await store.add_kiosk_rating("k_2", 1, T0 + timedelta(days=1))
        first = await store.kiosk_ratings("k_1")
        assert (first.count, first.average, first.scores) == (3, 4.33, {5: 2, 3: 1})
        assert (await store.kiosk_ratings("k_2", since=T0 + timedelta(hours=1))).count == 1
        assert (await store.kiosk_ratings("k_2", since=T0 + timedelta(days=2))).average is None
        with pytest.raises(ValueError):
            await store.add_kiosk_rating("k_1", 6, T0)


class TestHandover:
    async def test_the_latest_result_and_the_due_dates_in_order(self, store):
        await store.upsert_dossier(dossier())
        empty = await store.dossier_handover("H12-0001")
        assert empty.result is None and empty.due_dates == ()
        late = T0 + timedelta(days=9)
        await store.record_status_change(change("e1", DossierStatus.RECEIVED, minutes=1))
        await store.record_status_change(change("e2", DossierStatus.IN_PROGRESS, minutes=60 * 24 * 6, due_at=late))
        await store.record_status_change(
            change(
                "e3",
                DossierStatus.RESULT_READY,
                minutes=60 * 24 * 7,
                result={"method": "counter", "place": "Quầy 5", "hours": "7h30–17h"},
            )
        )
        handover = await store.dossier_handover("H12-0001")
        assert handover.result == {"method": "counter", "place": "Quầy 5", "hours": "7h30–17h"}
        assert handover.due_dates == ((T0 + timedelta(days=6), late),)
        assert (await store.dossier_handover("NOPE")).due_dates == ()
