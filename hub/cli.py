"""The `tongdai` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from hub import logs
from hub.settings import Settings


def _settings(args) -> Settings:
    return Settings.from_env(data_dir=Path(args.data_dir) if args.data_dir else None,
                             host=getattr(args, "host", None), port=getattr(args, "port", None))


async def _with_store(settings: Settings, work):
    from hub.app import open_store
    store = open_store(settings)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


def cmd_serve(args) -> int:
    from aiohttp import web

    from hub.app import create_app
    settings = _settings(args)
    logs.configure(settings.log_level)
    try:
        import uvloop
        uvloop.install()
    except ImportError:  # optional speed-up; asyncio's own loop works the same
        pass
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None,
                print=lambda _: print(f"Tổng đài: http://{settings.host}:{settings.port} "
                                      f"(dữ liệu: {settings.data_dir})", flush=True))
    return 0


def cmd_apikey_create(args) -> int:
    from hub.api.auth import ApiKeys
    key = asyncio.run(_with_store(_settings(args), lambda store: ApiKeys(store).create(args.name)))
    print(key)
    print(f"Khóa API '{args.name}' đã được tạo. Hãy lưu lại: khóa chỉ hiện một lần.", file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    from hub.demo import seed
    rows, key = asyncio.run(_with_store(_settings(args), seed))
    print(f"{'Mã hồ sơ':<28} {'4 số':<5} {'Trạng thái':<34} Thủ tục")
    for code, verify, status, procedure in rows:
        print(f"{code:<28} {verify:<5} {status:<34} {procedure}")
    print(f"\nKhóa API demo (chỉ hiện một lần): {key}")
    return 0


def cmd_dlq_list(args) -> int:
    letters = asyncio.run(_with_store(_settings(args), lambda store: store.dead_letters()))
    if not letters:
        print("Dead-letter list is empty.")
    for letter in letters:
        print(json.dumps({"id": letter.id, "message_id": letter.message_id, "type": letter.type,
                          "handler": letter.handler, "attempts": letter.attempts, "error": letter.error,
                          "updated_at": letter.updated_at}, ensure_ascii=False))
    return 0


def cmd_dlq_retry(args) -> int:
    ok = asyncio.run(_with_store(_settings(args), lambda store: store.retry_dead_letter(args.id)))
    if not ok:
        print(f"No dead letter with id {args.id}.", file=sys.stderr)
        return 1
    print(f"Dead letter {args.id} queued for another round of attempts.")
    return 0


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

    apikey = sub.add_parser("apikey", help="API keys for the one-stop-shop").add_subparsers(
        dest="action", required=True)
    create = apikey.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--data-dir", default=None)
    create.set_defaults(func=cmd_apikey_create)

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
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
