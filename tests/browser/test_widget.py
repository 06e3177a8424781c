"""The web chat widget in Chromium (issue 13, "Web chat"): embedded with one
script tag on a portal page of ANOTHER origin under a strict policy, a
citizen asks, gets the assistant's answer with its buttons, taps one, reloads
and finds the conversation; an agent's reply (through the console's API)
appears live; a contact left in the widget gets the agent's answer once the
page is closed; the service restarts mid-conversation and the widget comes
back with the reply sent while it was away and the message typed meanwhile,
each once; axe-core sees into the shadow root; a phone-sized screenshot.

One service for the module (the assistant trains once), restartable on its
port and data directory; each test is its own citizen (its own browser
context, so its own localStorage)."""

from __future__ import annotations

import gzip
import re
import time
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from kiosk.webchat_api import WEBCHAT
from kiosk.widget_pages import MAX_GZIPPED
from tests.support.browser import browser, screenshot  # noqa: F401
from tests.support.console_browser import console_page, csrf_post, new_agent, sign_in, wait_for
from tests.support.widget_browser import (
    Portal,
    check_widget_accessibility,
    citizen_page,
    recorded_to,
    session_token,
    webchat_conversation,
    widget_service,
    widget_settings,
)

pytestmark = pytest.mark.timeout(300)

AN = "an.widget@example.vn"
TITLE = "Hỏi đáp trực tuyến"
GREETING = "trợ lý ảo"  # the assistant's greeting names itself
HOSTILE_CSS = (
    "tongdai-webchat, #tongdai-webchat { display: none !important; opacity: 0 !important }"
    " div, section, ol, li, button, form, header, textarea { display: none !important }"
    " * { font-size: 8px !important; line-height: 1 !important }"
)
HANDOFF = re.compile("chuyển .*tới cán bộ")  # in office hours or out of them


@pytest.fixture(scope="module")
def portal():
    with Portal() as serving:
        yield serving


@pytest.fixture(scope="module")
def live(tmp_path_factory, portal):
    yield from widget_service(widget_settings(tmp_path_factory.mktemp("widget"), portal), portal)


@pytest.fixture(scope="module")
def agent(live):
    new_agent(live, "Nguyễn Văn An", AN)
    return AN


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=TITLE).click()
    expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
    expect(page.get_by_label("Nội dung câu hỏi")).to_be_focused()


def _ask(page: Page, text: str) -> None:
    box = page.get_by_label("Nội dung câu hỏi")
    box.fill(text)
    box.press("Enter")


def _greeted(page: Page) -> None:
    """ "xin chào": the assistant's greeting with its buttons."""
    _ask(page, "xin chào")
    expect(page.locator("li.out").last).to_contain_text(GREETING, timeout=20000)
    expect(page.locator(".buttons button")).to_contain_text(["Gặp cán bộ"], timeout=5000)


def _escalated(page: Page) -> None:
    _greeted(page)
    page.locator(".buttons").get_by_role("button", name="Gặp cán bộ").click()
    expect(page.locator("li.out").last).to_contain_text(HANDOFF, timeout=20000)


def _agent_replies(agent_page: Page, conversation_id: str, text: str, *, claim: bool = False) -> dict:
    """The reply as the console's API answers it (with its `delivery`)."""
    base = f"/console/api/conversations/{conversation_id}"
    if claim:
        claimed = csrf_post(agent_page, base + "/claim", {})
        assert claimed["status"] == 200, claimed
    sent = csrf_post(agent_page, base + "/reply", {"text": text})
    assert sent["status"] == 201, sent
    return sent["body"]


def re_text(text: str) -> re.Pattern:
    """A bubble's text (its author's label comes first)."""
    return re.compile(re.escape(text) + r"\s*$")


