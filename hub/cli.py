"""The `tongdai` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

from hub import logs
from hub.settings import Settings


def _settings(args) -> Settings:
    return Settings.from_env(
        data_dir=Path(args.data_dir) if args.data_dir else None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


async def _with_store(settings: Settings, work):
    """A command's work on the store of the service that `settings` describe."""
    from hub.app import bootstrap

    service = await bootstrap(settings)
    await service.open()
    try:
        return await work(service.store)
    finally:
        await service.close()


async def _templates(settings: Settings):
    from hub.app import bootstrap

    return (await bootstrap(settings)).templates


def cmd_serve(args) -> int:
    settings = _settings(args)
    logs.configure(settings.log_level)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # optional speed-up; asyncio's own loop works the same
        pass
    asyncio.run(_serve(settings))
    return 0


def _operator() -> str:
    """Who ran the command, for the audit line: the login behind sudo if any."""
    import getpass

    return "cli:" + (os.environ.get("SUDO_USER") or getpass.getuser())


def _audited(args) -> Settings:
    # The audit lines (INFO, JSON on stderr) are the point of these commands;
    # a program that calls main() with logging of its own set up keeps it.
    settings = _settings(args)
    if not logging.getLogger().handlers:
        logs.configure(settings.log_level)
    return settings


# A body the answer did not wait for is drained this long before the connection closes.
LINGER_SECONDS = 1.0


async def _serve(settings: Settings) -> None:
    """web.run_app's work, with our own connection handler (hub.api.protocol):
    run_app has no way to pass one in."""
    import signal

    from aiohttp import web

    from hub.api.protocol import ConnectionCap, GuardedRequestHandler
    from hub.app import SERVICE, create_app

    app = await create_app(settings, freeze_heap=True)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    # Behind a proxy every connection comes from the proxy: the cap is the proxy's job there.
    direct = settings.trust_forwarded_for == 0 and settings.max_connections_per_address > 0
    cap = ConnectionCap(settings.max_connections_per_address) if direct else None
    loop = asyncio.get_running_loop()
    manager = runner.server
    assert manager is not None  # noqa: S101  set by setup()

    def connection() -> GuardedRequestHandler:
        return GuardedRequestHandler(
            manager,
            cap=cap,
            loop=loop,
            access_log=None,
            keepalive_timeout=settings.idle_timeout_seconds,
            lingering_time=LINGER_SECONDS,
        )

    listener = await loop.create_server(connection, settings.host, settings.port, reuse_address=True)
    print(f"Tổng đài: http://{settings.host}:{settings.port} (dữ liệu: {settings.data_dir})", flush=True)
    print(channels_line(app[SERVICE].channels.modes()), flush=True)
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        listener.close()
        await runner.cleanup()


_MODES = {"real": "gửi thật", "recording": "chỉ ghi lại, không gửi", "unavailable": "không dùng được"}


def channels_line(modes: dict[str, dict[str, str]]) -> str:
    """'Kênh: email=smtp (gửi thật), phone (không dùng được), …': which
    channels really send, which only record, which notices skip."""
    parts = [
        f"{name}={m['provider']} ({_MODES[m['mode']]})" if "provider" in m else f"{name} ({_MODES[m['mode']]})"
        for name, m in modes.items()
    ]
    return "Kênh: " + ", ".join(parts)


def cmd_apikey_create(args) -> int:
    from hub.api.auth import ApiKeys

    settings = _audited(args)
    key = asyncio.run(_with_store(settings, lambda store: ApiKeys(store).create(args.name, _operator())))
    print(key)
    print(f"Khóa API '{args.name}' đã được tạo. Hãy lưu lại: khóa chỉ hiện một lần.", file=sys.stderr)
    return 0


def cmd_apikey_list(args) -> int:
    from hub.api.auth import ApiKeys

    keys = asyncio.run(_with_store(_settings(args), lambda store: ApiKeys(store).listing()))
    print(f"{'id':>5}  {'tên':<24} {'tạo lúc':<33} thu hồi lúc")
    for info in keys:
        print(f"{info.id:>5}  {_printable(info.name):<24} {info.created_at:<33} {info.revoked_at or '-'}")
    return 0


