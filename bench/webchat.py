"""The web chat widget under load, and the kiosk page's first paint (issue 13, Performance).

    python bench/webchat.py                 # 500 widget sessions, a question every 5 s each, for 60 s
    python bench/webchat.py --quick         # 50 sessions for 10 s
    python bench/webchat.py --sessions 3 --seconds 2 --interval 1   # a smoke run

The service runs as `tongdai serve` runs it, in a process of its own (so that
its memory is its own): `python -m hub.cli serve` on an empty temporary data
directory, the embedded SQLite store, the built-in assistant, a real port.

Then, against the running service, what the widget does (docs/KIOSK_WEBCHAT.md):
every session is made with POST /webchat/sessions and keeps its websocket open
on /webchat/sessions/{token}/live?after=0; each asks a question every
--interval seconds (its own phase, so the questions are spread evenly) with
POST /webchat/sessions/{token}/messages, a mix of questions the built-in
assistant answers itself (fees, documents, times, places, office hours).
Measured:

- answer: from the moment a question is posted to the first of the
  assistant's replies to it arriving on that session's socket (the replies
  are the ids the POST answered with, all after the question's id);
- loss and duplicates: every question and every reply the POST answered with
  arrives on its session's socket exactly once, ids strictly increasing;
- the POST's round trip (the service answers it with the replies too);
- memory: the service process's resident set (VmRSS sampled, VmHWM = peak);
- the service's CPU with every socket open and nobody asking (--idle seconds
  before the questions): what the sockets cost by themselves;
- the kiosk page: first-contentful-paint of GET /kiosk in Debian's Chromium
  (Playwright, executable_path), a fresh browser context (empty cache) per load,
  before the load starts.

One client address drives every session, so the service's `webchat` rate
limit (hub/api/ratelimit.py, per address) and its connections-per-address cap
are raised for it (TONGDAI_PUBLIC_RATE_LIMITS, TONGDAI_MAX_CONNECTIONS_PER_ADDRESS),
and the per-session `assistant_sender` limit too when --interval asks faster
than it allows; the output says to what.

On a shared machine the tails follow other programs' work more than the
service's: the report gives the machine's load average, the service's CPU
use, how long its threads waited for a CPU (/proc/<pid>/task/*/schedstat)
and this client's own event-loop lag beside the figures.

Targets (the issue's): answer p99 < 100 ms, no lost or duplicated message,
service memory < 300 MB, kiosk first paint < 1 s. The script prints PASS/FAIL
against each and exits 0: the figures are for the closing note. The last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run by path, bench/ comes first on sys.path, where bench/assistant.py would
# shadow the `assistant` package: the repository root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from bench.process import (  # noqa: E402  after the path is set
    cpu_seconds,
    cpu_wait_seconds,
    free_port,
    json_safe,
    memory_kb,
    percentiles,
    start_service,
    verdict,
    wait_ready,
)

TARGET_ANSWER_P99_MS = 100.0
TARGET_RSS_MB = 300.0
TARGET_PAINT_MS = 1000.0
CHROMIUM = "/usr/bin/chromium"
PAINT_LOADS = 5
# Questions the built-in assistant answers without a hand-off (assistant/data/nlu.yml, knowledge.yml).
QUESTIONS = (
    "lệ phí đăng ký khai sinh bao nhiêu",
    "thủ tục cấp lý lịch tư pháp cần gì",
    "mấy giờ làm việc",
    "làm kết hôn mất bao lâu",
    "nộp khai sinh ở đâu",
    "xin giấy phép xây dựng cần những giấy tờ gì",
    "phí đổi căn cước là bao nhiêu tiền",
    "đăng ký kinh doanh mấy ngày",
    "thứ bảy có làm việc không",
    "làm sổ đỏ ở đâu",
)


@dataclass
class Question:
    session: int
    number: int
    text: str
    sent: float = math.nan  # perf_counter when posted
    answered: float = math.nan  # ... when the POST answered
    status: int = 0
    message_id: int | None = None
    reply_ids: list[int] = field(default_factory=list)


@dataclass
class Session:
    index: int
    token: str = ""
    ws: Any = None
    arrived: dict[int, float] = field(default_factory=dict)  # message id -> first arrival on the socket
    last_id: int = 0
    duplicates: int = 0  # an id that came again
    out_of_order: int = 0  # a new id lower than one already seen
    frames: Counter[str] = field(default_factory=Counter)
    close_code: int | None = None
    questions: list[Question] = field(default_factory=list)


@dataclass
class Figures:
    create_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)  # this client's own delays
    late_sends: int = 0  # a question that left after its slot: the session's previous POST was still out
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set on every new id on a socket
    closing: bool = False  # the bench closes the sockets: a close before that is an error

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        self.error_samples.setdefault(kind, detail[:200])


def raised_limits(args) -> dict[str, str]:
    """What lets one client address run every session: each `webchat*`
    scope of hub/api/ratelimit.py (per address) at four times the bench's own
    pace (a session, a socket and 60/interval questions a minute per session),
    the per-sender `assistant_sender` scope (per session: the web chat's POST
    takes from it) when a question every --interval seconds is faster than it
    allows, and room for every socket and the HTTP pool on the per-address
    connection cap."""
    from hub.api.ratelimit import DEFAULT_RATES

    per_session = math.ceil(60 / args.interval)
    rates = {
        scope: max(1000, 4 * args.sessions * (2 + per_session))
        for scope in sorted(DEFAULT_RATES)
        if scope.startswith("webchat")
    }
    count, seconds = DEFAULT_RATES["assistant_sender"]
    if per_session > count * 60 / seconds:
        rates["assistant_sender"] = 4 * per_session
    limits = {"TONGDAI_MAX_CONNECTIONS_PER_ADDRESS": str(2 * args.sessions + 256)}
    if rates:
        limits["TONGDAI_PUBLIC_RATE_LIMITS"] = ",".join(f"{scope}={n}/min" for scope, n in rates.items())
    return limits


def defaults() -> str:
    from hub.api.ratelimit import DEFAULT_RATES
    from hub.settings import Settings

    shown = [
        f"{scope} {count}/{seconds:g} s"
        for scope, (count, seconds) in DEFAULT_RATES.items()
        if scope.startswith("webchat") or scope == "assistant_sender"
    ]
    return ", ".join([*shown, f"{Settings.max_connections_per_address} connections per address"])


def service_env(port: int, limits: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        **limits,
        "TONGDAI_PORT": str(port),
        "TONGDAI_HOST": "127.0.0.1",
        "TONGDAI_ASSISTANT_ENGINE": "builtin",
    }


# -- the kiosk page


def kiosk_paint(url: str, loads: int) -> dict:
    """first-contentful-paint of GET /kiosk, each load in a fresh context (no
    cache), after one warm-up load that starts Chromium's renderer. Sync
    Playwright, before the load's event loop runs (it refuses to run inside one)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed (the test venv has it: make bench-webchat)"}
    if not Path(CHROMIUM).exists():
        return {"error": f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"}
    paint_js = """() => new Promise(resolve => {
        const found = () => performance.getEntriesByName("first-contentful-paint")[0];
        if (found()) return resolve(found().startTime);
        new PerformanceObserver(() => found() && resolve(found().startTime))
            .observe({type: "paint", buffered: true});
        setTimeout(() => resolve(null), 5000);
    })"""
    timing_js = """() => {
        const n = performance.getEntriesByType("navigation")[0];
        const fp = performance.getEntriesByName("first-paint")[0];
        return {ttfb: n.responseStart, dom: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                first_paint: fp ? fp.startTime : null, bytes: n.transferSize,
                resources: performance.getEntriesByType("resource").length};
    }"""
    result: dict = {"fcp_ms": [], "first_paint_ms": [], "ttfb_ms": [], "dom_ms": [], "load_ms": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for n in range(loads + 1):
                context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="vi-VN")
                page = context.new_page()
                try:
                    response = page.goto(f"{url}/kiosk", wait_until="load", timeout=30_000)
                    status = response.status if response else 0
                    if status != 200:
                        return {"error": f"GET /kiosk -> HTTP {status}: the kiosk page is not there"}
                    fcp = page.evaluate(paint_js)
                    more = page.evaluate(timing_js)
                finally:
                    context.close()
                if n == 0:
                    continue  # the warm-up
                if fcp is None:
                    result.setdefault("no_paint", 0)
                    result["no_paint"] += 1
                else:
                    result["fcp_ms"].append(fcp)
                for key, name in (("first_paint_ms", "first_paint"), ("ttfb_ms", "ttfb"), ("dom_ms", "dom")):
                    if more[name] is not None:
                        result[key].append(more[name])
                result["load_ms"].append(more["load"])
                result["bytes"], result["resources"] = more["bytes"], more["resources"]
        finally:
            browser.close()
    return result


# -- the load


async def create_sessions(http, url: str, sessions: list[Session], figures: Figures) -> None:
    import aiohttp

    limit = asyncio.Semaphore(32)

    async def one(session: Session) -> None:
        async with limit:
            started = time.perf_counter()
            async with http.post(f"{url}/webchat/sessions", headers={"Origin": url}) as resp:
                body = await resp.text()
                if resp.status != 201:
                    raise SystemExit(f"setup: POST /webchat/sessions -> HTTP {resp.status}: {body[:300]}")
                session.token = json.loads(body)["token"]
            figures.create_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            try:
                session.ws = await http.ws_connect(
                    f"{url}/webchat/sessions/{session.token}/live?after=0",
                    headers={"Origin": url},
                    heartbeat=None,
                    max_msg_size=0,
                )
            except aiohttp.WSServerHandshakeError as exc:
                raise SystemExit(
                    f"setup: websocket /webchat/sessions/…/live -> HTTP {exc.status}: {exc.message}"
                ) from None
            hello = await session.ws.receive(timeout=30)
            if hello.type != aiohttp.WSMsgType.TEXT or json.loads(hello.data).get("kind") != "hello":
                raise SystemExit(f"setup: the live socket's first frame is not hello: {hello.type} {hello.data!r}")
            figures.connect_ms.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(one(session) for session in sessions))


