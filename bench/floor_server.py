"""The floor for bench/lookup.py: bare aiohttp (on uvloop when installed)
answering the same routes with a constant, no store, no middleware.

    python bench/floor_server.py PORT

Whatever latency this shows at a given rate is the machine's and the
client's, not Tổng đài's; bench/run.sh measures both in the same run."""

import sys

from aiohttp import web


async def lookup(request: web.Request) -> web.Response:
    return web.json_response({"code": request.match_info["code"], "status": "in_progress"})


async def put(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({}, status=201)


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    app = web.Application()
    app.router.add_get("/api/v1/dossiers/{code}", lookup)
    app.router.add_put("/api/v1/dossiers/{code}", put)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
