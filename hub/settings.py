"""Settings are read once from the environment (prefix TONGDAI_) into a frozen
object that is passed in; nothing reads the environment at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from models.notifications import parse_legal_bases


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def _hops(text: str) -> int:
    # It was a yes/no switch before it counted proxies: true meant one.
    word = text.strip().lower()
    if word in {"true", "yes", "on"}:
        return 1
    if word in {"false", "no", "off", ""}:
        return 0
    hops = int(word)
    if hops < 0:
        raise ValueError(text)
    return hops


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _origin(url: str) -> str:
    """As a browser sends it in Origin: scheme://host[:port], lower case, no path."""
    parts = urlsplit(url.strip().lower())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url.strip().rstrip("/").lower()


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
    # Above the per-asker limit, so that one address alone cannot lock a dossier (hub/lookup.py).
    lookup_max_failures_per_code: int = 10
    lookup_window_seconds: int = 900
    bus_max_attempts: int = 8
    bus_backoff_base_seconds: float = 1.0
    bus_backoff_max_seconds: float = 300.0
    bus_concurrency: int = 16
    bus_poll_seconds: float = 1.0
    max_body_bytes: int = 1024 * 1024
    # How many proxies of ours append to X-Forwarded-For; 0: ignore the header.
    trust_forwarded_for: int = 0
    # Public endpoints' rate limits over hub/api/ratelimit.py's defaults
    # ('assistant=30/min,lookup=5/s'), or 'off' for benchmarks and fuzzing.
    public_rate_limits: str = ""
    # Slow clients: a body must arrive within this, an idle or half-sent
    # request line and headers within idle_timeout; one address holds at most
    # max_connections_per_address connections (when not behind a proxy).
    body_read_timeout_seconds: float = 20.0
    idle_timeout_seconds: float = 30.0
    max_connections_per_address: int = 64
    # Followers of one dossier besides its applicant, pending confirmations
    # included: each request sends a code or a link, and those cost money.
    max_followers: int = 5
    plugins: tuple[str, ...] = field(default=())
    # Links in messages (unsubscribe) point here; default http://host:port.
    public_url: str = ""
    # Signs unsubscribe links; generated into the data dir when not given.
    secret_key: str = ""
    # The help-center console (contact_center): a session ends after this long
    # without a request, and in any case this long after sign-in; a
    # set-password link works once, for this long.
    console_idle_minutes: float = 30.0
    console_session_hours: float = 12.0
    console_set_password_hours: float = 72.0
    # Failed sign-ins per client address before it must wait (the email has
    # lookup_max_failures): an office behind one NAT address has many agents.
    console_login_failures_per_address: int = 20
    # About how long an agent takes over one conversation: the waiting time a
    # citizen is told on escalation is the queue ahead of them times this,
    # shared among the agents online with room (contact_center/waiting.py).
    console_handling_minutes: float = 8.0
    # The kiosk page forgets its visitor (every personal detail on the page and
    # in memory) after this long without a touch; sent to it by /kiosk/api/config.
    kiosk_idle_seconds: int = 60
    # Failed lookups per kiosk before it must wait (the brute-force guard): a
    # kiosk serves many visitors, so more than one person's lookup_max_failures.
    kiosk_lookup_max_failures: int = 20
    org_name: str = "Trung tâm Phục vụ hành chính công tỉnh"
    org_hotline: str = "1900 0000"
    org_website: str = "https://dichvucong.example.gov.vn"
    # notifications
    templates_dir: str = ""
    quiet_hours: str = "21:00-07:00"
    quiet_channels: str = "sms,phone"
    holidays_file: str = ""
    # Legal basis per purpose over the defaults (README "Consent and legal basis"):
    # 'dossier_status=public_task,broadcast=consent'.
    legal_basis: str = ""
    receipt_deadlines: str = "telegram=600,sms=1800,email=7200,phone=1800"
    rate_limits: str = ""
    notify_max_attempts: int = 5
    notify_backoff_base_seconds: float = 30.0
    notify_backoff_max_seconds: float = 3600.0
    notify_batch: int = 256
    notify_lease_seconds: float = 120.0
    overdue_scan_seconds: float = 60.0
    # An event (registration, status change) older than this when it arrives is
    # history: recorded in the timeline without a notice. 0: no age limit.
    notify_max_event_age_hours: float = 24.0
    # The text (and subject) of every attempt is kept this long, then blanked
    # (the attempt stays); 0: kept for ever.
    sent_text_retention_days: float = 90.0
    # Send from a second process (`tongdai notify-sender`, started by serve):
    # rendering and sending then use the second core.
    notify_sender_process: bool = False
    # recording providers (the embedded default): make a channel fail, or
    # withhold delivery receipts, to watch retries and fallback
    recording_fail: str = ""
    recording_receipts: bool = True
    # Channels. A channel whose settings are absent runs on its recording
    # provider; its webhooks still refuse anything unsigned.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: str = "starttls"  # starttls | implicit | none
    smtp_timeout_seconds: float = 30.0
    smtp_pool_size: int = 4
    smtp_from: str = "Tổng đài <no-reply@tongdai.example.gov.vn>"
    smtp_inbound_host: str = ""  # aiosmtpd receiver for citizens' replies and bounces; empty: off
    smtp_inbound_port: int = 2525
    smtp_inbound_domain: str = "tongdai.example.gov.vn"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_base_url: str = ""  # tests point the SDK at Prism
    # The phone channel (docs/PHONE.md): Twilio Voice and/or Stringee.
    twilio_voice_from: str = ""  # outbound calls' number; empty: twilio_from
    twilio_voice: str = "Google.vi-VN-Standard-A"  # Amazon Polly has no Vietnamese voice
    stringee_key_sid: str = ""
    stringee_key_secret: str = ""
    stringee_from: str = ""
    stringee_base_url: str = "https://api.stringee.com"
    stringee_group: str = ""  # the agents' group a queued call is connected to
    phone_daily_cap: int = 2  # calls per citizen per day (Asia/Ho_Chi_Minh)
    phone_retry_delays: str = "900,3600"  # seconds before each redial after busy / no answer
    ivr_queue_wait_seconds: int = 180  # then the caller is offered a call-back
    # When the help center answers calls (and the holiday calendar's days off).
    office_hours: str = "mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30"
    sms_gateways: str = ""  # JSON list of generic HTTP gateways (Vietnamese brandname providers)
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_mode: str = "webhook"  # webhook | polling
    telegram_api_url: str = ""  # a Bot API server other than api.telegram.org (tests: telegram-test-api)
    telegram_bot_username: str = ""
    # The assistant: builtin (trained in-process at start) or rasa (a Rasa server at rasa_url).
    assistant_engine: str = "builtin"
    rasa_url: str = "http://127.0.0.1:5005"
    # Where the trained built-in model is kept between starts; empty: ~/.cache/tongdai.
    assistant_cache_dir: str = ""
    # Pages allowed to embed the web chat (comma-separated origins, "https://dichvucong.example.gov.vn");
    # the service's own base URL is always allowed. CORS and the websocket's Origin check follow it.
    webchat_origins: str = ""

    @property
    def assistant_cache(self) -> Path:
        return Path(self.assistant_cache_dir) if self.assistant_cache_dir else Path.home() / ".cache" / "tongdai"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def webchat_allowed_origins(self) -> frozenset[str]:
        """The origins given, and always the service's own (its /chat page embeds the widget)."""
        return frozenset(_origin(url) for url in (*_tuple(self.webchat_origins), self.base_url))

    @property
    def database_path(self) -> Path:
        return self.data_dir / "tongdai.sqlite3"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get("TONGDAI_" + f.name.upper())
            if raw is None:
                continue
            kind: type[Any] = type(f.default) if f.default is not None else str
            if f.name == "plugins":
                values[f.name] = _tuple(raw)
            elif f.name == "trust_forwarded_for":
                try:
                    values[f.name] = _hops(raw)
                except ValueError:
                    raise SystemExit(f"TONGDAI_TRUST_FORWARDED_FOR={raw!r}: expected a number of proxies") from None
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
        try:
            parse_legal_bases(values.get("legal_basis", ""))
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        return cls(**values)
