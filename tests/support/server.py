"""A real `tongdai serve` process for tests that need one."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: Path, **settings: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TONGDAI_DATA_DIR": str(data_dir)}
    env.update({"TONGDAI_" + k.upper(): v for k, v in settings.items()})
    return env


CLI_TIMEOUT = 60  # seconds


async def run_cli(data_dir: Path, *args: str) -> tuple[int | None, str, str]:
    """`tongdai ARGS` against `data_dir`: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub.cli",
        *args,
        env=env_for(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), CLI_TIMEOUT)
    return proc.returncode, out.decode(), err.decode()


async def cli(data_dir: Path, *args: str) -> str:
    code, out, err = await run_cli(data_dir, *args)
    assert code == 0, err
    return out.strip()


async def serve(
    data_dir: Path, port: int, *, ready_within: float = 10.0, **settings: str
) -> asyncio.subprocess.Process:
    """Start the server and return once /readyz answers 200."""
    with await asyncio.to_thread(open, data_dir / f"serve-{port}.log", "ab") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hub.cli",
            "serve",
            "--port",
            str(port),
            env=env_for(data_dir, **settings),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    async with aiohttp.ClientSession() as http:
        for _ in range(int(ready_within / 0.05)):
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    if r.status == 200:
                        return proc
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    proc.kill()
    raise AssertionError("tongdai serve did not become ready")
