"""The help-center console under load (issue 12, Performance).

    python bench/console.py                 # 50 agents, 2,000 conversations, 20 messages/s for 60 s
    python bench/console.py --quick         # the same for 10 s
    python bench/console.py --agents 3 --conversations 20 --seconds 2   # a smoke run

The service runs as `tongdai serve` runs it, in a process of its own (so that
its memory is its own): `python -m hub.cli serve` on a temporary data
directory, the embedded SQLite store, recording providers, a real port. Before
it starts, this process fills that directory through the store as the
service itself would: agents in five teams plus one supervisor, each with a
console session (Sessions.start, what POST /console/login ends in: the
argon2 checks of 51 sign-ins are not what is measured); conversations on SMS
and web chat (half each) escalated and assigned round-robin to the agents of
their team.

Then, against the running service: every agent reads /console/api/me, goes
online (POST /console/api/presence) and keeps a websocket open on
/console/api/live; citizens write into assigned conversations at --rate per
second, open loop, through the real inbound paths: Twilio's SMS webhook with
a valid signature, and the web chat's /api/v1/assistant/messages. Measured:

- push: from the moment the citizen's message was sent to the service (an
  upper bound on "stored": the row's time is kept to the second only) to its
  `message.created` event arriving on the assigned agent's socket; the
  figure from the inbound call's answer is shown beside it;
- queue page: GET /console/api/queue?view=mine (a random agent) and
  ?view=all (the supervisor), each sampled a few times a second during the
  load, and for --baseline seconds before it with nobody writing;
- memory: the service process's resident set (VmRSS sampled, VmHWM = peak).

On a shared machine the tails follow other programs' work more than the
service's: the report gives the service's CPU use and how long its threads
waited for a CPU (/proc/<pid>/task/*/schedstat) beside the figures.

Targets (the issue's): push p99 < 200 ms, queue page p99 < 100 ms, service
memory < 300 MB. The script prints PASS/FAIL against each and exits 0: the
figures are for the closing note. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run by path, bench/ comes first on sys.path, where bench/assistant.py would
# shadow the `assistant` package hub.app imports: the repository root goes there instead.
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

TARGET_PUSH_P99_MS = 200.0
TARGET_QUEUE_P99_MS = 100.0
TARGET_RSS_MB = 300.0
TEAMS = ("Sở Xây dựng", "Sở Tư pháp", "Sở Tài nguyên và Môi trường", "UBND phường Thạch Thang", "Công an tỉnh")
TWILIO_TOKEN = "bench-twilio-auth-token"  # noqa: S105  the throwaway service's own, signs the bench's webhooks
MARK = re.compile(r"\[b(\d+)\]")
TEXTS = (
    "Cho tôi hỏi hồ sơ của tôi cần bổ sung giấy tờ gì ạ?",
    "Tôi đã nộp bản sao CCCD rồi, khi nào có kết quả?",
    "Cán bộ ơi, tôi muốn đổi lịch hẹn nhận kết quả.",
    "Xin hỏi lệ phí là bao nhiêu và nộp ở đâu?",
)


@dataclass
class Seat:
    """One signed-in console: an agent (or the supervisor) and its session cookie."""

    agent_id: str
    team: str | None
    token: str
    supervisor: bool = False
    csrf: str = ""


@dataclass
class Thread:
    conversation_id: str
    channel: str  # sms | webchat
    address: str
    agent_id: str


@dataclass
class Plan:
    seats: list[Seat]
    threads: list[Thread]
    last_seq: int
    seconds: float


@dataclass
class Figures:
    sent: dict[int, float] = field(default_factory=dict)  # message number -> perf_counter when posted
    answered: dict[int, float] = field(default_factory=dict)  # ... when the inbound call answered
    pushed: dict[int, float] = field(default_factory=dict)  # ... when it arrived on the assignee's socket
    supervisor_pushed: dict[int, float] = field(default_factory=dict)
    owner: dict[int, str] = field(default_factory=dict)  # message number -> the assignee's id
    duplicates: int = 0
    misrouted: int = 0  # arrived on an agent's socket that is not the assignee's
    events: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)  # websocket close codes
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    # "mine"/"all" during the load; "mine idle"/"all idle" before it, with no citizen writing
    queue_ms: dict[str, list[float]] = field(default_factory=dict)
    queue_items: dict[str, list[int]] = field(default_factory=dict)
    rss_kb: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set on every push to an assignee

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        self.error_samples.setdefault(kind, detail[:200])


def service_env(port: int) -> dict[str, str]:
    """The service's environment: the embedded default, plus what lets one
    client address drive it (as bench/run.sh does) and Twilio's webhook key."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TONGDAI_PUBLIC_RATE_LIMITS": "off",
        "TONGDAI_MAX_CONNECTIONS_PER_ADDRESS": "0",
        # Only the webhook's signing key: without an account SID, SMS still records instead of sending.
        "TONGDAI_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TONGDAI_PORT": str(port),
        "TONGDAI_HOST": "127.0.0.1",
    }


