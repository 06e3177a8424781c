"""The built-in assistant engine against a real Rasa 3.6.21 server, trained on
the same project, on the held-out test set (assistant/evaluation/test_set.yml,
never part of the training data): accuracy, macro-F1, p50/p99 turn latency and
resident memory, side by side.

    python bench/assistant.py                 # builds/trains Rasa (cached), starts it, stops it
    python bench/assistant.py --rasa-url URL  # a Rasa server already running (memory then unknown)
    python bench/assistant.py --builtin-only

A "turn" is what a citizen waits for: for the built-in engine, parse + dialogue
in-process; for Rasa, a POST to its REST channel (parse, policies, response).
Memory is the resident set of the process serving the engine: a fresh Python
process holding only the built-in engine, and the Rasa server's process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run by path, bench/ comes first on sys.path, where this file would shadow the
# `assistant` package it measures: the repository root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from assistant.builtin import PROJECT, BuiltinEngine  # noqa: E402
from assistant.port import FALLBACK_INTENT  # noqa: E402

TEST_SET = PROJECT / "evaluation" / "test_set.yml"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]+\})")


def load_test_set(path: Path = TEST_SET) -> list[tuple[str, str]]:
    """(text, intent) pairs, entity annotations stripped to their text."""
    pairs = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((_ANNOTATION.sub(r"\1", line[2:]).strip(), block["intent"]))
    return pairs


def scores(pairs: list[tuple[str, str]], predicted: list[str]) -> tuple[float, float]:
    """Accuracy and macro-F1 over the intents of the test set; a fallback counts as wrong."""
    accuracy = sum(p == gold for (_, gold), p in zip(pairs, predicted, strict=True)) / len(pairs)
    f1s = []
    for intent in sorted({gold for _, gold in pairs}):
        tp = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if g == intent and p == intent)
        fp = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if g != intent and p == intent)
        fn = sum(1 for (_, g), p in zip(pairs, predicted, strict=True) if g == intent and p != intent)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return accuracy, sum(f1s) / len(f1s)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


_BUILTIN_RSS = """
import asyncio, sys
sys.path.insert(0, {root!r})
from assistant.builtin import BuiltinEngine
async def lookup(code, digits, asker=None): return ""
engine = BuiltinEngine.train_sync(lookup, cache_dir={cache!r})
asyncio.run(engine.turn("u", "lệ phí khai sinh bao nhiêu"))
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"): print(int(line.split()[1]) / 1024)
"""


async def lookup(code: str, digits: str, asker: str | None = None) -> str:
    return f"Hồ sơ {code}: Đang xử lý."


async def run_builtin(pairs, cache: Path) -> dict:
    started = time.perf_counter()
    engine = await BuiltinEngine.train(lookup, cache_dir=None)  # a real training run, not the cache
    trained = time.perf_counter() - started
    predicted = [(await engine.parse(text)).intent for text, _ in pairs]
    latencies = []
    for i, (text, _) in enumerate(pairs):
        t = time.perf_counter()
        await engine.turn(f"bench-{i}", text)
        latencies.append((time.perf_counter() - t) * 1000)
    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _BUILTIN_RSS.format(root=str(ROOT), cache=str(cache))],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "predicted": predicted,
        "latencies": latencies,
        "rss": float(child.stdout.strip().splitlines()[-1]),
        "train": trained,
    }


async def run_rasa(pairs, url: str, pid: int | None) -> dict:
    import aiohttp

    predicted, latencies = [], []
    async with aiohttp.ClientSession() as http:
        for text, _ in pairs:
            async with http.post(f"{url}/model/parse", json={"text": text}) as r:
                body = await r.json()
            predicted.append((body.get("intent") or {}).get("name") or FALLBACK_INTENT)
        for i, (text, _) in enumerate(pairs):
            t = time.perf_counter()
            async with http.post(f"{url}/webhooks/rest/webhook", json={"sender": f"bench-{i}", "message": text}) as r:
                await r.json()
            latencies.append((time.perf_counter() - t) * 1000)
    return {"predicted": predicted, "latencies": latencies, "rss": rss_mb(pid) if pid else float("nan")}


def start_rasa():
    sys.path.insert(0, str(PROJECT / "rasa"))
    import manage  # assistant/rasa/manage.py: the cached venv, model and servers

    started = time.perf_counter()
    built = manage.build()
    built_in = time.perf_counter() - started
    from tests.support.server import free_port

    servers = manage.Servers(
        built, port=free_port(), actions_port=free_port(), log_dir=manage.cache_dir() / "bench-logs"
    ).start()
    ready = servers.wait_ready()
    return servers, built_in, ready


def line(name: str, result: dict, pairs) -> str:
    accuracy, f1 = scores(pairs, result["predicted"])
    lat = result["latencies"]
    return (
        f"  {name:<9} accuracy {accuracy:.3f}  macro-F1 {f1:.3f}  turn p50 {statistics.median(lat):7.2f} ms  "
        f"p99 {percentile(lat, 0.99):7.2f} ms  RSS {result['rss']:7.1f} MB"
    )


async def main(args) -> int:
    pairs = load_test_set()
    counts = Counter(intent for _, intent in pairs)
    print(
        f"assistant: held-out test set {TEST_SET.relative_to(ROOT)}: {len(pairs)} texts, "
        f"{len(counts)} intents ({min(counts.values())}–{max(counts.values())} each)"
    )
    cache = Path(args.cache) if args.cache else Path.home() / ".cache" / "tongdai"
    builtin = await run_builtin(pairs, cache)
    print(line("built-in", builtin, pairs) + f"  (trained in {builtin['train']:.1f} s)")
    if args.builtin_only:
        return 0
    servers = None
    try:
        if args.rasa_url:
            rasa = await run_rasa(pairs, args.rasa_url.rstrip("/"), None)
            note = "(memory: server not started here)"
        else:
            servers, built_in, ready = await asyncio.to_thread(start_rasa)
            rasa = await run_rasa(pairs, servers.url, servers.procs["rasa"].pid)
            note = f"(venv+model ready in {built_in:.0f} s, server ready after {ready:.0f} s)"
        print(line("Rasa", rasa, pairs) + f"  {note}")
    finally:
        if servers is not None:
            await asyncio.to_thread(servers.stop)
    b_acc, _ = scores(pairs, builtin["predicted"])
    r_acc, _ = scores(pairs, rasa["predicted"])
    faster = statistics.median(rasa["latencies"]) / statistics.median(builtin["latencies"])
    lighter = rasa["rss"] / builtin["rss"]
    print(
        f"  built-in vs Rasa: accuracy {b_acc - r_acc:+.3f} (target >= 0), turn latency {faster:.0f}x lower "
        f"(target >= 20x), memory {lighter:.0f}x lower (target >= 10x)"
    )
    print(
        json.dumps(
            {
                "builtin_accuracy": round(b_acc, 4),
                "rasa_accuracy": round(r_acc, 4),
                "latency_ratio": round(faster, 1),
                "memory_ratio": round(lighter, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa-url", default=None)
    parser.add_argument("--builtin-only", action="store_true")
    parser.add_argument("--cache", default=None, help="where the built-in model cache lives (default ~/.cache/tongdai)")
    sys.exit(asyncio.run(main(parser.parse_args())))
