"""The one verified dossier lookup: a code and the last four digits of the
applicant's phone, behind the brute-force guard. The public API, the
followers endpoint, keyword commands on every channel and the assistant (the
built-in engine's dialogue and Rasa's, whose action hands the look-up back to
the service) all go through it (the kiosk and the phone line will too), so a
guess counts the same wherever it is made.

Channel-neutral: the caller says who is asking (`key`) and turns the outcome
into its own answer (404/429, a reply text). The key is what the asker cannot
choose: the client's address for HTTP ("addr:1.2.3.4"), the channel's
verified sender otherwise ("addr:sms:+8490..." from a signed webhook, the
Telegram user id); never a session id the client makes up.

A wrong code and wrong digits are the same outcome and the same work (the
same store queries, one constant-time comparison against a stand-in when
there is no dossier), so that neither the answer nor its timing tells which
codes exist. Digits are ASCII only (full-width ones from a Vietnamese IME
are read as ASCII); anything else is malformed, and counts as a failure.

The trade-off of the per-code key (settings `lookup_max_failures` per asker,
`lookup_max_failures_per_code` per code, default 5 and 10 in 15 minutes):
- guessing one dossier's digits from many addresses gets at most the
  per-code limit of tries per window, wherever they come from;
- one asker alone cannot lock a dossier for its owner (it is stopped at 5,
  the code at 10); two or more addresses can, until the window passes. That
  is the price of stopping a distributed guess; the owner still gets every
  notice, and an officer can look the dossier up;
- the guard remembers a bounded number of keys (hub/api/guard.py), evicting
  the one whose latest failure is the oldest: to free a locked code's key
  again an attacker must make that many fresh failures first, which the
  per-asker limit spreads over that many / 5 addresses."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from hub.api.guard import FailureLimiter, client_address
from hub.keys import SETTINGS
from hub.store.port import DossierLookup, Store
from models.dossier_code import is_valid_code, normalize_code, normalize_text

# Compared against when there is no dossier or the digits are malformed, so
# that every failure does the one comparison a wrong guess does.
_STAND_IN = b"\xff\xff\xff\xff"


@dataclass(frozen=True, slots=True)
class LookupOutcome:
    status: Literal["found", "not_found", "limited"]
    found: DossierLookup | None = None
    retry_after: int | None = None  # seconds, when limited

    @property
    def ok(self) -> bool:
        return self.status == "found"


NOT_FOUND = LookupOutcome("not_found")


def http_asker(request) -> str:
    """The key for whoever asks over HTTP: their address as our proxies saw it."""
    return "addr:" + client_address(request, request.app[SETTINGS].trust_forwarded_for)


def ascii_digits(text: str | None, count: int) -> str | None:
    """Exactly `count` digits as ASCII, or None: full-width digits are read as
    ASCII; any other digit (Arabic-Indic, Devanagari...) is not one."""
    value = normalize_text(text or "").strip()  # full-width digits from a Vietnamese IME
    return value if len(value) == count and value.isascii() and value.isdigit() else None


def verify_digits(digits: str | None) -> str | None:
    """The four verification digits (the applicant's phone's last four)."""
    return ascii_digits(digits, 4)


def spellings(code: str) -> tuple[str, ...]:
    """The stored codes a typed one may be: the normalised code, and the code as
    given when the one-stop-shop sent a free-form one in lower case."""
    canonical = normalize_code(code)
    if not is_valid_code(canonical):
        return ()
    given = code.strip()
    return (canonical, given) if given != canonical and is_valid_code(given) else (canonical,)


async def verified_lookup(
    store: Store, guard: FailureLimiter, code: str, digits: str, *, key: str | None = None
) -> LookupOutcome:
    """`key` is the asker (see the module docstring); the code itself is always
    a key too, so guessing one dossier's digits from many addresses is stopped
    as well.

    A failure (unknown code, wrong or malformed digits) counts against every
    key. A success clears nothing: otherwise one dossier the asker owns would
    wash away their guesses at others."""
    # The normalised code keys the guard: typing it in lower case or with an
    # en dash is the same dossier, not a fresh allowance of guesses.
    keys = (*((key,) if key else ()), "code:" + normalize_code(code))
    wait = guard.retry_after(*keys)
    if wait is not None:
        return LookupOutcome("limited", retry_after=wait)
    # Only the phone is read until the digits match: reading the whole
    # dossier first made a wrong guess at an existing code measurably slower.
    # Every spelling is asked for even once one is found, so an unknown code
    # costs the same queries as a known one.
    stored, phone = None, None
    for spelling in spellings(code):
        found_phone = await store.applicant_phone(spelling)
        if phone is None and found_phone is not None:
            stored, phone = spelling, found_phone
    matched = _matches(phone, verify_digits(digits))  # compared even when there is no phone
    if not matched or stored is None:
        guard.fail(*keys)
        return NOT_FOUND
    found = await store.lookup_dossier(stored)
    if found is None:  # deleted between the two reads
        guard.fail(*keys)
        return NOT_FOUND
    return LookupOutcome("found", found=found)


def _matches(phone: str | None, verify: str | None) -> bool:
    """One constant-time comparison whatever is missing."""
    expected = phone[-4:].encode() if phone else _STAND_IN
    given = verify.encode() if verify is not None else _STAND_IN
    same = hmac.compare_digest(expected, given)
    return same and phone is not None and verify is not None
