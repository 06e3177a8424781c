"""`tongdai broadcast`: load recipients from a CSV, then watch the running
service send, with a progress bar. Re-running the same command after a crash
carries on; Ctrl-C stops watching, not sending; `cancel` stops sending."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hub.store.port import Broadcast, BroadcastStore
from notify import broadcasts
from notify.api import check_template
from notify.rendering import Templates


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = width if total == 0 else width * done // total
    return "[" + "#" * filled + "-" * (width - filled) + f"] {done}/{total}"


def _show(line: str) -> None:
    end = "\n" if not sys.stdout.isatty() else ""
    print("\r" + line, end=end, flush=True)


def _context(args) -> dict:
    context = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"--var {item!r}: cần dạng TÊN=GIÁ_TRỊ")
        context[name.strip()] = value
    if args.title is not None:
        context["title"] = args.title
    if args.body is not None:
        context["body"] = args.body
    return context


async def watch(store: BroadcastStore, broadcast_id: str, poll: float = 0.5) -> Broadcast:
    while True:
        current = await store.get_broadcast(broadcast_id)
        if current is None:  # broadcasts are not deleted
            raise SystemExit(f"Không có thông báo hàng loạt {broadcast_id}.")
        done = broadcasts.finished(current)
        _show("Đang gửi  " + _bar(done, current.total))
        if current.state == "cancelled" or (current.state == "active" and done >= current.total):
            print()
            return current
        await asyncio.sleep(poll)


async def main(store: broadcasts.BroadcastLoading, args, settings) -> int:
    if args.action in ("status", "cancel"):
        if not args.id:
            raise SystemExit(f"tongdai broadcast {args.action} ID")
        if await store.get_broadcast(args.id) is None:
            print(f"Không có thông báo hàng loạt {args.id}.", file=sys.stderr)
            return 1
        if args.action == "cancel":
            stopped = await store.cancel_broadcast(args.id)
            print(f"Đã hủy {args.id}: {stopped} tin chưa gửi sẽ không được gửi.")
        found = await store.get_broadcast(args.id)
        if found is None:  # checked above; broadcasts are not deleted
            print(f"Không có thông báo hàng loạt {args.id}.", file=sys.stderr)
            return 1
        print(broadcasts.view(found))
        return 0
    if not args.to:
        raise SystemExit("tongdai broadcast --template MẪU --to danh_sach.csv [--title ... --body ...]")
    data = await asyncio.to_thread(Path(args.to).read_bytes)
    try:
        rows = broadcasts.read_csv(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{args.to}: {exc}") from None
    context = _context(args)
    templates = await asyncio.to_thread(Templates, Path(settings.templates_dir) if settings.templates_dir else None)
    try:
        check_template(templates, args.template, context)
    except Exception as exc:  # ApiError carries the Vietnamese explanation
        raise SystemExit(getattr(exc, "message", str(exc))) from None
    created = await store.create_broadcast(
        Broadcast(
            id=broadcasts.broadcast_id(args.template, context, data),
            template=args.template,
            context=context,
            source=str(args.to),
            total=0,
            state="loading",
            created_at="",
        )
    )
    if created.state == "cancelled":
        print(f"Thông báo {created.id} đã bị hủy trước đó; không gửi lại.", file=sys.stderr)
        return 1
    print(f"Thông báo hàng loạt {created.id} ({len(rows)} dòng)")
    added, skipped = await broadcasts.load(
        store, created, rows, urgent=args.urgent, progress=lambda n, total: _show("Nạp danh sách " + _bar(n, total))
    )
    print(f"\n{added} người nhận; bỏ qua {skipped} dòng (không rõ người nhận hoặc trùng).")
    if args.no_wait:
        return 0
    print("Dịch vụ (tongdai serve) gửi theo đồng ý, giờ yên lặng và giới hạn tốc độ; Ctrl-C để thôi theo dõi.")
    final = await watch(store, created.id)
    print(broadcasts.view(final))
    return 0