async def read_socket(session: Session, figures: Figures) -> None:
    import aiohttp

    ws = session.ws
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        arrived = time.perf_counter()
        frame = json.loads(msg.data)
        kind = frame.get("kind", "?")
        message = frame.get("message") or {}
        session.frames[f"{kind} {message.get('author', '')}".strip()] += 1
        if kind != "message" or not isinstance(message.get("id"), int):
            continue
        mid = message["id"]
        if mid in session.arrived:
            session.duplicates += 1
            continue
        if mid < session.last_id:
            session.out_of_order += 1
        session.last_id = max(session.last_id, mid)
        session.arrived[mid] = arrived
        figures.arrived.set()
    session.close_code = ws.close_code
    if not figures.closing:
        figures.error("socket closed by the service", f"close code {ws.close_code}")


async def ask(http, url: str, session: Session, args, started: float, figures: Figures) -> None:
    """One widget user: a question every --interval seconds from its own phase
    on, the next never before the previous POST answered (as a person types)."""
    rng = random.Random(session.index)
    phase = rng.uniform(0, args.interval)
    number = 0
    while (slot := phase + number * args.interval) < args.seconds:
        delay = started + slot - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            figures.late_sends += 1
        question = Question(session.index, number, QUESTIONS[(session.index + number) % len(QUESTIONS)])
        session.questions.append(question)
        body = {"text": question.text, "client_id": f"bench-{session.index}-{number}"}
        try:
            question.sent = time.perf_counter()
            async with http.post(
                f"{url}/webchat/sessions/{session.token}/messages", json=body, headers={"Origin": url}
            ) as resp:
                text = await resp.text()
                question.answered, question.status = time.perf_counter(), resp.status
            if resp.status == 201:
                answer = json.loads(text)
                question.message_id = answer["message"]["id"]
                question.reply_ids = [reply["id"] for reply in answer.get("replies", [])]
            else:
                figures.error(f"POST messages HTTP {resp.status}", text)
        except Exception as exc:  # a failed request is a figure, not the end of the run
            figures.error(f"POST messages {type(exc).__name__}", str(exc))
        number += 1


