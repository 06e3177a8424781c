"""The console's supervisor screens in Chromium (issue 12): merging two
citizen records that are one person from the citizen panel (confirmed in a
dialog, then undone from the result), managing canned responses (one made
in the dialog is then used with "/" in the reply box), axe-core on both
dialogs; and the sign-in and set-password pages in English.

One service for the module (the assistant trains once); each test makes its
own citizens."""

from __future__ import annotations

import re

import aiohttp
import pytest
from playwright.sync_api import Page, expect

from hub.keys import STORE
from hub.store.port import QueueQuery
from tests.support.browser import artefacts_dir, browser, check_accessibility, screenshot  # noqa: F401
from tests.support.console_browser import (
    API_KEY,
    console_page,
    console_service,
    console_settings,
    new_agent,
    sign_in,
    telegram_user,
    telegram_writes,
    wait_for,
)
from tests.support.peers_prism import prism  # noqa: F401  (module fixture)
from tests.support.telegram_peer import emulator  # noqa: F401  (module fixture)

pytestmark = pytest.mark.timeout(300)

SUPERVISOR = "binh@example.vn"
AGENT = "an@example.vn"
ESCALATE = "/request_human"  # the assistant's "Gặp cán bộ" button, as Telegram sends its payload
CHAT = 5550171  # the applicant's Telegram chat
KNOWN = "000.00.21.H12-261201-0171"  # her dossier, filed with that chat
OTHER = "000.00.21.H12-261201-0172"  # filed again by her, with another phone: a second citizen record


def _dossier(name: str, phone: str, chat: int | None) -> dict:
    applicant: dict = {"full_name": name, "phone": phone, "preferred_channels": ["sms"]}
    if chat is not None:
        applicant |= {"telegram_chat_id": chat, "preferred_channels": ["telegram"]}
        applicant["consents"] = [{"channel": "telegram", "granted": True}]
    return {
        "procedure": "Đăng ký khai sinh",
        "agency": "UBND phường Thạch Thang",
        "received_at": "2026-11-28T08:00:00+07:00",
        "due_at": "2099-12-05T17:00:00+07:00",
        "applicant": applicant,
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory, prism, emulator):  # noqa: F811
    yield from console_service(console_settings(tmp_path_factory.mktemp("console-sup"), prism, emulator))


@pytest.fixture(scope="module")
def accounts(live):
    ids = {
        SUPERVISOR: new_agent(live, "Phạm Thị Bình", SUPERVISOR, role="supervisor")[0].id,
        AGENT: new_agent(live, "Nguyễn Văn An", AGENT)[0].id,
    }

    async def dossiers():
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
            for code, body in (
                (KNOWN, _dossier("Lê Thị Mai", "0912345171", CHAT)),
                (OTHER, _dossier("Lê Thị Mai", "0987650172", None)),
            ):
                async with http.put(live.url(f"/api/v1/dossiers/{code}"), json=body) as response:
                    assert response.status == 201, await response.text()

    live.run(dossiers())
    return ids


@pytest.fixture
def page(browser):  # noqa: F811  (tests/support/browser.py's, with axe-core allowed past the CSP)
    with console_page(browser, for_axe=True) as opened:
        yield opened


def _escalation(live, emulator, chat: int, name: str) -> str:  # noqa: F811
    """A Telegram user asks for a person; the queued conversation's id."""
    telegram_writes(live, emulator, telegram_user(chat, name), ESCALATE)

    async def find():
        query = QueueQuery(viewer="tests", viewer_team=None, viewer_is_supervisor=True, view="all", status=None)
        items = await live.app[STORE].queue(query, lambda _channel, raw: raw)
        return next((i.conversation_id for i in items if i.address_masked == str(chat)), None)

    return wait_for(lambda: live.run(find()), what=f"the conversation of chat {chat} in the queue")


def _open(page: Page, live, cid: str) -> None:
    page.goto(live.url(f"/console#c/{cid}"))
    expect(page.locator("#conv-title")).not_to_have_text("Đang tải…")


def _applicant(live, code: str) -> str:
    found = live.run(live.app[STORE].lookup_dossier(code))
    assert found is not None
    return found.dossier.applicant_id


