"""Schemathesis generates requests from our OpenAPI description and throws them
at a real server: no input may produce a 5xx. Two runs: every operation on its
own (stateless), then sequences that follow the description's links (PUT a
dossier, then its events and its lookup with the same code). The counts are
the server's own (/metrics), printed at the end."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.report import say
from tests.support.server import cli, free_port, serve

pytestmark = pytest.mark.timeout(300)

REQUESTS = re.compile(
    r'^tongdai_http_requests_total\{method="(\w+)",route="([^"]*)",status="(\d+)"\} ([0-9.e+]+)$', re.M
)


async def _schemathesis(port: int, key: str, cwd: Path, *options: str) -> tuple[int | None, str]:
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    proc = await asyncio.create_subprocess_exec(
        schemathesis,
        "run",
        f"http://127.0.0.1:{port}/api/v1/openapi.json",
        "--url",
        f"http://127.0.0.1:{port}",
        "-H",
        f"Authorization: Bearer {key}",
        "--checks",
        "not_a_server_error",
        "--seed",
        "1",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def _served(port: int) -> dict[tuple[str, str, int], int]:
    """What the server answered, by (method, route, status), from its metrics."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    return {(m, route, int(s)): int(float(n)) for m, route, s, n in REQUESTS.findall(text)}


def _generated(report: str) -> int:
    found = re.search(r"(\d+) generated", report)
    assert found, report[-3000:]
    return int(found.group(1))


async def test_no_generated_request_gets_a_server_error(tmp_path, request):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    key = await cli(data_dir, "apikey", "create", "--name", "fuzz")
    port = free_port()
    # The lookup guard and the public rate limits would answer 429 to most of the fuzzing; lift them for this run.
    server = await serve(data_dir, port, lookup_max_failures="1000000", public_rate_limits="off")
    try:
        code, stateless = await _schemathesis(port, key, tmp_path, "--max-examples", "60")
        after_stateless = await _served(port)
        # Only the dossier's operations: schemathesis starts sequences from any
        # POST that has links, and PUT must be where they start.
        code_stateful, stateful = await _schemathesis(
            port,
            key,
            tmp_path,
            "--phases",
            "stateful",
            "--max-examples",
            "100",
            "--include-path-regex",
            "^/api/v1/dossiers/",
        )
        after_stateful = await _served(port)
    finally:
        server.terminate()
        await server.wait()
    assert code == 0, stateless[-3000:]
    assert code_stateful == 0, stateful[-3000:]

    def count(served, *, method=None, route=None, status=None) -> int:
        return sum(
            n
            for (m, r, s), n in served.items()
            if (method is None or m == method) and (route is None or r == route) and (status is None or status(s))
        )

    def delta(**kwargs) -> int:
        return count(after_stateful, **kwargs) - count(after_stateless, **kwargs)

    server_errors = count(after_stateful, status=lambda s: s >= 500)
    assert server_errors == 0, {k: n for k, n in after_stateful.items() if k[2] >= 500}
    # The stateful run followed the links: dossiers stored, then their events
    # recorded and their lookups answered with the code just stored.
    dossier = "/api/v1/dossiers/{code}"
    ok = lambda s: s < 300  # noqa: E731
    assert delta(method="PUT", route=dossier, status=ok) > 0
    assert delta(method="POST", route=dossier + "/events", status=ok) > 0
    # The digits are generated, not linked (a link cannot take a phone's last
    # four), so a lookup rarely finds: answered is what shows the link followed.
    answered = lambda s: s in (200, 404)  # noqa: E731
    assert delta(method="GET", route=dossier, status=answered) > 0
    assert re.search(r"API Links:\s+[1-9]\d* covered", stateful), stateful[-3000:]

    line = (
        f"schemathesis: stateless {_generated(stateless)} cases, {count(after_stateless)} requests; "
        f"stateful {_generated(stateful)} cases, {count(after_stateful) - count(after_stateless)} requests "
        f"({delta(method='PUT', route=dossier, status=ok)} dossiers stored, "
        f"{delta(method='POST', route=dossier + '/events', status=ok)} events, "
        f"{delta(method='GET', route=dossier, status=answered)} lookups answered, "
        f"{delta(method='GET', route=dossier, status=ok)} found); {server_errors} server errors"
    )
    say(request.config, line)