async def sample(pid: int, stop: asyncio.Event, figures: Figures) -> None:
    """The service's RSS every 0.5 s, and this client's event-loop lag every
    50 ms: a late wake-up here is time counted against the service."""
    last_rss = 0.0
    while not stop.is_set():
        planned = time.perf_counter() + 0.05
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.05)
        except TimeoutError:
            pass
        now = time.perf_counter()
        figures.loop_lag_ms.append(max(0.0, (now - planned) * 1000))
        if now - last_rss >= 0.5:
            last_rss = now
            if rss := memory_kb(pid).get("VmRSS"):
                figures.rss_kb.append(rss)


def owed(sessions: list[Session]) -> int:
    """Ids the POSTs answered with that have not reached their socket yet."""
    return sum(
        1
        for s in sessions
        for q in s.questions
        for mid in ([q.message_id] if q.message_id is not None else []) + q.reply_ids
        if mid not in s.arrived
    )


async def drive(args, url: str, pid: int) -> tuple[list[Session], Figures, dict]:
    import aiohttp

    figures = Figures()
    sessions = [Session(i) for i in range(args.sessions)]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        setup_started = time.perf_counter()
        await create_sessions(http, url, sessions, figures)
        setup_seconds = time.perf_counter() - setup_started
        readers = [asyncio.create_task(read_socket(s, figures)) for s in sessions]
        await asyncio.sleep(1.0)
        # The sockets open and nobody asking: what they cost by themselves (the safety-net reads, heartbeats).
        idle_cpu = cpu_seconds(pid)
        await asyncio.sleep(args.idle)
        idle_cpu = (cpu_seconds(pid) - idle_cpu) / args.idle if args.idle > 0 else math.nan
        before = memory_kb(pid)
        cpu_before, wait_before = cpu_seconds(pid), cpu_wait_seconds(pid)
        client_cpu_before, client_wait_before = cpu_seconds(os.getpid()), cpu_wait_seconds(os.getpid())
        load_before = os.getloadavg()

        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(pid, stop, figures))
        started = time.perf_counter()
        await asyncio.gather(*(ask(http, url, s, args, started, figures) for s in sessions))
        load_seconds = time.perf_counter() - started
        timings = {
            "setup_seconds": setup_seconds,
            "idle_cpu": idle_cpu,
            "load_seconds": load_seconds,
            "cpu": (cpu_seconds(pid) - cpu_before) / load_seconds,
            "waited": (cpu_wait_seconds(pid) - wait_before) / load_seconds,
            "client_cpu": (cpu_seconds(os.getpid()) - client_cpu_before) / load_seconds,
            "client_waited": (cpu_wait_seconds(os.getpid()) - client_wait_before) / load_seconds,
            "loadavg": (load_before, os.getloadavg()),
            "before": before,
        }
        # Stragglers: everything the service still owes a socket, for up to 5 s.
        deadline = time.perf_counter() + 5
        while (left := deadline - time.perf_counter()) > 0 and owed(sessions):
            figures.arrived.clear()
            try:
                await asyncio.wait_for(figures.arrived.wait(), timeout=left)
            except TimeoutError:
                break
        await asyncio.sleep(0.3)  # a duplicate sent after the last frame is still counted
        stop.set()
        await sampler
        timings["after"] = memory_kb(pid)
        figures.closing = True
        for s in sessions:
            if s.ws is not None and s.close_code is None and not s.ws.closed:
                await s.ws.close()
        await asyncio.gather(*readers, return_exceptions=True)
    return sessions, figures, timings


