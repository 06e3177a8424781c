"""A key that keeps coming back waits longer each time (issue 12: lockout with backoff)."""

from hub.api.guard import MAX_LOCK, FailureLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _fail_until_locked(guard, key, clock):
    while guard.retry_after(key) is None:
        guard.fail(key)
        clock.now += 1


def test_first_lockout_is_the_window_then_each_one_in_a_row_doubles():
    clock = Clock()
    guard = FailureLimiter(limit=3, window=900, clock=clock)
    _fail_until_locked(guard, "console:email:an@example.vn", clock)
    first = guard.retry_after("console:email:an@example.vn")
    assert 890 <= first <= 900
    clock.now += first
    assert guard.retry_after("console:email:an@example.vn") is None
    guard.fail("console:email:an@example.vn")  # straight back at it
    assert 1790 <= guard.retry_after("console:email:an@example.vn") <= 1800
    clock.now += 1800
    _fail_until_locked(guard, "console:email:an@example.vn", clock)  # a few more tries, then twice as long again
    assert 3590 <= guard.retry_after("console:email:an@example.vn") <= 3600


def test_the_wait_never_exceeds_a_day():
    clock = Clock()
    guard = FailureLimiter(limit=1, window=900, clock=clock)
    for _ in range(12):
        guard.fail("k")
        clock.now += guard.retry_after("k") or 0
    guard.fail("k")
    assert guard.retry_after("k") <= MAX_LOCK


def test_a_quiet_window_after_the_lockout_forgets_the_backoff():
    clock = Clock()
    guard = FailureLimiter(limit=2, window=900, clock=clock)
    for _ in range(3):
        _fail_until_locked(guard, "k", clock)
        clock.now += guard.retry_after("k")
    assert guard.retry_after("k") is None
    clock.now += 901  # nothing from this key for a whole window after its lockout
    guard.fail("other")  # any failure sweeps expired keys
    assert "k" not in guard._failures
    _fail_until_locked(guard, "k", clock)
    assert guard.retry_after("k") <= 900


def test_other_keys_are_not_slowed():
    clock = Clock()
    guard = FailureLimiter(limit=2, window=900, clock=clock)
    for _ in range(3):
        _fail_until_locked(guard, "a", clock)
        clock.now += guard.retry_after("a")
    guard.fail("b")
    assert guard.retry_after("b") is None