# -- setup: the data directory, filled through the store before the service starts


async def seed(args, data_dir: Path, env: dict[str, str]) -> Plan:
    from hub.app import bootstrap
    from hub.settings import Settings
    from hub.store.port import InboundRecord
    from models.citizen import Channel

    started = time.perf_counter()
    # Setup, not the measure: the seeding commits need not each reach the disk (the service runs FULL).
    settings = Settings.from_env(env, data_dir=data_dir, sqlite_synchronous="NORMAL")
    service = await bootstrap(settings)
    await service.open()
    store, now = service.store, datetime.now(UTC)
    try:
        seats: list[Seat] = []
        for i in range(args.agents):
            team = TEAMS[i % len(TEAMS)]
            agent, _ = await service.agents.create(
                f"Cán bộ {i:02d}", f"canbo{i:02d}@bench.example.vn", "agent", team, "bench"
            )
            seats.append(Seat(agent.id, team, await service.sessions.start(agent)))
        chief, _ = await service.agents.create(
            "Trưởng nhóm", "truongnhom@bench.example.vn", "supervisor", None, "bench"
        )
        supervisor = Seat(chief.id, None, await service.sessions.start(chief), supervisor=True)

        by_team: dict[str, list[Seat]] = {}
        for seat in seats:
            by_team.setdefault(seat.team or "", []).append(seat)
        teams = list(by_team)
        turn: Counter[str] = Counter()
        limit = asyncio.Semaphore(64)  # concurrent transactions share commits

        async def one(i: int) -> Thread:
            team = teams[i % len(teams)]
            seat = by_team[team][turn[team] % len(by_team[team])]
            turn[team] += 1
            sms = i % 2 == 0
            channel = Channel.SMS if sms else Channel.WEBCHAT
            address = f"+8491{i:07d}" if sms else f"web-bench-{i:06d}"
            async with limit:
                citizen = await store.ensure_contact(channel, address) if sms else None
                stored = await store.add_inbound(
                    InboundRecord(
                        channel=channel,
                        address=address,
                        text=f"{TEXTS[i % len(TEXTS)]} Tôi muốn gặp cán bộ.",
                        provider_message_id=f"seed-{i}",
                        citizen_id=citizen,
                        dossier_code=f"BENCH-{i:06d}" if i % 3 == 0 else None,
                    ),
                    lambda conversation_id: [],
                )
                cid = stored.conversation_id
                await store.escalate(cid, "complaint" if i % 10 == 0 else "request_human")
                if not await store.assign(cid, seat.agent_id, by="bench", now=now, team=team):
                    raise SystemExit(f"setup: could not assign {cid} to {seat.agent_id}")
            return Thread(cid, channel.value, address, seat.agent_id)

        threads = list(await asyncio.gather(*(one(i) for i in range(args.conversations))))
        last_seq = await store.feed_last_seq()
    finally:
        await service.close()
    return Plan([*seats, supervisor], threads, last_seq, time.perf_counter() - started)