# -- the report


def tally(sessions: list[Session]) -> dict:
    """Answer times and what the sockets got wrong, from the POSTs' ids."""
    answer_ms: list[float] = []
    last_ms: list[float] = []
    post_ms: list[float] = []
    counts: Counter[str] = Counter()
    for s in sessions:
        for q in s.questions:
            counts["asked"] += 1
            if not math.isnan(q.answered):
                post_ms.append((q.answered - q.sent) * 1000)
            if q.message_id is None:
                continue
            counts["posted"] += 1
            if q.message_id not in s.arrived:
                counts["question lost"] += 1
            if not q.reply_ids:
                counts["no reply"] += 1  # the assistant did not answer (a hand-off?)
                continue
            counts["replies"] += len(q.reply_ids)
            if any(mid <= q.message_id for mid in q.reply_ids):
                counts["reply before question"] += 1
            got = [s.arrived[mid] for mid in q.reply_ids if mid in s.arrived]
            counts["reply lost"] += len(q.reply_ids) - len(got)
            if got:
                counts["answered"] += 1
                answer_ms.append((min(got) - q.sent) * 1000)
                if len(got) == len(q.reply_ids):
                    last_ms.append((max(got) - q.sent) * 1000)
        counts["duplicates"] += s.duplicates
        counts["out of order"] += s.out_of_order
        known = {q.message_id for q in s.questions} | {mid for q in s.questions for mid in q.reply_ids}
        counts["unexpected"] += len(set(s.arrived) - known)  # on the socket, never answered by a POST
    return {"answer_ms": answer_ms, "last_ms": last_ms, "post_ms": post_ms, "counts": counts}


