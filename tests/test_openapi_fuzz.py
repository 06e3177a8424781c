"""Schemathesis generates requests from our OpenAPI description and throws them
at a real server: no input may produce a 5xx."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from tests.support.server import cli, free_port, serve


async def test_no_generated_request_gets_a_server_error(tmp_path):
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    key = await cli(data_dir, "apikey", "create", "--name", "fuzz")
    port = free_port()
    # The lookup guard and the public rate limits would answer 429 to most of the fuzzing; lift them for this run.
    server = await serve(data_dir, port, lookup_max_failures="1000000", public_rate_limits="off")
    try:
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
            "--max-examples",
            "60",
            "--seed",
            "1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )
        out, _ = await proc.communicate()
    finally:
        server.terminate()
        await server.wait()
    report = out.decode()
    assert proc.returncode == 0, report[-3000:]
    assert "passed" in report