def wait_settled(db_path: Path, timeout: float = 120.0) -> float:
    """The escalations seeded before the start are events in the outbox the
    service works through when it starts (auto-assignment finds everyone
    offline); the load begins once they are all dispatched."""
    started = time.perf_counter()
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        while time.perf_counter() - started < timeout:
            (pending,) = db.execute("SELECT count(*) FROM outbox WHERE dispatched = 0").fetchone()
            if pending == 0:
                return time.perf_counter() - started
            time.sleep(0.2)
    finally:
        db.close()
    raise SystemExit(f"setup: the service had not dispatched the seeded events after {timeout:.0f} s")


# -- the load


async def sign_in_consoles(session, url: str, plan: Plan, figures: Figures, sockets: list) -> None:
    """Each seat: /console/api/me for its CSRF token, presence online, the live socket."""

    async def one(seat: Seat) -> None:
        headers = {"Cookie": f"tongdai_console={seat.token}", "Origin": url}
        async with session.get(f"{url}/console/api/me", headers=headers) as resp:
            if resp.status != 200:
                raise SystemExit(f"setup: GET /console/api/me -> HTTP {resp.status}: {(await resp.text())[:300]}")
            seat.csrf = (await resp.json())["csrf_token"]
        ws = await session.ws_connect(
            f"{url}/console/api/live?since={plan.last_seq}", headers=headers, heartbeat=None, max_msg_size=0
        )
        sockets.append((seat, ws))
        async with session.post(
            f"{url}/console/api/presence",
            json={"presence": "online"},
            headers={**headers, "X-CSRF-Token": seat.csrf},
        ) as resp:
            if resp.status not in (200, 201, 204):
                raise SystemExit(
                    f"setup: POST /console/api/presence -> HTTP {resp.status}: {(await resp.text())[:300]}"
                )

    limit = asyncio.Semaphore(8)

    async def limited(seat: Seat) -> None:
        async with limit:
            await one(seat)

    await asyncio.gather(*(limited(seat) for seat in plan.seats))


async def read_socket(seat: Seat, ws, figures: Figures) -> None:
    import aiohttp

    seen: set[int] = set()
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        arrived = time.perf_counter()
        event = json.loads(msg.data)
        kind = event.get("kind", "?")
        if kind != "message.created":
            figures.events[kind] += 1
            continue
        message = (event.get("payload") or {}).get("message") or {}
        figures.events[f"{kind} ({message.get('direction')}, {message.get('kind')})"] += 1
        found = MARK.search(message.get("text") or "")
        if found is None or message.get("direction", "in") != "in":
            continue
        n = int(found.group(1))
        if n in seen:
            figures.duplicates += 1
            continue
        seen.add(n)
        if seat.supervisor:
            figures.supervisor_pushed[n] = arrived
        elif figures.owner.get(n) == seat.agent_id:
            figures.pushed[n] = arrived
            figures.arrived.set()
        else:
            figures.misrouted += 1
    figures.closed[str(ws.close_code)] += 1


