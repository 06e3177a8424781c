import pytest

from tests.contracts.backends import BUS_BACKENDS, STORE_BACKENDS, InMemory, InProcessOver

# The real peers the provider contract talks to, as fixtures.
from tests.support.peers_prism import prism  # noqa: F401
from tests.support.sms_gateway import gateway  # noqa: F401
from tests.support.smtp import start_server  # noqa: F401
from tests.support.telegram_peer import emulator  # noqa: F401


@pytest.fixture(params=sorted(STORE_BACKENDS))
async def store(request, tmp_path):
    store = STORE_BACKENDS[request.param](tmp_path)
    await store.open()
    yield store
    await store.close()


@pytest.fixture(params=sorted(BUS_BACKENDS))
async def bus_backend(request, tmp_path):
    store_name = BUS_BACKENDS[request.param]
    if store_name is None:
        yield InMemory()
        return
    store = STORE_BACKENDS[store_name](tmp_path)
    await store.open()
    yield InProcessOver(store)
    await store.close()