def cmd_apikey_revoke(args) -> int:
    from hub.api.auth import ApiKeys

    settings = _audited(args)
    revoked = asyncio.run(_with_store(settings, lambda store: ApiKeys(store).revoke(args.key, _operator())))
    if not revoked:
        print(f"Không có khóa API đang dùng nào có id hoặc tên '{_printable(args.key)}'.", file=sys.stderr)
        return 1
    for info in revoked:
        print(f"Đã thu hồi khóa API {info.id} ('{_printable(info.name)}').")
    return 0


def cmd_apikey_rotate(args) -> int:
    from hub.api.auth import ApiKeys

    settings = _audited(args)
    rotated = asyncio.run(_with_store(settings, lambda store: ApiKeys(store).rotate(args.name, _operator())))
    if rotated is None:
        print(
            f"Không có khóa API đang dùng nào tên '{_printable(args.name)}'; tạo mới bằng 'tongdai apikey create'.",
            file=sys.stderr,
        )
        return 1
    key, key_id, revoked = rotated
    print(key)
    print(
        f"Khóa API mới {key_id} ('{_printable(args.name)}') thay cho {', '.join(str(i.id) for i in revoked)}, "
        "đã thu hồi. Hãy lưu lại: khóa chỉ hiện một lần.",
        file=sys.stderr,
    )
    return 0


def cmd_kiosk_create(args) -> int:
    from kiosk.accounts import Kiosks, kiosk_url

    settings = _audited(args)
    try:
        kiosk, key = asyncio.run(_with_store(settings, lambda store: Kiosks(store).create(args.name, _operator())))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # The key rides in the fragment, which browsers never send: no access log holds it.
    print(kiosk_url(settings.base_url, key))
    print(
        f"Ki-ốt {kiosk.id} ('{_printable(kiosk.name)}') đã được tạo. Mở đường dẫn trên ở máy ki-ốt; "
        "khóa chỉ hiện một lần.",
        file=sys.stderr,
    )
    return 0


def cmd_kiosk_list(args) -> int:
    from kiosk.accounts import Kiosks

    kiosks = asyncio.run(_with_store(_settings(args), lambda store: Kiosks(store).listing()))
    print(f"{'id':<16} {'tên':<24} {'tạo lúc':<27} trạng thái")
    for kiosk in kiosks:
        state = "ngừng" if kiosk.disabled else "đang dùng"
        print(f"{kiosk.id:<16} {_printable(kiosk.name):<24} {kiosk.created_at:<27} {state}")
    return 0


def cmd_kiosk_disable(args) -> int:
    from kiosk.accounts import Kiosks

    settings = _audited(args)
    found = asyncio.run(_with_store(settings, lambda store: Kiosks(store).disable(args.kiosk, _operator())))
    if found is None:
        print(f"Không có ki-ốt nào có id hoặc tên '{_printable(args.kiosk)}'.", file=sys.stderr)
        return 1
    print(f"Đã ngừng ki-ốt {found.id} ('{_printable(found.name)}'): khóa của nó không dùng được nữa.")
    return 0


async def _with_agents(settings: Settings, work):
    """A command's work on the console's accounts, on the service's store."""
    from hub.app import agents_of, bootstrap

    service = await bootstrap(settings)
    await service.open()
    try:
        return await work(agents_of(settings, service.store, time.time))
    finally:
        await service.close()


def cmd_agent_create(args) -> int:
    from models.errors import Conflict

    settings = _audited(args)

    async def create(agents):
        return await agents.create(args.name, args.email, args.role, args.team, _operator())

    try:
        agent, link = asyncio.run(_with_agents(settings, create))
    except ValueError as exc:
        print(f"Không tạo được: {exc}.", file=sys.stderr)
        return 2
    except Conflict:
        print(f"Đã có cán bộ dùng email '{_printable(args.email)}'.", file=sys.stderr)
        return 1
    print(link)
    print(
        f"Đã tạo cán bộ {agent.id} ({_printable(agent.email)}, {agent.role}). Gửi liên kết trên cho cán bộ để đặt "
        f"mật khẩu: dùng được một lần, trong {settings.console_set_password_hours:g} giờ.",
        file=sys.stderr,
    )
    return 0


