"""The pages citizens open from an email (notify/pages.py), in a real browser:
Vietnamese, the button works, and axe-core finds nothing serious. They are
the first pages the browser harness (tests/support/browser.py) proves itself
on; the console and the kiosk come next."""

from __future__ import annotations

import re

import aiohttp

from hub.app import SERVICE
from hub.keys import BUS, STORE
from models.citizen import Channel
from notify.keys import LINKS
from tests.support.browser import LiveApp, check_accessibility, screenshot

CODE = "000.00.21.H12-261130-0201"
DOSSIER = {
    "procedure": "Đăng ký khai sinh",
    "agency": "UBND phường Thạch Thang",
    "received_at": "2026-11-20T08:30:00+07:00",
    "due_at": "2099-11-25T17:00:00",
    "applicant": {
        "full_name": "Lê Thị Hoa",
        "phone": "0987654321",
        "email": "le.thi.hoa@example.vn",
        "preferred_channels": ["email"],
        "consents": [{"channel": "email", "granted": True}],
    },
}
FOLLOWER = "con.trai@example.vn"


async def _settle(live: LiveApp) -> None:
    for _ in range(3):  # a send can publish, a publish can plan a send
        await live.app[BUS].wait_idle()
        await live.app[SERVICE].notifier.sender.wait_idle()


async def _dossier(live: LiveApp) -> str:
    """A dossier through the API, as the one-stop shop sends it: its applicant's id."""
    from hub.api.auth import ApiKeys

    key = await ApiKeys(live.app[STORE]).create("browser-tests")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as http:
        async with http.put(live.url(f"/api/v1/dossiers/{CODE}"), json=DOSSIER) as response:
            assert response.status == 201, await response.text()
            return (await response.json())["applicant_id"]


async def _follow_link(live: LiveApp) -> str:
    """Ask to follow the dossier by email; the path of the link the mail carries."""
    await _dossier(live)
    async with aiohttp.ClientSession() as http:
        body = {"verify": "4321", "channel": "email", "email": FOLLOWER}
        async with http.post(live.url(f"/api/v1/dossiers/{CODE}/followers"), json=body) as response:
            assert response.status == 202, await response.text()
    await _settle(live)
    [mail] = [r for r in await live.app[STORE].last_recorded(1000) if r["address"] == FOLLOWER]
    return re.search(r"https?://[^/\s]+(/follow/\S+)", mail["body"]).group(1)


async def _email_consent(live: LiveApp, address: str) -> bool:
    store = live.app[STORE]
    citizen = await store.get_citizen(await store.find_contact(Channel.EMAIL, address))
    return citizen.consent_for(Channel.EMAIL)


def test_follow_confirmation_page_in_chromium(live, page):
    path = live.run(_follow_link(live))
    page.goto(live.url(path))
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.title() == "Xác nhận nhận thông báo về hồ sơ"
    assert CODE in page.locator("main").inner_text()
    assert check_accessibility(page) == []  # not even a moderate finding on these plain pages
    screenshot(page, "follow-confirmation-asked")
    assert live.run(_email_consent(live, FOLLOWER)) is False  # opening the link confirmed nothing

    with page.expect_navigation():  # the POST's answer is a new page
        page.get_by_role("button", name="Xác nhận nhận thông báo").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Đã xác nhận theo dõi hồ sơ"
    check_accessibility(page)
    screenshot(page, "follow-confirmation-done")
    assert live.run(_email_consent(live, FOLLOWER)) is True


def test_unsubscribe_page_in_chromium(live, page):
    citizen = live.run(_dossier(live))
    token = live.app[LINKS].unsubscribe_token(citizen, Channel.EMAIL)
    page.goto(live.url(f"/unsubscribe/{token}"))
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Hủy nhận thông báo qua email"
    check_accessibility(page)
    screenshot(page, "unsubscribe-asked")
    assert live.run(_email_consent(live, DOSSIER["applicant"]["email"])) is True  # a GET changes nothing

    with page.expect_navigation():  # the POST's answer is a new page
        page.get_by_role("button", name="Xác nhận hủy nhận thông báo").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Đã hủy nhận thông báo"
    check_accessibility(page)
    screenshot(page, "unsubscribe-done")
    assert live.run(_email_consent(live, DOSSIER["applicant"]["email"])) is False


def test_a_forged_link_shows_a_vietnamese_page_not_an_error(live, page):
    response = page.goto(live.url("/unsubscribe/bm90LmEudG9rZW4.AAAAAAAAAAAAAAAAAAAAAA"))
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Liên kết không hợp lệ"
    check_accessibility(page)
