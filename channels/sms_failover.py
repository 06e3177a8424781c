"""SMS over several providers, weighted by how well each is doing lately
(the way GOV.UK Notify balances its SMS suppliers).

Each provider has a configured weight. Every send's outcome is remembered for
a sliding window; failures count for less as they age and are forgotten when
they leave it, so a provider that broke loses its share at once and wins it
back gradually once it has stopped failing. A provider doing badly enough gets
no first-choice traffic at all, but is still tried last in a call where
every other one failed: one bad day for all beats an SMS not sent."""

from __future__ import annotations

import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from channels.port import Outgoing, Provider, Sent
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, RetryableError

NAME = "sms"


class _Health:
    # A steady prior of one success: a provider with no history is healthy, and
    # failures pull its health down in proportion to how many and how recent.
    PRIOR = 1.0

    def __init__(self, provider: Provider, weight: float, window: float, max_samples: int):
        self.provider, self.weight, self.window = provider, weight, window
        self.outcomes: deque[tuple[float, bool]] = deque(maxlen=max_samples)  # (when, failed)

    def record(self, now: float, failed: bool) -> None:
        self.outcomes.append((now, failed))

    def health(self, now: float) -> float:
        while self.outcomes and self.outcomes[0][0] <= now - self.window:
            self.outcomes.popleft()
        good = bad = 0.0
        for when, failed in self.outcomes:
            influence = 1.0 - (now - when) / self.window
            if failed:
                bad += influence
            else:
                good += influence
        return (good + self.PRIOR) / (good + bad + self.PRIOR)


class FailoverSms(Provider):
    channel = Channel.SMS
    name = NAME

    def __init__(
        self,
        providers: Sequence[Provider | tuple[Provider, float]],
        *,
        window: float = 60.0,
        max_samples: int = 200,
        cutoff: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        """`providers`: each alone (weight 1) or as (provider, weight). Below
        `cutoff` health a provider gets no first-choice traffic."""
        if not providers:
            raise ValueError("FailoverSms needs at least one SMS provider")
        self._health: list[_Health] = []
        for entry in providers:
            provider, weight = entry if isinstance(entry, tuple) else (entry, 1.0)
            if weight <= 0:
                raise ValueError(f"SMS provider {provider.name}: weight must be positive")
            self._health.append(_Health(provider, float(weight), window, max_samples))
        names = [h.provider.name for h in self._health]
        if len(set(names)) != len(names):
            raise ValueError("SMS providers must have distinct names: receipts are filed by name")
        self.cutoff = cutoff
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - spreads load over providers, not a secret
        # The order chosen when the sender asked for rate limits, so that the
        # provider whose bucket paid is the one tried first.
        self._planned: OrderedDict[str, list[_Health]] = OrderedDict()

    @property
    def providers(self) -> list[Provider]:
        return [h.provider for h in self._health]

    def weights(self) -> dict[str, float]:
        """Each provider's current share, before normalising: for tests and metrics."""
        now = self.clock()
        return {h.provider.name: self._effective(h, now) for h in self._health}

    def _effective(self, h: _Health, now: float) -> float:
        health = h.health(now)
        return h.weight * health if health >= self.cutoff else 0.0

    def _order(self) -> list[_Health]:
        now = self.clock()
        scored = [(self._effective(h, now), h.health(now), h) for h in self._health]
        live = [(w, h) for w, _, h in scored if w > 0]
        order: list[_Health] = []
        if live:
            pick = self.rng.random() * sum(w for w, _ in live)
            chosen = live[-1][1]  # if rounding leaves pick at 0
            for w, h in live:
                pick -= w
                if pick < 0:
                    chosen = h
                    break
            order.append(chosen)
        rest = sorted((s for s in scored if s[2] not in order), key=lambda s: (s[0], s[1]), reverse=True)
        return order + [h for _, _, h in rest]

    def limits(self, message: Outgoing) -> list:
        order = self._order()
        self._planned[message.attempt_id] = order
        while len(self._planned) > 10_000:  # asked about but never sent (the limiter said wait)
            self._planned.popitem(last=False)
        return order[0].provider.limits(message)

    async def start(self) -> None:
        for h in self._health:
            await h.provider.start()

    async def close(self) -> None:
        for h in self._health:
            await h.provider.close()

    async def send(self, message: Outgoing) -> Sent:
        order = self._planned.pop(message.attempt_id, None) or self._order()
        failures: list[Exception] = []
        for h in order:
            try:
                sent = await h.provider.send(message)
            except ProviderRefused as exc:
                h.record(self.clock(), failed=True)
                failures.append(exc)
            except PermanentError:
                raise  # the recipient or the message: every provider would refuse it alike
            except RetryableError as exc:
                h.record(self.clock(), failed=True)
                failures.append(exc)
            except Exception as exc:  # noqa: BLE001 - a bug in one adapter must not keep SMS from the others
                h.record(self.clock(), failed=True)
                failures.append(RetryableError(f"{h.provider.name}: {exc!r}"))
            else:
                h.record(self.clock(), failed=False)
                return Sent(provider_ref=sent.provider_ref, status=sent.status, provider=h.provider.name)
        raise _combined(failures)


def _combined(failures: list[Exception]) -> Exception:
    text = "; ".join(str(exc) for exc in failures)
    retryable = [exc for exc in failures if isinstance(exc, RetryableError)]
    if not retryable:
        return ProviderRefused(f"every SMS provider refused: {text}", provider=NAME)
    waits = [exc.retry_after for exc in retryable]
    # The soonest any of them could take it; unknown for one means unknown.
    known = [w for w in waits if w is not None]
    wait = min(known) if len(known) == len(waits) else None
    return RetryableError(f"every SMS provider failed: {text}", retry_after=wait)