def cmd_agent_list(args) -> int:
    agents = asyncio.run(_with_store(_settings(args), lambda store: store.list_agents()))
    print(f"{'id':<16} {'email':<32} {'vai trò':<11} {'nhóm':<16} {'trạng thái':<12} tên")
    for a in agents:
        state = "đã khóa" if a.disabled else ("đang dùng" if a.password_hash else "chưa đặt MK")
        print(
            f"{a.id:<16} {_printable(a.email):<32} {a.role:<11} {_printable(a.team or '-'):<16} {state:<12} "
            f"{_printable(a.name)}"
        )
    return 0


def _agent_action(args, act) -> int:
    settings = _audited(args)

    async def work(agents):
        agent = await agents.find(args.agent)
        return None if agent is None else (agent, await act(agents, agent))

    done = asyncio.run(_with_agents(settings, work))
    if done is None:
        print(f"Không có cán bộ nào có id hoặc email '{_printable(args.agent)}'.", file=sys.stderr)
        return 1
    return 0 if done[1] is None else done[1]


def cmd_agent_disable(args) -> int:
    async def disable(agents, agent):
        await agents.disable(agent, _operator())
        print(f"Đã khóa cán bộ {agent.id} ({_printable(agent.email)}); các phiên đăng nhập đã kết thúc.")

    return _agent_action(args, disable)


def cmd_agent_reset_password(args) -> int:
    async def reset(agents, agent):
        print(await agents.reset_password(agent, _operator()))
        print(
            f"Liên kết đặt mật khẩu mới cho {agent.id} ({_printable(agent.email)}); các phiên đăng nhập đã kết thúc, "
            "liên kết cũ không còn dùng được.",
            file=sys.stderr,
        )

    return _agent_action(args, reset)


def _since(text: str):
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--since {text!r}: cần dạng ISO, ví dụ 2026-12-01 hoặc 2026-12-01T08:00:00+07:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_audit(args) -> int:
    """The console's audit log, oldest first: who, when, what, on which object, why."""
    since = _since(args.since) if args.since else None
    object_type, _, object_id = (args.object or "").rpartition(":")

    async def rows(store):
        actor = args.agent
        if actor:
            agent = await store.get_agent(actor.strip().lower() if "@" in actor else actor)
            actor = agent.id if agent is not None else actor
        return await store.audit_entries(
            actor=actor or None,
            object_type=object_type or None,
            object_id=object_id or None,
            since=since,
            limit=args.lines,
        )

    for entry in asyncio.run(_with_store(_settings(args), rows)):
        at = entry.at.isoformat() if entry.at else "?"
        target = f"{entry.object_type}:{entry.object_id}" if entry.object_type else entry.object_id or "-"
        line = f"[{at}] {_printable(entry.actor)} {_printable(entry.action)} {_printable(target)}"
        print(line + (f" · {_printable(entry.reason)}" if entry.reason else ""))
    return 0


def cmd_demo(args) -> int:
    from contact_center.demo import seed_accounts, seed_canned, seed_waiting
    from hub.app import agents_of
    from hub.demo import seed
    from kiosk.demo import seed_kiosk

    settings = _settings(args)

    async def everything(store):
        agents = agents_of(settings, store, time.time)
        await seed_canned(store, time.time)
        return (
            await seed(store),
            await seed_accounts(agents),
            await seed_waiting(store),
            await seed_kiosk(store, settings.base_url),
        )

    (rows, key), accounts, waiting, kiosk = asyncio.run(_with_store(settings, everything))
    print(f"{'Mã hồ sơ':<28} {'4 số':<5} {'Trạng thái':<34} Thủ tục")
    for code, verify, status, procedure in rows:
        print(f"{code:<28} {verify:<5} {status:<34} {procedure}")
    print(f"\nKhóa API demo (chỉ hiện một lần): {key}")
    print(f"\nBảng điều khiển cán bộ: {settings.base_url.rstrip('/')}/console ({waiting} cuộc trò chuyện đang chờ)")
    for account, link in accounts:
        role = "giám sát" if account.role == "supervisor" else "cán bộ"
        where = link or f"đã đặt mật khẩu; đăng nhập tại {settings.base_url.rstrip('/')}/console/login"
        print(f"  {role:<9} {account.email:<26} {where}")
    if any(link for _, link in accounts):
        print(
            "  Mở liên kết để đặt mật khẩu (dùng một lần, trong "
            f"{settings.console_set_password_hours:g} giờ), rồi đăng nhập bằng email ở trên."
        )
    print(f"\nKi-ốt (khóa trong đường dẫn, chỉ hiện một lần): {kiosk}")
    print(f"Trò chuyện trên web, trang mẫu nhúng widget: {settings.base_url.rstrip('/')}/chat")
    return 0


