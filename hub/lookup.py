"""The one verified dossier lookup: a code and the last four digits of the
applicant's phone, behind the brute-force guard. The public API, the
followers endpoint, keyword commands on every channel and the assistant all
go through it (the kiosk and the phone line will too), so a guess counts the
same wherever it is made.

Channel-neutral: the caller says who is asking (`key`, e.g. "addr:1.2.3.4"
or "addr:sms:+8490...") and turns the outcome into its own answer (404/429,
a reply text). A wrong code and wrong digits are the same outcome, so that
nobody learns which codes exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.api.guard import FailureLimiter
from hub.store.port import DossierLookup, Store
from hub.tracking import verify_matches
from models.dossier_code import is_valid_code, normalize_code, normalize_text


@dataclass(frozen=True, slots=True)
class LookupOutcome:
    status: Literal["found", "not_found", "limited"]
    found: DossierLookup | None = None
    retry_after: int | None = None  # seconds, when limited

    @property
    def ok(self) -> bool:
        return self.status == "found"


NOT_FOUND = LookupOutcome("not_found")


def _digits(digits: str | None) -> str | None:
    value = normalize_text(digits or "").strip()  # full-width digits from a Vietnamese IME
    return value if len(value) == 4 and value.isascii() and value.isdigit() else None


async def verified_lookup(
    store: Store, guard: FailureLimiter, code: str, digits: str, *, key: str | None = None
) -> LookupOutcome:
    """`key` is the asker (an address); the code itself is always a key too, so
    guessing one dossier's digits from many addresses is stopped as well.

    A failure (unknown code, wrong or malformed digits) counts against every
    key. A success clears nothing: otherwise one dossier the asker owns would
    wash away their guesses at others."""
    canonical = normalize_code(code)
    # The normalised code keys the guard: typing it in lower case or with an
    # en dash is the same dossier, not a fresh allowance of guesses.
    keys = (*((key,) if key else ()), "code:" + canonical)
    wait = guard.retry_after(*keys)
    if wait is not None:
        return LookupOutcome("limited", retry_after=wait)
    found = None
    if is_valid_code(canonical):
        found = await store.lookup_dossier(canonical)
        given = code.strip()
        if found is None and given != canonical and is_valid_code(given):
            # A free-form code the one-stop-shop sent in lower case is stored as sent.
            found = await store.lookup_dossier(given)
    verify = _digits(digits)
    if found is None or verify is None or not verify_matches(found.applicant_phone, verify):
        guard.fail(*keys)
        return NOT_FOUND
    return LookupOutcome("found", found=found)
