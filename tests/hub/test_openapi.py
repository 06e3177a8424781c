"""The API description stays true to the router."""


async def test_every_route_is_described_and_nothing_else(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    served = {
        (route.resource.canonical, route.method) for route in client.app.router.routes() if route.method != "HEAD"
    }
    assert documented == served


async def test_every_operation_lists_its_error_statuses(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    put = spec["paths"]["/api/v1/dossiers/{code}"]["put"]["responses"]
    post = spec["paths"]["/api/v1/dossiers/{code}/events"]["post"]["responses"]
    get = spec["paths"]["/api/v1/dossiers/{code}"]["get"]["responses"]
    assert {"201", "200", "401", "409", "413", "422"} <= set(put)
    assert {"201", "401", "404", "409", "413", "422"} <= set(post)
    assert {"200", "404", "422", "429"} <= set(get)