def cmd_dlq_list(args) -> int:
    letters = asyncio.run(_with_store(_settings(args), lambda store: store.dead_letters()))
    if not letters:
        print("Dead-letter list is empty.")
    for letter in letters:
        print(
            json.dumps(
                {
                    "id": letter.id,
                    "message_id": letter.message_id,
                    "type": letter.type,
                    "handler": letter.handler,
                    "attempts": letter.attempts,
                    "error": letter.error,
                    "updated_at": letter.updated_at,
                },
                ensure_ascii=False,
            )
        )
    return 0


def cmd_dlq_retry(args) -> int:
    ok = asyncio.run(_with_store(_settings(args), lambda store: store.retry_dead_letter(args.id)))
    if not ok:
        print(f"No dead letter with id {args.id}.", file=sys.stderr)
        return 1
    print(f"Dead letter {args.id} queued for another round of attempts.")
    return 0


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _printable(text: str, keep: str = "") -> str:
    """`text` safe for an operator's terminal: control and format characters
    (ESC sequences, BEL, CR, bidi overrides) shown escaped, never obeyed."""
    return "".join(c if c in keep or unicodedata.category(c) not in _UNPRINTABLE else _escape(c) for c in str(text))


_UNPRINTABLE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def _print_sent(row: dict) -> None:
    address = row["address"] or "?"  # attempts made before the address was kept
    head = (
        f"[{_printable(row['created_at'])}] {_printable(row['channel'])} → {_printable(address)}"
        f" · {_printable(row['provider'])} · {_printable(row['status'])}"
    )
    if row.get("subject"):
        head += f" · {_printable(row['subject'])}"
    print(head)
    if row["text"] is not None:
        body = row["text"]
    elif row["error"]:
        body = f"(không gửi được: {row['error']})"
    else:
        body = "(nội dung không còn lưu: quá thời hạn lưu trữ, hoặc gửi trước khi có tính năng này)"
    print("  " + _printable(body, keep="\n").replace("\n", "\n  "), flush=True)


def cmd_outbox_tail(args) -> int:
    """What was sent on every channel and provider, recording or real, newest
    last (status as it stands when shown); -f keeps watching."""

    async def tail(store):
        rows = await store.last_sent(args.lines)
        for row in rows:
            _print_sent(row)
        last = rows[-1]["id"] if rows else 0
        while args.follow:
            await asyncio.sleep(0.2)
            for row in await store.sent_after(last, 500):
                _print_sent(row)
                last = row["id"]

    try:
        asyncio.run(_with_store(_settings(args), tail))
    except KeyboardInterrupt:
        pass
    return 0


def _when(epoch: float | None) -> str:
    from datetime import UTC, datetime

    return "—" if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def cmd_outbox_why(args) -> int:
    """Notifications not sent, latest first: why, and when the engine looks again."""
    from models.notifications import REASONS

    items = asyncio.run(_with_store(_settings(args), lambda store: store.not_sent_notifications(args.lines)))
    if not items:
        print("Không có thông báo nào đang chờ hay bị hủy có lý do.")
    for n in items:
        reason = n.reason or ""
        line = (
            f"{_printable(n.id)} {n.status.value} {_printable(n.purpose)}"
            f" {_printable(n.dossier_code or n.broadcast_id or '')} [{n.legal_basis}]"
            f" · {reason}: {REASONS.get(reason, reason)} · lần tới {_when(n.next_at)}"
        )
        if n.superseded_by:
            line += f" · thay bằng {_printable(n.superseded_by)}"
        print(line)
    return 0


def cmd_outbox_resend(args) -> int:
    async def resend(store):
        if not await store.get_notifications([args.id]):
            return "unknown"
        # Due at once whatever clock the running sender keeps, as a follow confirmation is.
        return await store.resend_notification(args.id, 0.0)

    found = asyncio.run(_with_store(_settings(args), resend))
    if found == "unknown":
        print(f"Không có thông báo {args.id}.", file=sys.stderr)
        return 1
    if found is None:
        print(f"Thông báo {args.id} đang được gửi tới nhà cung cấp; thử lại sau ít phút.", file=sys.stderr)
        return 1
    print(f"Thông báo {args.id} sẽ được gửi lại ngay, theo sự đồng ý và căn cứ hiện tại.")
    return 0


