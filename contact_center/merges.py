"""Merging two citizen records that are one person (a citizen who wrote from
Telegram and the applicant of a dossier, say), audited and reversible.

What moves, in one store transaction: consents, conversations, escalations,
notices, follows and follow requests, links, the dossiers they applied for,
and each contact the kept record lacks. A dossier whose applicant would get
another phone stays on the merged record (its lookup digits must not change
under the citizen); the panel still shows it as this person's. The merge
records what moved, so `undo` puts exactly that back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from contact_center.audit import audit
from hub.store.port import CitizenMerge, MergeOutcome
from models.events import new_id

MAX_REASON = 500


class MergeRefused(ValueError):
    """The request cannot be done as asked (HTTP 422)."""


class MergeUnknown(LookupError):
    """No such citizen or merge (HTTP 404)."""


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise MergeRefused("Cần ghi lý do: vì sao hai hồ sơ công dân này là một người.")
    if len(reason) > MAX_REASON:
        raise MergeRefused(f"Lý do dài quá {MAX_REASON} ký tự.")
    return reason


class Merges:
    def __init__(self, store, clock: Callable[[], float]):
        self.store, self.clock = store, clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def merge(self, keep_id: str, merge_id: str, agent_id: str, reason: str) -> CitizenMerge:
        """`merge_id` (the citizen merged away) into `keep_id`; the merge as recorded."""
        reason = _reason(reason)
        keep_id, merge_id = str(keep_id or "").strip(), str(merge_id or "").strip()
        if not keep_id or not merge_id:
            raise MergeRefused("Cần mã của cả hai công dân: người được giữ lại và người được gộp vào.")
        outcome: MergeOutcome = await self.store.merge_citizens(
            "mg_" + new_id()[:16], keep_id, merge_id, agent_id=agent_id, reason=reason, now=self._now()
        )
        if outcome.outcome == "same":
            raise MergeRefused("Không thể gộp một công dân với chính mình.")
        if outcome.outcome == "unknown":
            missing = merge_id if await self.store.get_citizen(keep_id) else keep_id
            raise MergeUnknown(f"Không tìm thấy công dân {missing}.")
        if outcome.outcome == "merged_away":
            raise MergeRefused(
                "Một trong hai công dân đã được gộp vào công dân khác: hãy gộp với hồ sơ còn lại, "
                "hoặc hoàn tác lần gộp trước."
            )
        if outcome.outcome == "different_people":
            raise MergeRefused("Hai công dân có số định danh cá nhân (CCCD) khác nhau: không phải cùng một người.")
        merged = outcome.merge
        if outcome.outcome != "merged" or merged is None:
            raise RuntimeError(f"merge_citizens answered {outcome.outcome}")
        note = f"{reason} — gộp {merged.merged_id} vào {merged.kept_id} (lần gộp {merged.id})"
        for citizen in (merged.kept_id, merged.merged_id):
            await audit(self.store, agent_id, "citizen.merge", "citizen", citizen, note, clock=self.clock)
        return merged

    async def undo(self, merge_row_id: str, agent_id: str, reason: str) -> CitizenMerge:
        """Puts back what the merge moved; the merge, now undone."""
        reason = _reason(reason)
        outcome: MergeOutcome = await self.store.undo_citizen_merge(
            str(merge_row_id or "").strip(), agent_id=agent_id, now=self._now()
        )
        if outcome.outcome == "unknown":
            raise MergeUnknown(f"Không tìm thấy lần gộp {merge_row_id}.")
        if outcome.outcome == "already_undone":
            raise MergeRefused(f"Lần gộp {merge_row_id} đã được hoàn tác rồi.")
        if outcome.outcome == "blocked" and outcome.merge is not None:
            raise MergeRefused(
                f"Công dân {outcome.merge.kept_id} đã được gộp tiếp vào công dân khác: hãy hoàn tác lần gộp sau trước."
            )
        undone = outcome.merge
        if outcome.outcome != "undone" or undone is None:
            raise RuntimeError(f"undo_citizen_merge answered {outcome.outcome}")
        note = f"{reason} — tách {undone.merged_id} khỏi {undone.kept_id} (hoàn tác lần gộp {undone.id})"
        for citizen in (undone.kept_id, undone.merged_id):
            await audit(self.store, agent_id, "citizen.unmerge", "citizen", citizen, note, clock=self.clock)
        return undone