def report(args, sessions: list[Session], figures: Figures, timings: dict, paint: dict, limits: dict) -> dict:
    found = tally(sessions)
    counts = found["counts"]
    answer = percentiles(found["answer_ms"])
    post = percentiles(found["post_ms"])
    fcp = percentiles(paint.get("fcp_ms", []))
    hwm = timings["after"].get("VmHWM", 0) / 1024
    lost = counts["question lost"] + counts["reply lost"]
    unanswered = counts["posted"] - counts["answered"]
    intact = lost == 0 and counts["duplicates"] == 0 and counts["out of order"] == 0 and counts["asked"] > 0
    # A frame no POST named is a message stored twice under another id (no agent writes here).
    intact = intact and unanswered == 0 and counts["posted"] == counts["asked"] and counts["unexpected"] == 0
    print(
        f"webchat: {len(sessions)} widget sessions on /webchat/sessions/…/live, a question every "
        f"{args.interval:g} s each for {args.seconds:g} s ({counts['asked']} asked in "
        f"{timings['load_seconds']:.1f} s, {counts['asked'] / timings['load_seconds']:.0f}/s), built-in assistant"
    )
    print(
        "for one client address: "
        + (", ".join(f"{k}={v}" for k, v in limits.items()) + f" (the service's defaults: {defaults()})")
    )
    print(
        f"setup: service ready in {timings['ready_seconds']:.1f} s; {len(sessions)} sessions made and their "
        f"sockets open in {timings['setup_seconds']:.1f} s"
    )
    print()
    print(f"{'measure':<46} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}   target      result")

    def row(label: str, samples: list[float], target: str = "", result: str = "") -> None:
        s = percentiles(samples)
        print(
            f"{label:<46} {len(samples):>6} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['p99']:>8.1f} {s['max']:>8.1f}"
            f"   {target:<11} {result}"
        )

    row(
        "answer: posted -> reply on the socket (ms)",
        found["answer_ms"],
        f"p99 < {TARGET_ANSWER_P99_MS:.0f}",
        verdict(answer["p99"], TARGET_ANSWER_P99_MS),
    )
    row("answer: posted -> last reply on the socket", found["last_ms"])
    row("POST /webchat/sessions/…/messages round trip", found["post_ms"])
    row("POST /webchat/sessions (new session)", figures.create_ms)
    row("websocket open -> hello frame", figures.connect_ms)
    row("this client's event-loop lag (50 ms ticks)", figures.loop_lag_ms)
    print(
        f"{'messages: lost / duplicated / out of order':<46} {'':>6} {lost:>8} {counts['duplicates']:>8} "
        f"{counts['out of order']:>8} {'':>8}   none        {'PASS' if intact else 'FAIL'}"
    )
    print(
        f"{'service memory: peak RSS (VmHWM), MB':<46} {'':>6} {'':>8} {'':>8} {'':>8} {hwm:>8.1f}"
        f"   < {TARGET_RSS_MB:.0f} MB    {verdict(hwm if hwm else math.nan, TARGET_RSS_MB)}"
    )
    if paint.get("error"):
        print(f"{'kiosk GET /kiosk first-contentful-paint':<46}   NO DATA: {paint['error']}")
    else:
        row(
            "kiosk GET /kiosk first-contentful-paint (ms)",
            paint["fcp_ms"],
            f"max < {TARGET_PAINT_MS:.0f}",
            verdict(fcp["max"], TARGET_PAINT_MS),
        )
        row("kiosk: first paint", paint["first_paint_ms"])
        row("kiosk: first byte", paint["ttfb_ms"])
        row("kiosk: DOMContentLoaded done", paint["dom_ms"])
        row("kiosk: load event", paint["load_ms"])
        print(
            f"  {len(paint['load_ms'])} cold loads (fresh context, 1080x1920) after a warm-up, before the chat load; "
            f"the page "
            f"{paint.get('bytes', 0) / 1024:.1f} kB transferred, {paint.get('resources', 0)} resources"
            + (f"; {paint['no_paint']} loads reported no paint" if paint.get("no_paint") else "")
        )
    rss_before = timings["before"].get("VmRSS", 0) / 1024
    if not math.isnan(timings["idle_cpu"]):
        print(
            f"  with the {len(sessions)} sockets open and nobody asking ({args.idle:g} s before the questions): "
            f"service CPU {timings['idle_cpu'] * 100:.0f}% of one core"
        )
    print(
        f"  peak RSS already when the service was ready: {timings['started_hwm'] / 1024:.1f} MB (its start-up); "
        f"RSS with the sockets open, before the questions {rss_before:.1f} MB, highest sampled during them "
        f"{max(figures.rss_kb, default=0) / 1024:.1f} MB"
    )
    (l1, l5, l15), (a1, _, _) = timings["loadavg"]
    print(
        f"  machine load average {l1:.2f} {l5:.2f} {l15:.2f} before, {a1:.2f} after, on {os.cpu_count()} cores; "
        f"service CPU {timings['cpu'] * 100:.0f}% of one core, its threads waited for a CPU "
        f"{timings['waited'] * 1000:.0f} ms per second; this client {timings['client_cpu'] * 100:.0f}% "
        f"(waited {timings['client_waited'] * 1000:.0f} ms/s)"
    )
    print(
        f"  questions: {counts['asked']} asked, {counts['posted']} stored (201), {counts['answered']} answered "
        f"on the socket, {counts['no reply']} with no reply in the POST, {counts['replies']} replies; "
        f"lost on the socket: {counts['question lost']} questions, {counts['reply lost']} replies; "
        f"frames the POSTs never named {counts['unexpected']}; replies with an id below the question's "
        f"{counts['reply before question']}; questions sent late (previous POST still out) {figures.late_sends}"
    )
    frames: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    for s in sessions:
        frames.update(s.frames)
        closed[str(s.close_code or "closed by the bench")] += 1
    print(f"  frames received: {dict(frames)}; sockets: {dict(closed)}")
    print(f"errors {sum(figures.errors.values())}")
    for kind, count in sorted(figures.errors.items()):
        print(f"  {kind:<28} {count:>6}   e.g. {figures.error_samples[kind]}")
    summary = {
        "bench": "webchat",
        "sessions": len(sessions),
        "interval": args.interval,
        "seconds": args.seconds,
        "asked": counts["asked"],
        "posted": counts["posted"],
        "answered": counts["answered"],
        "replies": counts["replies"],
        "lost": lost,
        "duplicates": counts["duplicates"],
        "out_of_order": counts["out of order"],
        "unexpected": counts["unexpected"],
        "answer_ms": json_safe(answer),
        "post_ms": json_safe(post),
        "kiosk_fcp_ms": None if paint.get("error") else json_safe(fcp),
        "kiosk_error": paint.get("error"),
        "rss_peak_mb": round(hwm, 1),
        "service_cpu": round(timings["cpu"], 3),
        "service_cpu_idle": None if math.isnan(timings["idle_cpu"]) else round(timings["idle_cpu"], 3),
        "loadavg": [round(v, 2) for v in timings["loadavg"][1]],
        "limits": limits,
        "errors": sum(figures.errors.values()),
        "pass": {
            "answer_p99": verdict(answer["p99"], TARGET_ANSWER_P99_MS) == "PASS",
            "no_loss": intact,
            "rss": 0 < hwm < TARGET_RSS_MB,
            "kiosk_paint": verdict(fcp["max"], TARGET_PAINT_MS) == "PASS",
        },
    }
    print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between one session's questions")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="50 sessions for 10 s")
    parser.add_argument("--paint-loads", type=int, default=PAINT_LOADS, help="cold loads of /kiosk (0: none)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds with the sockets open before the questions")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (server.log, the database)")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.seconds, args.idle = min(args.sessions, 50), min(args.seconds, 10.0), min(args.idle, 2.0)
    if args.sessions < 1 or args.interval <= 0 or args.seconds <= 0 or args.idle < 0:
        parser.error("--sessions, --interval and --seconds must be positive, --idle not negative")

    data_dir = Path(tempfile.mkdtemp(prefix="tongdai-bench-webchat-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    limits = raised_limits(args)
    env = service_env(port, limits)
    proc = None
    try:
        proc = start_service(data_dir, port, env)
        print(f"service: pid {proc.pid} at {url} (py-spy record -p {proc.pid} profiles it)", file=sys.stderr)
        ready = wait_ready(proc, url, data_dir, timeout=180.0)
        started_hwm = memory_kb(proc.pid).get("VmHWM", 0)
        paint = kiosk_paint(url, args.paint_loads) if args.paint_loads > 0 else {"error": "not measured"}
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        sessions, figures, timings = asyncio.run(drive(args, url, proc.pid))
        timings["ready_seconds"], timings["started_hwm"] = ready, started_hwm
        report(args, sessions, figures, timings, paint, limits)
        if proc.poll() is not None:
            print("note: the service exited during the run; see server.log", file=sys.stderr)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if args.keep:
            print(f"data directory kept: {data_dir}", file=sys.stderr)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
