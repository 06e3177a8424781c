"""Demo for `make run`: a kiosk with a fresh key, and the page that embeds
the web chat widget. A key is shown once, so each run retires the demo
kiosk of the run before and makes a new one."""

from __future__ import annotations

from kiosk.accounts import Kiosks, kiosk_url

DEMO_KIOSK = "Quầy demo"


async def seed_kiosk(store, base_url: str) -> str:
    """The demo kiosk's URL, with its key in the fragment."""
    kiosks = Kiosks(store)
    for earlier in await kiosks.listing():
        if earlier.name == DEMO_KIOSK and not earlier.disabled:
            await kiosks.disable(earlier.id, "demo")
    _, key = await kiosks.create(DEMO_KIOSK, "demo")
    return kiosk_url(base_url, key)