def cmd_templates_preview(args) -> int:
    from notify.preview import preview

    templates = asyncio.run(_templates(_settings(args)))
    print(preview(templates, args.template, _kind_of_channel()[args.channel]))
    return 0


def cmd_templates_check(args) -> int:
    problems = asyncio.run(_templates(_settings(args))).check()
    for problem in problems:
        print(problem, file=sys.stderr)
    print("Mọi mẫu đều hợp lệ." if not problems else f"{len(problems)} lỗi.")
    return 1 if problems else 0


def cmd_broadcast(args) -> int:
    from notify.broadcast_cli import main as broadcast_main

    settings = _settings(args)
    try:
        return asyncio.run(_with_store(settings, lambda store: broadcast_main(store, args, settings)))
    except KeyboardInterrupt:
        print("\nĐã dừng theo dõi; dịch vụ vẫn tiếp tục gửi. Xem lại: tongdai broadcast status ID", file=sys.stderr)
        return 130


def cmd_notify_sender(args) -> int:
    from hub.app import run_sender_process

    settings = _settings(args)
    logs.configure(settings.log_level)
    asyncio.run(run_sender_process(settings))
    return 0


def cmd_assistant_parse(args) -> int:
    from assistant import cli
    from hub.app import bootstrap

    settings = _settings(args)
    if args.engine:
        settings = replace(settings, assistant_engine=args.engine)

    async def parse() -> int:
        return await cli.parse((await bootstrap(settings)).engine, args)

    return asyncio.run(parse())


def cmd_assistant_train(args) -> int:
    from assistant import cli

    return asyncio.run(cli.train(_settings(args), args))


