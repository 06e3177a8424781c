#!/usr/bin/env python3
"""Build, train and run the Rasa assistant, outside the service's environment.

Rasa 3.6 installs only on Python <= 3.10, so it gets its own virtual
environment, kept OUTSIDE the repo and cached:

    <cache>/rasa-venv-<hash12>/     hash of assistant/rasa/requirements.txt
    <cache>/models/tongdai-<hash12>.tar.gz
                                    hash of that + config.yml, domain.yml, data/*.yml

<cache> is $TONGDAI_RASA_CACHE, else $XDG_CACHE_HOME/tongdai, else
~/.cache/tongdai. A second build with nothing changed takes well under a second.

Commands (run with any Python 3.8+; only the standard library is used here):

    manage.py build      venv + trained model (cached); prints their paths
    manage.py run        build, then run the Rasa server (--port, default 5005,
                         with the HTTP API) and the action server
                         (--actions-port, default 5055) in the foreground until
                         Ctrl-C; actions call the service at --tongdai-url
    manage.py paths      the cached paths as JSON (builds nothing)

The Python 3.10 interpreter is $TONGDAI_RASA_PYTHON, else `python3.10` on PATH,
else ~/.pyenv/versions/3.10.*/bin/python3.10.

Tests import this file (tests/support/rasa_peer.py) and use build() and
Servers directly.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSISTANT = HERE.parent
REQUIREMENTS = HERE / "requirements.txt"

# Rasa phones home unless told not to; nothing here may reach the internet.
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


class BuildError(RuntimeError):
    """The environment or the model could not be made; the message says why."""


def log(message: str) -> None:
    print(f"[rasa] {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    if os.environ.get("TONGDAI_RASA_CACHE"):
        return Path(os.environ["TONGDAI_RASA_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tongdai"


def _is_python310(python: str) -> bool:
    """Really 3.10 (a pyenv shim on PATH may point nowhere)."""
    try:
        out = subprocess.run(  # noqa: S603 - a Python interpreter found on this machine, no shell
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == "True"


def find_python310() -> str:
    candidates = [os.environ.get("TONGDAI_RASA_PYTHON"), shutil.which("python3.10")]
    candidates += sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.10*/bin/python3.10")), reverse=True)
    candidates += sorted(glob.glob("/root/.pyenv/versions/3.10*/bin/python3.10"), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and _is_python310(candidate):
            return candidate
    raise BuildError(
        "Rasa 3.6 needs Python 3.10 and none was found: set TONGDAI_RASA_PYTHON, put python3.10 "
        "on PATH, or install it (e.g. pyenv install 3.10.13)."
    )


def _digest(parts: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in parts:
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:12]


def env_hash() -> str:
    return _digest([("requirements.txt", REQUIREMENTS.read_bytes())])


def training_files() -> list[Path]:
    return [ASSISTANT / "config.yml", ASSISTANT / "domain.yml", *sorted((ASSISTANT / "data").glob("*.yml"))]


def model_hash() -> str:
    parts = [("env", env_hash().encode())]
    parts += [(str(p.relative_to(ASSISTANT)), p.read_bytes()) for p in training_files()]
    return _digest(parts)


def venv_path() -> Path:
    return cache_dir() / f"rasa-venv-{env_hash()}"


def model_path() -> Path:
    return cache_dir() / "models" / f"tongdai-{model_hash()}.tar.gz"


def child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(QUIET_ENV)
    env.update(extra)
    return env


@contextlib.contextmanager
def _locked(name: str):
    """One builder at a time (make and a test run may race)."""
    import fcntl

    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def log_dir() -> Path:
    path = cache_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_logged(argv: list[str], log_file: Path, what: str, **kwargs) -> None:
    with open(log_file, "wb") as out:
        proc = subprocess.run(  # noqa: S603 - our own pip/rasa command lines, no shell
            argv, check=False, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs
        )
    if proc.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-25:]
        raise BuildError(f"{what} failed (exit {proc.returncode}); log {log_file}:\n" + "\n".join(tail))


def ensure_venv() -> Path:
    """The Python 3.10 venv with rasa + rasa-sdk; built once per requirements hash."""
    venv = venv_path()
    done = venv / ".tongdai-complete"
    if done.exists():
        return venv
    with _locked("venv"):
        if done.exists():
            return venv
        python = find_python310()
        if venv.exists():  # a build that was interrupted
            shutil.rmtree(venv)
        log(f"building {venv} with {python} (about 2-3 minutes, 2.7 GB)")
        started = time.monotonic()
        log_file = log_dir() / f"rasa-venv-{env_hash()}.log"
        _run_logged([python, "-m", "venv", str(venv)], log_file, "python3.10 -m venv")
        _run_logged(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--no-input",
                "--disable-pip-version-check",
                "-r",
                str(REQUIREMENTS),
            ],
            log_file,
            "pip install -r assistant/rasa/requirements.txt",
            env=child_env(),
        )
        _run_logged(
            [str(venv / "bin" / "rasa"), "--version"],
            log_file.with_suffix(".check.log"),
            "rasa --version",
            env=child_env(),
        )
        done.write_text(f"built in {time.monotonic() - started:.0f} s\n")
        log(f"venv ready in {time.monotonic() - started:.0f} s")
        _prune("rasa-venv-*", keep=venv)
    return venv


def ensure_model(venv: Path) -> Path:
    """The trained model for the current config/domain/data; trained once per hash."""
    model = model_path()
    if model.exists():
        return model
    with _locked("train"):
        if model.exists():
            return model
        model.parent.mkdir(parents=True, exist_ok=True)
        log(f"training {model.name} (about 2-3 minutes)")
        started = time.monotonic()
        # Rasa's fingerprint cache would otherwise land in assistant/.rasa.
        env = child_env(RASA_CACHE_DIRECTORY=str(cache_dir() / "train-cache"))
        _run_logged(
            [
                str(venv / "bin" / "rasa"),
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                str(model.parent),
                "--fixed-model-name",
                model.name[:-7],
            ],
            log_dir() / f"train-{model_hash()}.log",
            "rasa train",
            cwd=ASSISTANT,
            env=env,
        )
        if not model.exists():
            raise BuildError(f"rasa train finished but {model} is missing")
        log(f"model trained in {time.monotonic() - started:.0f} s")
        _prune("models/tongdai-*.tar.gz", keep=model)
    return model


def _prune(pattern: str, keep: Path, keep_count: int = 2) -> None:
    """Keep the cache from growing without bound: the newest few of a kind."""
    others = sorted(
        (p for p in cache_dir().glob(pattern) if p != keep and p.is_dir() == keep.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in others[keep_count - 1 :]:
        log(f"removing old {old.name}")
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


class Built:
    def __init__(self, venv: Path, model: Path):
        self.venv, self.model = venv, model

    @property
    def rasa(self) -> str:
        return str(self.venv / "bin" / "rasa")

    def as_dict(self) -> dict:
        return {
            "cache": str(cache_dir()),
            "venv": str(self.venv),
            "model": str(self.model),
            "rasa": self.rasa,
            "python": str(self.venv / "bin" / "python"),
        }


def build() -> Built:
    venv = ensure_venv()
    return Built(venv, ensure_model(venv))


def _http_ok(url: str, want=None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - our own local Rasa's http URL
            if r.status != 200:
                return False
            return want is None or want(json.loads(r.read().decode()))
    except (OSError, ValueError):
        return False


class Servers:
    """The Rasa server (HTTP API on) and the action server, as child processes
    in their own process groups."""

    def __init__(
        self,
        built: Built,
        *,
        port: int = 5005,
        actions_port: int = 5055,
        tongdai_url: str = "http://127.0.0.1:8080",
        host: str = "127.0.0.1",
        run_dir: Path | None = None,
        log_dir: Path | None = None,
    ):
        self.built, self.port, self.actions_port = built, port, actions_port
        self.tongdai_url, self.host = tongdai_url, host
        self.run_dir = run_dir or cache_dir() / "run" / str(port)
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}"

    def _write_config(self) -> tuple[Path, Path]:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        endpoints = self.run_dir / "endpoints.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "{self.actions_url}/webhook"\n')
        credentials = self.run_dir / "credentials.yml"
        credentials.write_text("rest:\n")
        return endpoints, credentials

    def commands(self) -> dict[str, tuple[list[str], dict]]:
        endpoints, credentials = self._write_config()
        actions = (
            [self.built.rasa, "run", "actions", "--actions", "actions", "--port", str(self.actions_port)],
            child_env(TONGDAI_URL=self.tongdai_url, SANIC_HOST=self.host),
        )
        server = (
            [
                self.built.rasa,
                "run",
                "--enable-api",
                "--interface",
                self.host,
                "--port",
                str(self.port),
                "--model",
                str(self.built.model),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(credentials),
            ],
            child_env(RASA_CACHE_DIRECTORY=str(cache_dir() / "train-cache")),
        )
        return {"actions": actions, "rasa": server}

    def start(self) -> Servers:
        for name, (argv, env) in self.commands().items():
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
                self._logs.append(out)
            else:
                out = None  # the foreground `run`: the operator's terminal
            self.procs[name] = subprocess.Popen(  # noqa: S603 - our own rasa command lines, no shell
                argv,
                cwd=ASSISTANT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,
            )
        return self

    def ready(self) -> bool:
        return _http_ok(self.actions_url + "/health") and _http_ok(
            self.url + "/status", lambda body: bool(body.get("model_file"))
        )

    def wait_ready(self, timeout: float = 300.0) -> float:
        """Seconds it took until both answer; BuildError if one died or time ran out."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise BuildError(
                        f"the {name} server exited with {proc.returncode} before it was ready"
                        + (f"; log in {self.log_dir}/{name}.log" if self.log_dir else "")
                    )
            if self.ready():
                return time.monotonic() - started
            time.sleep(0.5)
        raise BuildError(f"Rasa was not ready after {timeout:.0f} s")

    def stop(self, grace: float = 20.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for out in self._logs:
            out.close()
        self._logs.clear()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def cmd_build(args) -> int:
    print(json.dumps(build().as_dict(), indent=2))
    return 0


def cmd_paths(args) -> int:
    print(
        json.dumps(
            {
                "cache": str(cache_dir()),
                "venv": str(venv_path()),
                "model": str(model_path()),
                "venv_ready": (venv_path() / ".tongdai-complete").exists(),
                "model_ready": model_path().exists(),
            },
            indent=2,
        )
    )
    return 0


def cmd_run(args) -> int:
    servers = Servers(
        build(), port=args.port, actions_port=args.actions_port, tongdai_url=args.tongdai_url, host=args.host
    )
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    servers.start()
    log(f"starting: Rasa {servers.url} (HTTP API), actions {servers.actions_url} -> {args.tongdai_url}")
    announced = False
    try:
        while not stopping:
            dead = [n for n, p in servers.procs.items() if p.poll() is not None]
            if dead:
                log(f"{', '.join(dead)} server exited; stopping")
                return 1
            if not announced and servers.ready():
                announced = True
                log(
                    f"ready. Point the service at it: TONGDAI_ASSISTANT_ENGINE=rasa "
                    f"TONGDAI_RASA_URL={servers.url} tongdai serve"
                )
            time.sleep(0.5)
        return 0
    finally:
        log("stopping")
        servers.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="venv + trained model (cached)").set_defaults(func=cmd_build)
    sub.add_parser("paths", help="the cached paths as JSON").set_defaults(func=cmd_paths)
    run = sub.add_parser("run", help="build, then run Rasa and the action server in the foreground")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=5005)
    run.add_argument("--actions-port", type=int, default=5055)
    run.add_argument("--tongdai-url", default=os.environ.get("TONGDAI_URL", "http://127.0.0.1:8080"))
    run.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BuildError as exc:
        log(f"error: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
