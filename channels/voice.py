"""The phone channel's side of the IVR: what a voice adapter calls.

Adapters (channels/twilio_voice.py, channels/stringee.py) turn their vendor's
webhooks into these calls and render the Steps they get back; the
implementation is contact_center/ivr's CallFlow, handed to the adapters by
the composition root (channels cannot import contact_center)."""

from __future__ import annotations

from typing import Protocol

from models.voice import CallInfo, CallStatus, Entry, Step


class VoiceFlow(Protocol):
    async def answer(self, call: CallInfo, notice: str | None = None) -> Step:
        """The first turn of a call: an incoming one (notice None) gets the
        greeting and menu; an outbound notice call (notice = its attempt id,
        carried in the answer URL) gets the notice's script."""

    async def step(self, call: CallInfo, state: str, entry: Entry) -> Step:
        """Every later turn: `state` is the last Step's, `entry` what the caller did."""

    async def hold(self, call: CallInfo, position: int, waited: int) -> Step:
        """A turn while queued for an agent (providers that have hold turns):
        the position (1 = next) and seconds waited; a Step with Leave ends the wait."""

    async def placing(self, attempt_id: str, address: str, script: str) -> None:
        """Before an outbound notice call is placed: keeps the script for
        `answer`, and raises models.errors.PermanentError when the citizen may
        not be called again (the daily cap, a notice already heard)."""

    async def placed(self, attempt_id: str, call_id: str, provider: str) -> None:
        """The provider accepted the call: its id is the attempt's provider_ref."""

    async def ended(self, call: CallInfo, status: CallStatus, duration: int | None = None) -> None:
        """A status callback. For a notice call this files the delivery
        receipt: delivered only when the call completed and the script was
        heard to its end; busy, no answer, failed or hung up early is a
        temporary failure (redialled, then the next channel)."""