def _kind_of_channel() -> dict:
    """The names operators know, a channel's or a template kind's own, mapped to the kind they render."""
    from channels.registry import REGISTRY
    from models.templates import TemplateKind

    return {c.value: s.kind for c, s in REGISTRY.items() if s.kind} | {k.value: k for k in TemplateKind}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tongdai", description="Tổng đài: citizen contact and notifications")
    sub = top.add_subparsers(dest="command", required=True)

    def command(name, func, help_text):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--data-dir", default=None, help="where the SQLite database lives (default ./var)")
        p.set_defaults(func=func)
        return p

    serve = command("serve", cmd_serve, "run the service")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    command("demo", cmd_demo, "seed demo citizens and dossiers")
    command(
        "notify-sender",
        cmd_notify_sender,
        "send notifications from a process of its own (serve starts it when TONGDAI_NOTIFY_SENDER_PROCESS=true)",
    )

    apikey = sub.add_parser("apikey", help="API keys for the one-stop-shop").add_subparsers(
        dest="action", required=True
    )
    create = apikey.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--data-dir", default=None)
    create.set_defaults(func=cmd_apikey_create)

    def nested(parent, name, func, help_text=None):
        p = parent.add_parser(name, help=help_text)
        p.add_argument("--data-dir", default=None)
        p.set_defaults(func=func)
        return p

    nested(apikey, "list", cmd_apikey_list, "every key: id, name, created, revoked (never the key)")
    revoke = nested(apikey, "revoke", cmd_apikey_revoke, "revoke the key with this id, or every live key so named")
    revoke.add_argument("key", help="the key's id (digits) or its name")
    rotate = nested(apikey, "rotate", cmd_apikey_rotate, "a new key for this name, printed once; the old one revoked")
    rotate.add_argument("name")

    kiosk = sub.add_parser("kiosk", help="the public-service centre's kiosks").add_subparsers(
        dest="action", required=True
    )
    made_kiosk = nested(kiosk, "create", cmd_kiosk_create, "create a kiosk; prints its URL with the key, once")
    made_kiosk.add_argument("--name", required=True, help='e.g. "Quầy 3"')
    nested(kiosk, "list", cmd_kiosk_list, "every kiosk: id, name, created, state (never the key)")
    off_kiosk = nested(kiosk, "disable", cmd_kiosk_disable, "refuse a kiosk's key from now on")
    off_kiosk.add_argument("kiosk", help="the kiosk's id, or its name")

    agent = sub.add_parser("agent", help="help-center console accounts").add_subparsers(dest="action", required=True)
    made = nested(agent, "create", cmd_agent_create, "create an agent; prints a one-time set-password link")
    made.add_argument("--name", required=True)
    made.add_argument("--email", required=True)
    made.add_argument("--role", required=True, choices=["agent", "supervisor", "admin"])
    made.add_argument("--team", default=None)
    nested(agent, "list", cmd_agent_list, "every agent: id, email, role, team, state (never a password)")
    off = nested(agent, "disable", cmd_agent_disable, "lock an agent out; their sessions end")
    off.add_argument("agent", help="the agent's id or email")
    reset = nested(agent, "reset-password", cmd_agent_reset_password, "a new set-password link; sessions end")
    reset.add_argument("agent", help="the agent's id or email")
    audit = command("audit", cmd_audit, "the console's audit log, oldest first")
    audit.add_argument("--agent", default=None, help="an agent's id or email (or cli:LOGIN)")
    audit.add_argument("--object", default=None, help="TYPE:ID, e.g. agent:ag_1234 or dossier:H12.22-261120-0001")
    audit.add_argument("--since", default=None, help="ISO date or time (UTC unless it says)")
    audit.add_argument("-n", "--lines", type=int, default=100)

    outbox = sub.add_parser("outbox", help="what was sent, on every channel and provider").add_subparsers(
        dest="action", required=True
    )
    tail = nested(outbox, "tail", cmd_outbox_tail, "show the latest messages")
    tail.add_argument("-n", "--lines", type=int, default=20)
    tail.add_argument("-f", "--follow", action="store_true", help="keep showing new messages")
    why = nested(outbox, "why", cmd_outbox_why, "notifications not sent: reason and next time, latest first")
    why.add_argument("-n", "--lines", type=int, default=50)
    resend = nested(outbox, "resend", cmd_outbox_resend, "route one notification again now, with today's consents")
    resend.add_argument("id", help="the notification's id")

    templates = sub.add_parser("templates", help="notification templates").add_subparsers(dest="action", required=True)
    show = nested(templates, "preview", cmd_templates_preview, "render a template with its sample data")
    show.add_argument("template", help="e.g. status_changed, supplement_requested, result_ready")
    show.add_argument("--channel", choices=sorted(_kind_of_channel()), default="sms")
    nested(templates, "check", cmd_templates_check, "render every template; list what is broken")

    broadcast = sub.add_parser("broadcast", help="an announcement to many citizens")
    broadcast.add_argument("--data-dir", default=None)
    broadcast.set_defaults(func=cmd_broadcast)
    broadcast.add_argument("--template", default="broadcast")
    broadcast.add_argument(
        "--to",
        required=False,
        help="CSV with a citizen_id, phone, email or telegram_chat_id column; other columns become template variables",
    )
    broadcast.add_argument("--title", default=None)
    broadcast.add_argument("--body", default=None)
    broadcast.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    broadcast.add_argument("--urgent", action="store_true", help="ignore quiet hours (emergencies only)")
    broadcast.add_argument("--no-wait", action="store_true", help="queue and return; do not show progress")
    broadcast.add_argument("action", nargs="?", choices=["status", "cancel"], default=None)
    broadcast.add_argument("id", nargs="?", default=None)

    assistant = sub.add_parser("assistant", help="the virtual assistant").add_subparsers(dest="action", required=True)
    parse = nested(assistant, "parse", cmd_assistant_parse, "intent and entities, as Rasa's /model/parse")
    parse.add_argument("text", nargs="?", default=None)
    parse.add_argument("--jsonl", action="store_true", help="one text per line on stdin, one JSON per line out")
    parse.add_argument("--engine", choices=["builtin", "rasa"], default=None)
    nested(assistant, "train", cmd_assistant_train, "train the built-in engine now (it also trains at start)")

    dlq = sub.add_parser("dlq", help="the bus's dead-letter list").add_subparsers(dest="action", required=True)
    listing = dlq.add_parser("list")
    listing.add_argument("--data-dir", default=None)
    listing.set_defaults(func=cmd_dlq_list)
    retry = dlq.add_parser("retry")
    retry.add_argument("id", type=int)
    retry.add_argument("--data-dir", default=None)
    retry.set_defaults(func=cmd_dlq_retry)
    return top


def main(argv: list[str] | None = None) -> int:
    # numpy's BLAS threads fight the event loop and SQLite's threads for two
    # cores; measured 70x slower training on a busy machine. One is plenty.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
