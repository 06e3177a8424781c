import pytest

from tests.contracts.backends import STORE_BACKENDS


@pytest.fixture(params=sorted(STORE_BACKENDS))
async def store(request, tmp_path):
    store = STORE_BACKENDS[request.param](tmp_path)
    await store.open()
    yield store
    await store.close()