async def send_messages(session, url: str, plan: Plan, args, figures: Figures) -> float:
    """Open loop: message n leaves at start + n / rate whatever the earlier ones are doing."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TWILIO_TOKEN)
    rng = random.Random(12)
    total = int(args.rate * args.seconds)
    tasks = []

    async def one(n: int, thread: Thread) -> None:
        text = f"{TEXTS[n % len(TEXTS)]} [b{n}]"
        figures.owner[n] = thread.agent_id
        try:
            figures.sent[n] = time.perf_counter()
            if thread.channel == "sms":
                path = "/webhooks/twilio/sms/inbound"
                form = {"From": thread.address, "To": "+84280000000", "Body": text, "MessageSid": f"SMbench{n:08d}"}
                # Twilio signs the public URL it called: the service's base URL.
                signature = validator.compute_signature(url + path, form)
                async with session.post(url + path, data=form, headers={"X-Twilio-Signature": signature}) as resp:
                    await resp.read()
                    status = resp.status
            else:
                body = {"sender": thread.address, "text": text, "channel": "webchat", "message_id": f"bench-{n}"}
                async with session.post(f"{url}/api/v1/assistant/messages", json=body) as resp:
                    await resp.read()
                    status = resp.status
            figures.answered[n] = time.perf_counter()
            if status != 200:
                figures.error(f"inbound HTTP {status}", thread.channel)
        except Exception as exc:  # a failed request is a figure, not the end of the run
            figures.error(f"inbound {type(exc).__name__}", str(exc))

    started = time.perf_counter()
    for n in range(total):
        delay = started + n / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, rng.choice(plan.threads))))
    await asyncio.gather(*tasks)
    return time.perf_counter() - started


async def sample_queue(
    session, url: str, seats: list[Seat], view: str, per_second: float, stop, figures: Figures, phase: str = ""
):
    rng = random.Random(view)
    key = f"{view} {phase}".strip()
    figures.queue_ms.setdefault(key, [])
    figures.queue_items.setdefault(key, [])
    while not stop.is_set():
        seat = rng.choice(seats)
        headers = {"Cookie": f"tongdai_console={seat.token}"}
        started = time.perf_counter()
        try:
            async with session.get(f"{url}/console/api/queue?view={view}", headers=headers) as resp:
                body = await resp.read()
                elapsed = (time.perf_counter() - started) * 1000
                if resp.status == 200:
                    figures.queue_ms[key].append(elapsed)
                    figures.queue_items[key].append(len(json.loads(body).get("items", [])))
                else:
                    figures.error(f"queue {view} HTTP {resp.status}", body.decode(errors="replace"))
        except Exception as exc:
            figures.error(f"queue {view} {type(exc).__name__}", str(exc))
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, 1 / per_second - (time.perf_counter() - started)))
        except TimeoutError:
            pass


async def sample_memory(pid: int, stop, figures: Figures) -> None:
    while not stop.is_set():
        rss = memory_kb(pid).get("VmRSS")
        if rss:
            figures.rss_kb.append(rss)
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def drive(args, plan: Plan, url: str, pid: int) -> tuple[Figures, dict]:
    import aiohttp

    figures = Figures()
    sockets: list = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as s:
        started = time.perf_counter()
        await sign_in_consoles(s, url, plan, figures, sockets)
        readers = [asyncio.create_task(read_socket(seat, ws, figures)) for seat, ws in sockets]
        online_seconds = time.perf_counter() - started
        await asyncio.sleep(1.0)  # presence events delivered; the feed quiet again
        before = memory_kb(pid)
        cpu_before, load_before, wait_before = cpu_seconds(pid), os.getloadavg()[0], cpu_wait_seconds(pid)
        client_before = cpu_wait_seconds(os.getpid())

        agents = [seat for seat in plan.seats if not seat.supervisor]
        supervisors = [seat for seat in plan.seats if seat.supervisor]
        # The same queue pages with nobody writing: what the machine gives before the load adds to it.
        idle = asyncio.Event()
        baseline = [
            asyncio.create_task(sample_queue(s, url, agents, "mine", args.queue_rate, idle, figures, "idle")),
            asyncio.create_task(sample_queue(s, url, supervisors, "all", args.queue_rate / 2, idle, figures, "idle")),
        ]
        await asyncio.sleep(args.baseline)
        idle.set()
        await asyncio.gather(*baseline)

        stop = asyncio.Event()
        samplers = [
            asyncio.create_task(sample_queue(s, url, agents, "mine", args.queue_rate, stop, figures)),
            asyncio.create_task(sample_queue(s, url, supervisors, "all", args.queue_rate / 2, stop, figures)),
            asyncio.create_task(sample_memory(pid, stop, figures)),
        ]
        load_seconds = await send_messages(s, url, plan, args, figures)
        cpu = (cpu_seconds(pid) - cpu_before) / load_seconds
        waited = (cpu_wait_seconds(pid) - wait_before) / load_seconds
        client_waited = (cpu_wait_seconds(os.getpid()) - client_before) / load_seconds
        load_after = os.getloadavg()[0]
        stop.set()
        await asyncio.gather(*samplers)
        # Stragglers: every push the service still owes, for up to 5 s.
        deadline = time.perf_counter() + 5
        while (left := deadline - time.perf_counter()) > 0 and len(figures.pushed) < len(figures.answered):
            figures.arrived.clear()
            try:
                await asyncio.wait_for(figures.arrived.wait(), timeout=left)
            except TimeoutError:
                break
        after = memory_kb(pid)
        for _, ws in sockets:
            await ws.close()
        await asyncio.gather(*readers, return_exceptions=True)
    return figures, {
        "online_seconds": online_seconds,
        "load_seconds": load_seconds,
        "before": before,
        "after": after,
        "cpu": cpu,
        "waited": waited,
        "client_waited": client_waited,
        "loadavg": (load_before, load_after),
    }


# -- the report


def report(args, plan: Plan, figures: Figures, timings: dict) -> dict:
    sent_push = [(figures.pushed[n] - figures.sent[n]) * 1000 for n in figures.pushed if n in figures.sent]
    answer_push = [(figures.pushed[n] - figures.answered[n]) * 1000 for n in figures.pushed if n in figures.answered]
    supervisor = [(figures.supervisor_pushed[n] - figures.sent[n]) * 1000 for n in figures.supervisor_pushed]
    inbound = [(figures.answered[n] - figures.sent[n]) * 1000 for n in figures.answered]
    push, mine, every = (
        percentiles(sent_push),
        percentiles(figures.queue_ms.get("mine", [])),
        percentiles(figures.queue_ms.get("all", [])),
    )
    peak_rss = max(figures.rss_kb, default=0) / 1024
    hwm = timings["after"].get("VmHWM", 0) / 1024
    agents = len(plan.seats) - 1
    print(
        f"console: {agents} agents + 1 supervisor on /console/api/live, {len(plan.threads)} open conversations "
        f"(SMS + web chat, {len(TEAMS)} teams), {args.rate:g} citizen messages/s for {args.seconds:g} s "
        f"({len(figures.sent)} sent in {timings['load_seconds']:.1f} s) through Twilio's webhook and the web chat API"
    )
    print(
        f"setup: seeded in {plan.seconds:.1f} s; service ready in {timings['ready_seconds']:.1f} s, "
        f"seeded events dispatched in {timings['settle_seconds']:.1f} s; consoles online in "
        f"{timings['online_seconds']:.1f} s"
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
        "push: sent -> assignee's socket (ms)",
        sent_push,
        f"p99 < {TARGET_PUSH_P99_MS:.0f}",
        verdict(push["p99"], TARGET_PUSH_P99_MS),
    )
    row("push: inbound answered -> assignee's socket", answer_push)
    row("push: sent -> supervisor's socket", supervisor)
    row("inbound call (webhook / web chat API)", inbound)
    row("queue page ?view=mine, before the load", figures.queue_ms.get("mine idle", []))
    row("queue page ?view=all, before the load", figures.queue_ms.get("all idle", []))
    row(
        "queue page ?view=mine (agent)",
        figures.queue_ms.get("mine", []),
        f"p99 < {TARGET_QUEUE_P99_MS:.0f}",
        verdict(mine["p99"], TARGET_QUEUE_P99_MS),
    )
    row(
        "queue page ?view=all (supervisor)",
        figures.queue_ms.get("all", []),
        f"p99 < {TARGET_QUEUE_P99_MS:.0f}",
        verdict(every["p99"], TARGET_QUEUE_P99_MS),
    )
    print(
        f"{'service memory: peak RSS (VmHWM), MB':<46} {'':>6} {'':>8} {'':>8} {'':>8} {hwm:>8.1f}"
        f"   < {TARGET_RSS_MB:.0f} MB    {verdict(hwm if hwm else math.nan, TARGET_RSS_MB)}"
    )
    rss_before = timings["before"].get("VmRSS", 0) / 1024
    print(f"  RSS when the load began {rss_before:.1f} MB, highest sampled during it {peak_rss:.1f} MB")
    print(
        f"  service CPU during the load {timings['cpu'] * 100:.0f}% of one core; machine load average "
        f"{timings['loadavg'][0]:.1f} -> {timings['loadavg'][1]:.1f} on {os.cpu_count()} cores; its threads "
        f"waited for a CPU {timings['waited'] * 1000:.0f} ms per second of load (this client's: "
        f"{timings['client_waited'] * 1000:.0f} ms)"
    )
    missing = len(figures.answered) - len(figures.pushed)
    print(
        f"  pushes: {len(figures.pushed)} of {len(figures.answered)} answered messages reached their assignee "
        f"({missing} missing after 5 s), duplicates {figures.duplicates}, on another agent's socket {figures.misrouted}"
    )
    print(f"  events received: {dict(figures.events)}; sockets closed with codes {dict(figures.closed)}")
    items = figures.queue_items
    if items.get("mine") or items.get("all"):
        print(
            f"  queue pages held {min(items.get('mine', []), default=0)}-{max(items.get('mine', []), default=0)} "
            f"items (mine), {min(items.get('all', []), default=0)}-{max(items.get('all', []), default=0)} (all)"
        )
    print(f"errors {sum(figures.errors.values())}")
    for kind, count in sorted(figures.errors.items()):
        print(f"  {kind:<28} {count:>6}   e.g. {figures.error_samples[kind]}")
    summary = {
        "bench": "console",
        "agents": agents,
        "conversations": len(plan.threads),
        "rate": args.rate,
        "seconds": args.seconds,
        "sent": len(figures.sent),
        "pushed": len(figures.pushed),
        "push_ms": json_safe(push),
        "queue_mine_ms": json_safe(mine),
        "queue_all_ms": json_safe(every),
        "rss_peak_mb": round(hwm, 1),
        "service_cpu": round(timings["cpu"], 3),
        "service_cpu_wait": round(timings["waited"], 3),
        "loadavg": timings["loadavg"][1],
        "errors": sum(figures.errors.values()),
        "pass": {
            "push_p99": verdict(push["p99"], TARGET_PUSH_P99_MS) == "PASS",
            "queue_p99": max(mine["p99"], every["p99"]) < TARGET_QUEUE_P99_MS,
            "rss": 0 < hwm < TARGET_RSS_MB,
        },
    }
    print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    return summary


async def measure(args, plan: Plan, url: str, pid: int, timings: dict) -> None:
    figures, more = await drive(args, plan, url, pid)
    timings.update(more)
    report(args, plan, figures, timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20.0, help="citizen messages per second (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a 10 s smoke run")
    parser.add_argument("--queue-rate", type=float, default=4.0, help="queue page samples/s for view=mine (all: half)")
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds of queue pages before the load")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (server.log, the database)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 10.0)
        args.baseline = min(args.baseline, 2.0)
    if args.agents < 1 or args.conversations < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--agents, --conversations, --rate and --seconds must be positive")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    data_dir = Path(tempfile.mkdtemp(prefix="tongdai-bench-console-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = service_env(port)
    proc = None
    try:
        plan = asyncio.run(seed(args, data_dir, env))
        proc = start_service(data_dir, port, env)
        print(f"service: pid {proc.pid} at {url} (py-spy record -p {proc.pid} profiles it)", file=sys.stderr)
        timings = {"ready_seconds": wait_ready(proc, url, data_dir)}
        timings["settle_seconds"] = wait_settled(data_dir / "tongdai.sqlite3")
        asyncio.run(measure(args, plan, url, proc.pid, timings))
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
