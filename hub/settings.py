"""Settings are read once from the environment (prefix TONGDAI_) into a frozen
object that is passed in; nothing reads the environment at import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    # FULL makes every committed event survive a power cut, not just a crash;
    # group commit keeps it cheap.
    sqlite_synchronous: str = "FULL"
    lookup_max_failures: int = 5
    lookup_window_seconds: int = 900
    bus_max_attempts: int = 8
    bus_backoff_base_seconds: float = 1.0
    bus_backoff_max_seconds: float = 300.0
    bus_concurrency: int = 16
    bus_poll_seconds: float = 1.0
    max_body_bytes: int = 1024 * 1024
    trust_forwarded_for: bool = False
    plugins: tuple[str, ...] = field(default=())

    @property
    def database_path(self) -> Path:
        return self.data_dir / "tongdai.sqlite3"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get("TONGDAI_" + f.name.upper())
            if raw is None:
                continue
            kind = type(f.default) if f.default is not None else str
            if f.name == "plugins":
                values[f.name] = _tuple(raw)
            elif kind is bool:
                values[f.name] = _bool(raw)
            elif kind is Path:
                values[f.name] = Path(raw)
            else:
                try:
                    values[f.name] = kind(raw)
                except ValueError:
                    raise SystemExit(f"TONGDAI_{f.name.upper()}={raw!r}: expected {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
