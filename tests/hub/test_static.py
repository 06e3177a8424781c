"""The console's files are served by the service itself, and always revalidated."""

import re


async def test_console_modules_are_served_and_revalidated(client):
    response = await client.get("/static/console/app.js")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "javascript" in response.headers["Content-Type"]
    # Every module app.js imports is there too: no CDN, nothing to build.
    for module in set(re.findall(r"""from\s+["']\./([\w-]+\.js)["']""", await response.text())):
        imported = await client.get(f"/static/console/{module}")
        assert imported.status == 200, module


async def test_no_listing_and_no_escape_from_the_folder(client):
    assert (await client.get("/static/")).status in (403, 404)
    assert (await client.get("/static/../app.py")).status in (403, 404)
    assert (await client.get("/static/%2e%2e/app.py")).status in (403, 404)