def test_a_supervisor_merges_two_citizens_then_undoes_it(live, accounts, emulator, page):  # noqa: F811
    cid = _escalation(live, emulator, CHAT, "Mai")
    kept, other = _applicant(live, KNOWN), _applicant(live, OTHER)
    assert kept != other
    sign_in(page, live, SUPERVISOR)
    _open(page, live, cid)
    panel = page.locator("#citizen")
    expect(panel.locator("#citizen-id")).to_have_text(kept)
    expect(panel.locator(f".dossier[data-code='{KNOWN}']")).to_have_count(1)
    expect(panel.locator(f".dossier[data-code='{OTHER}']")).to_have_count(0)

    page.get_by_label("Mã công dân trùng (gộp vào người này)").fill(other)
    page.get_by_label("Lý do (bắt buộc, ghi vào nhật ký)").fill("Cùng họ tên, cùng hồ sơ khai sinh, hai số điện thoại")
    page.get_by_role("button", name="Gộp…").click()
    dialog = page.get_by_role("dialog", name="Gộp hai hồ sơ công dân?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(other)
    check_accessibility(page)  # with the confirmation open
    screenshot(page, "console-merge-confirm")
    dialog.get_by_role("button", name="Gộp", exact=True).click()
    expect(dialog).to_be_hidden()

    expect(panel.locator("#merge-result")).to_contain_text(f"Đã gộp công dân {other} vào {kept}.")
    expect(panel.locator(f".dossier[data-code='{OTHER}']")).to_have_count(1)  # her other record, now hers
    merges = live.run(live.app[STORE].citizen_merges(kept))
    assert [(m.kept_id, m.merged_id, m.undone_at) for m in merges] == [(kept, other, None)]
    check_accessibility(page)  # the result with its undo button
    panel.locator("#merge-result").scroll_into_view_if_needed()
    panel.screenshot(path=str(artefacts_dir() / "console-merged-panel.png"))  # the panel scrolls on its own

    panel.locator("#merge-undo").click()
    expect(panel.locator("#merge-result")).to_contain_text("Đã hoàn tác việc gộp.")
    expect(panel.locator(f".dossier[data-code='{OTHER}']")).to_have_count(0)
    expect(panel.locator("#merge-undo")).to_have_count(0)
    (merge,) = live.run(live.app[STORE].citizen_merges(kept))
    assert merge.undone_at is not None
    actions = [e.action for e in live.run(live.app[STORE].audit_entries(object_type="citizen", object_id=other))]
    assert "citizen.merge" in actions and "citizen.unmerge" in actions


def test_an_agent_sees_no_merge_form(live, accounts, emulator, page):  # noqa: F811
    cid = _escalation(live, emulator, 5550173, "Tùng")
    sign_in(page, live, AGENT)
    _open(page, live, cid)
    page.get_by_role("button", name="Nhận xử lý").click()
    expect(page.locator("#citizen h2")).to_be_visible()
    expect(page.locator("#merge-form")).to_have_count(0)
    expect(page.locator("#canned-open")).to_have_count(0)


def test_a_supervisor_adds_a_canned_response_that_is_then_used_with_slash(live, accounts, emulator, page):  # noqa: F811
    sign_in(page, live, SUPERVISOR)
    page.get_by_role("button", name="Câu trả lời mẫu").click()
    dialog = page.get_by_role("dialog", name="Quản lý câu trả lời mẫu")
    expect(dialog).to_be_visible()
    for shortcut, body in (("henlai", "Tôi là {{ agent.name }}, hẹn gặp lại Ông/Bà."), ("tam", "Sẽ xóa.")):
        dialog.get_by_label("Lối tắt (gõ sau dấu /)").fill(shortcut)
        dialog.get_by_label("Tiêu đề").fill("Mẫu " + shortcut)
        dialog.get_by_label("Nội dung").fill(body)
        dialog.get_by_role("button", name="Thêm", exact=True).click()
        expect(dialog.locator(f".canned-item[data-shortcut='{shortcut}']")).to_have_count(1)
    check_accessibility(page)  # with the dialog open and its list filled
    screenshot(page, "console-canned-admin")

    dialog.get_by_label("Lối tắt (gõ sau dấu /)").fill("henlai")  # a shortcut already taken
    dialog.get_by_label("Tiêu đề").fill("Trùng")
    dialog.get_by_label("Nội dung").fill("Trùng")
    dialog.get_by_role("button", name="Thêm", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("Đã có câu trả lời mẫu với lối tắt này.")

    dialog.get_by_role("button", name="Xóa /tam").click()
    expect(dialog.locator(".canned-item[data-shortcut='tam']")).to_have_count(0)
    shortcuts = {c.shortcut for c in live.run(live.app[STORE].list_canned(query=None, team=None, every_team=True))}
    assert "henlai" in shortcuts and "tam" not in shortcuts
    dialog.get_by_role("button", name="Đóng").click()
    expect(dialog).to_be_hidden()

    cid = _escalation(live, emulator, 5550174, "Minh")
    _open(page, live, cid)
    box = page.get_by_label("Nội dung trả lời")
    box.click()
    box.press_sequentially("/henl")
    picker = page.get_by_role("listbox", name="Câu trả lời mẫu")
    expect(picker.get_by_role("option").first).to_contain_text("/henlai")
    box.press("Enter")
    expect(picker).to_be_hidden()
    expect(box).to_have_value("Tôi là Phạm Thị Bình, hẹn gặp lại Ông/Bà.")


def test_sign_in_and_set_password_pages_in_english(live, accounts, page):
    page.goto(live.url("/console/login"))
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the console")
    assert page.locator("html").get_attribute("lang") == "en"
    check_accessibility(page)
    screenshot(page, "console-sign-in-english")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_label("Email").fill(AGENT)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")  # the language is kept
    check_accessibility(page)
    page.get_by_role("link", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập bảng điều khiển")

    _, link = new_agent(live, "Đỗ Văn Dũng", "dung@example.vn", password=None)
    page.goto(link.replace(link.split("/console/")[0], live.base_url) + "?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    page.get_by_label(re.compile("^New password")).fill("a long enough passphrase 42")
    with page.expect_navigation():
        page.get_by_role("button", name="Set password").click()
    check_accessibility(page)
