"""`tongdai assistant ...`: parse texts as Rasa's /model/parse would, and
train the built-in engine ahead of time."""

from __future__ import annotations

import asyncio
import sys

import orjson

from assistant.builtin import PROJECT, BuiltinEngine, fingerprint, load_nlu


async def _parse_all(engine, texts: list[str]) -> list[dict]:
    nlu = getattr(engine, "nlu", None)
    if nlu is not None:  # the built-in NLU vectorises a batch
        return [p.to_dict() for p in nlu.parse_many(texts)]
    # One at a time keeps the output in input order; a few in flight hide Rasa's latency.
    limit = asyncio.Semaphore(8)

    async def one(text: str) -> dict:
        async with limit:
            return (await engine.parse(text)).to_dict()

    return list(await asyncio.gather(*(one(t) for t in texts)))


async def parse(engine, args) -> int:
    """`engine`: the one the service would use (bootstrap chooses it)."""
    if args.jsonl:
        texts = [line.rstrip("\r\n") for line in sys.stdin]
    elif args.text:
        texts = [args.text]
    else:
        raise SystemExit('tongdai assistant parse "câu hỏi"  hoặc  tongdai assistant parse --jsonl < cau_hoi.txt')
    if isinstance(engine, BuiltinEngine):
        await engine.trained()  # no lookups while parsing: texts are classified, not answered
    else:
        await engine.start()
    try:
        results = await _parse_all(engine, texts)
    finally:
        await engine.close()
    out = sys.stdout.buffer
    for result in results:
        out.write(orjson.dumps(result) + b"\n")
    out.flush()
    return 0


async def train(settings, args) -> int:
    nlu = await asyncio.to_thread(load_nlu, PROJECT, settings.assistant_cache)
    print(
        f"Đã huấn luyện trợ lý ({len(nlu.intents) if hasattr(nlu, 'intents') else '?'} ý định); "
        f"mô hình {fingerprint()} lưu trong {settings.assistant_cache}"
    )
    return 0