def _http(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (the test's own service)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_widget_js_is_one_small_script_and_the_demo_page_embeds_it(live, browser):  # noqa: F811
    status, headers, body = _http(live.url("/widget.js"), {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Encoding"] == "gzip"
    assert len(body) < MAX_GZIPPED, f"widget.js is {len(body)} bytes gzipped, over the 60 kB budget"
    assert b"attachShadow" in gzip.decompress(body)
    unchanged, _, _ = _http(live.url("/widget.js"), {"If-None-Match": headers["ETag"]})
    assert unchanged == 304

    status, headers, page_body = _http(live.url("/chat"))
    html = page_body.decode()
    assert status == 200 and "Cổng dịch vụ công tỉnh" in html
    assert html.count("<script") == 1 and '<script src="/widget.js" async' in html  # no inline script
    assert "script-src 'self'" in headers["Content-Security-Policy"]

    # The demo page, under its own strict policy: the widget works on the service's own origin.
    with citizen_page(browser) as page:
        _open(page, live.url("/chat"))
        _greeted(page)


def test_ask_tap_a_button_and_reload_to_find_the_history(live, portal, browser):  # noqa: F811
    with citizen_page(browser) as page:
        _open(page, portal.origin + "/")
        assert page.evaluate("() => document.getElementById('tongdai-webchat').shadowRoot !== null")
        # The typing indicator shows while the answer is awaited (watched from inside the shadow root).
        page.evaluate(
            """() => { const t = document.getElementById('tongdai-webchat').shadowRoot.querySelector('.typing');
              window.typingSeen = false;
              new MutationObserver(() => { if (!t.hidden) window.typingSeen = true; })
                .observe(t, {attributes: true}); }"""
        )
        _greeted(page)
        assert page.evaluate("() => window.typingSeen"), "no typing indicator while the answer was awaited"
        expect(page.locator(".typing")).to_be_hidden()
        expect(page.locator("li.out").first.locator(".who")).to_have_text("Trợ lý ảo")

        # A quick reply: shown as the citizen tapped it, answered, and the buttons make way.
        page.locator(".buttons").get_by_role("button", name="Giờ làm việc").click()
        expect(page.locator("li.in")).to_have_text([re_text("xin chào"), re_text("Giờ làm việc")])
        expect(page.locator("li.out")).to_have_count(2, timeout=20000)
        before = page.locator("li.in, li.out").all_inner_texts()

        # Reload: the same session from localStorage, the history read again, nothing twice.
        page.reload()
        expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
        expect(page.locator("li.in, li.out")).to_have_count(len(before), timeout=10000)
        assert page.locator("li.in, li.out").all_inner_texts() == before
        expect(page.locator("#tongdai-webchat[data-live='up']")).to_have_count(1, timeout=10000)

        # Escape closes it and gives the focus back to its button (a reload does not steal the page's focus).
        page.get_by_label("Nội dung câu hỏi").focus()
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog", name=TITLE)).to_be_hidden()
        expect(page.get_by_role("button", name=TITLE)).to_be_focused()

        # The English switch: the widget's own words change, the conversation stays.
        page.get_by_role("button", name=TITLE).click()
        page.get_by_role("button", name="English").click()
        expect(page.get_by_label("Your question")).to_be_visible()
        expect(page.locator("li.out").first.locator(".who")).to_have_text("Assistant")
        page.get_by_role("button", name="Tiếng Việt").click()
        expect(page.get_by_label("Nội dung câu hỏi")).to_be_visible()


def test_an_agents_reply_appears_live_and_a_left_contact_gets_the_next(live, portal, agent, browser):  # noqa: F811
    with console_page(browser) as agent_page:
        sign_in(agent_page, live, agent)
        with citizen_page(browser) as page:
            _open(page, portal.origin + "/")
            _escalated(page)
            token = session_token(page)
            conversation = webchat_conversation(live, token)
            expect(page.locator("#tongdai-webchat[data-live='up']")).to_have_count(1, timeout=10000)

            _agent_replies(
                agent_page, conversation["id"], "Chào Ông/Bà, tôi là cán bộ An, tôi xem hồ sơ ngay.", claim=True
            )
            reply = page.locator("li.agent")
            expect(reply).to_contain_text("tôi là cán bộ An", timeout=10000)  # live: no reload
            expect(reply.locator(".who")).to_have_text("Cán bộ")

            # A phone for the answer that comes after the page is closed.
            page.get_by_role("button", name="Để lại số điện thoại hoặc email").click()
            field = page.get_by_label("Số điện thoại hoặc email")
            field.fill("số của tôi")
            page.get_by_role("button", name="Lưu liên hệ").click()
            expect(page.locator(".contact .msg")).to_contain_text("Vui lòng nhập số điện thoại")
            field.fill("0912 345 678")
            page.get_by_role("button", name="Lưu liên hệ").click()
            expect(page.locator(".contact .msg")).to_contain_text("Đã lưu", timeout=10000)
            stored = page.evaluate("() => JSON.stringify(localStorage)")
            assert "0912345678" not in stored and "912345678" not in stored  # kept masked, if at all

        address = live.app[WEBCHAT].address(token)
        wait_for(lambda: not live.app[WEBCHAT].presence.connected(address), what="the page to be gone")
        away = _agent_replies(agent_page, conversation["id"], "Hồ sơ của Ông/Bà đã có kết quả, mời Ông/Bà đến nhận.")
        assert away["delivery"]["channel"] == "sms", away
        sent = wait_for(
            lambda: [r for r in recorded_to(live, "912345678") if "đã có kết quả" in (r.get("body") or "")],
            within=30,
            what="the agent's answer by SMS to the phone left in the widget",
        )
        assert len(sent) == 1 and sent[0]["channel"] == "sms", sent
        # The first reply was shown live, while the page was open: not sent again by SMS.
        assert not [r for r in recorded_to(live, "912345678") if "cán bộ An" in (r.get("body") or "")]


def test_the_service_restarts_mid_conversation_and_nothing_is_lost(live, portal, agent, browser):  # noqa: F811
    with console_page(browser) as agent_page:
        sign_in(agent_page, live, agent)
        with citizen_page(browser) as page:
            _open(page, portal.origin + "/")
            _escalated(page)
            conversation = webchat_conversation(live, session_token(page))
            csrf = csrf_post(agent_page, f"/console/api/conversations/{conversation['id']}/claim", {})
            assert csrf["status"] == 200, csrf
            expect(page.locator("#tongdai-webchat[data-live='up']")).to_have_count(1, timeout=10000)

            live.stop()
            expect(page.locator(".status")).to_contain_text("Mất kết nối", timeout=10000)
            # The citizen's browser loses the network too: the widget cannot come back before the reply.
            page.context.set_offline(True)
            _ask(page, "Tôi vẫn đang chờ câu trả lời ạ.")
            expect(page.locator("li.pending")).to_contain_text("đang chờ gửi")
            time.sleep(1)

            live.start()  # the agent's session survived it: the console page posts as before
            # The console's own socket comes back; while it was away the conversation may have gone back to
            # the queue (the agent looked offline), so the agent takes it again before answering.
            expect(agent_page.locator("body[data-live='up']")).to_have_count(1, timeout=30000)
            text = "Cảm ơn Ông/Bà đã chờ, hồ sơ đang được thẩm định."
            _agent_replies(agent_page, conversation["id"], text, claim=True)
            page.context.set_offline(False)

            expect(page.locator("li.agent", has_text="hồ sơ đang được thẩm định")).to_have_count(1, timeout=30000)
            expect(page.locator("li.pending")).to_have_count(0, timeout=30000)
            expect(page.locator("li.in", has_text="Tôi vẫn đang chờ câu trả lời ạ.")).to_have_count(1)
            expect(page.locator(".status")).to_have_text("")

            # Stored once, though the widget tried while the service was away.
            stored = webchat_conversation(live, session_token(page))["messages"]
            assert [m["text"] for m in stored].count("Tôi vẫn đang chờ câu trả lời ạ.") == 1
            page.reload()
            expect(page.locator("li.agent", has_text="hồ sơ đang được thẩm định")).to_have_count(1, timeout=10000)
            expect(page.locator("li.in", has_text="Tôi vẫn đang chờ câu trả lời ạ.")).to_have_count(1)


def test_accessible_in_its_shadow_root_and_on_a_phone(live, portal, browser):  # noqa: F811
    with citizen_page(browser, phone=True, for_axe=True) as page:
        page.goto(portal.origin + "/")
        check_widget_accessibility(page)  # the closed widget: its button
        page.get_by_role("button", name=TITLE).click()
        _greeted(page)
        expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
        check_widget_accessibility(page)
        # axe-core did look inside the shadow root: a node it checked there is named through its host.
        assert page.evaluate(
            """async () => (await axe.run(document)).passes.some(
                rule => rule.nodes.some(node => Array.isArray(node.target[0])))"""
        )
        screenshot(page, "widget-phone")
        page.get_by_role("button", name="Để lại số điện thoại hoặc email").click()
        check_widget_accessibility(page)  # the contact form open
        screenshot(page, "widget-phone-contact")

        # The portal's own CSS, at its worst, cannot hide or shrink the widget.
        page.add_style_tag(content=HOSTILE_CSS)
        expect(page.get_by_role("dialog", name=TITLE)).to_be_visible()
        expect(page.get_by_label("Nội dung câu hỏi")).to_have_css("font-size", "16px")
        expect(page.locator(".buttons").get_by_role("button", name="Gặp cán bộ")).to_be_visible()
