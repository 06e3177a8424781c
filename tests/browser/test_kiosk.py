"""The kiosk in Chromium (issue 13): a visitor looks a dossier up by typing
its code on the on-screen keyboard and by holding the receipt's QR code in
front of the camera (Chromium's fake camera fed a frame drawn by segno);
wrong digits; the brute-force guard's 429 as a Vietnamese message with the
minutes; the idle reset leaves nothing personal in the page; a question the
assistant answers; a rating stored for the kiosk; "hệ thống đang bận" when
the service cannot be reached, and back by itself; axe-core on every screen;
screenshots at portrait 1080×1920 and landscape 1920×1080.

One service for the module (the assistant trains once); each test has its
own kiosk (the guard counts per kiosk) and, where it guesses, its own dossier."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from hub.keys import STORE
from hub.store.port import StatusChange
from models.citizen import Channel
from models.dossier import DossierStatus
from notify.keys import LINKS
from tests.support.browser import browser, check_accessibility, chromium_path, screenshot  # noqa: F401
from tests.support.console_browser import console_service, wait_for
from tests.support.dossiers import T0, change, dossier
from tests.support.kiosk_browser import (
    LANDSCAPE,
    PORTRAIT,
    kiosk_page,
    kiosk_settings,
    new_kiosk,
    qr_video,
    receipt_payload,
    visible_text,
)

pytestmark = pytest.mark.timeout(300)

IDLE_SECONDS = 8  # short, for the idle-reset test; every other step is far quicker
MAX_FAILURES = 3
WINDOW_SECONDS = 900  # Settings.lookup_window_seconds, the default
CODE = "000.00.21.H12-261201-0042"
LATE = "BD-261121-0303"
MISSING = "Cần bổ sung:\n- Bản sao giấy khai sinh\n- Giấy xác nhận cư trú"  # the clerk's note
GUESSED = "BD-261201-0777"  # the dossier whose digits are guessed
PHONE = "+84912345042"
FOLLOWER = "+84912345077"  # a relative who follows the dossier
NAME = "Lê Thị Hồng"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    settings = kiosk_settings(tmp_path_factory.mktemp("kiosk"), idle_seconds=IDLE_SECONDS, max_failures=MAX_FAILURES)
    yield from console_service(settings)


@pytest.fixture(scope="module")
def dossiers(live):
    """A dossier whose result is ready at the counter, and one to guess at."""

    async def make():
        store = live.app[STORE]
        await store.upsert_dossier(dossier(CODE, phone=PHONE, name=NAME, received_at=T0, due_at=T0 + timedelta(days=5)))
        for event, status, minutes, result in (
            ("e0", DossierStatus.RECEIVED, 0, None),
            ("e1", DossierStatus.IN_PROGRESS, 60, None),
            (
                "e2",
                DossierStatus.RESULT_READY,
                600,
                {"method": "counter", "place": "Quầy số 3, Trung tâm Phục vụ hành chính công", "hours": "7:30-17:00"},
            ),
        ):
            done = await store.record_status_change(
                change(event, status, code=CODE, minutes=minutes, result=result, notify=False)
            )
            assert done.outcome == "accepted", done
        await store.upsert_dossier(dossier(GUESSED, phone="+84912340777", name="Trần Văn Bảy"))

    live.run(make())
    return CODE


def tap_keys(page: Page, text: str) -> None:
    """Each character on the on-screen keyboard, as a finger would."""
    for char in text:
        page.locator(f"#screen button[data-key='{char}']").click()


def type_lookup(page: Page, code: str, digits: str) -> None:
    page.locator("#go-lookup").click()
    expect(page.locator("body[data-screen='scan']")).to_have_count(1)
    page.locator("#type-code").click()
    tap_keys(page, code)
    expect(page.get_by_label("Mã hồ sơ (in trên phiếu hẹn)")).to_have_value(code)
    page.locator("#code-next").click()
    enter_digits(page, digits)


def enter_digits(page: Page, digits: str) -> None:
    expect(page.locator("body:not([data-pending])[data-screen='digits']")).to_have_count(1)
    tap_keys(page, digits)
    page.locator("#lookup-go").click()


def expect_answer(page: Page) -> None:
    expect(page.locator("body[data-screen='result']")).to_have_count(1, timeout=10000)
    expect(page.locator("#status-label")).to_contain_text(DossierStatus.RESULT_READY.label)
    screen = page.locator("#screen")
    expect(screen).to_contain_text(CODE)
    expect(screen).to_contain_text("Quầy số 3")  # where to collect
    expect(screen).to_contain_text("25/11/2026")  # the appointment date, in Vietnam's time
    steps = page.locator("ol.timeline li")
    expect(steps.last).to_contain_text(DossierStatus.RESULT_READY.label)
    assert steps.count() >= 2
    assert NAME not in screen.inner_text(), "the applicant's name is shown unmasked"


def test_lookup_by_typing_the_code(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 1")
    with kiosk_page(browser, live, key) as page:  # the page's own policy is in force here
        type_lookup(page, CODE, PHONE[-4:])
        expect_answer(page)


def test_a_late_dossier_waiting_for_papers_shows_the_apology_and_the_missing_documents(browser, live):  # noqa: F811
    now = datetime.now(UTC)

    async def make():
        store = live.app[STORE]
        late = dossier(LATE, phone="+84912340303", received_at=now - timedelta(days=10), due_at=now - timedelta(days=2))
        await store.upsert_dossier(late)
        for event, status, note in (
            ("l0", DossierStatus.RECEIVED, ""),
            ("l1", DossierStatus.SUPPLEMENT_REQUESTED, MISSING),
        ):
            at = now - timedelta(days=9)
            done = await store.record_status_change(
                StatusChange(code=LATE, event_id=event, status=status, at=at, actor="Một cửa", note=note, notify=False)
            )
            assert done.outcome == "accepted", done

    live.run(make())
    _, key = new_kiosk(live, "Quầy 12")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        type_lookup(page, LATE, "0303")
        expect(page.locator("body[data-screen='result']")).to_have_count(1, timeout=10000)
        expect(page.locator("#status-label")).to_contain_text(DossierStatus.SUPPLEMENT_REQUESTED.label)
        apology = page.locator("section.warn")
        expect(apology.locator("h2")).to_have_text("Hồ sơ bị chậm so với ngày hẹn")
        expect(apology).to_contain_text("thành thật xin lỗi")
        missing = page.locator("section[aria-labelledby='supplement-title'] li")
        expect(missing).to_have_text(["Bản sao giấy khai sinh", "Giấy xác nhận cư trú"])
        check_accessibility(page)
        screenshot(page, "kiosk-late-supplement")


def test_lookup_by_the_receipt_qr_code_in_front_of_the_camera(browser, live, dossiers, tmp_path):  # noqa: F811
    """A browser of its own: the fake camera is a launch option."""
    video = qr_video(tmp_path / "receipt.y4m", receipt_payload(CODE))
    _, key = new_kiosk(live, "Quầy 2")
    args = [
        "--no-sandbox",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    # The module's Playwright launches it (a second one cannot run in the same thread).
    camera_browser = browser.browser_type.launch(executable_path=chromium_path(), headless=True, args=args)
    try:
        with kiosk_page(camera_browser, live, key) as page:
            page.locator("#go-lookup").click()
            page.locator("#use-camera").click()
            expect(page.locator("body[data-screen='camera']")).to_have_count(1)
            # The code is read off the picture: the next screen asks for the digits.
            expect(page.locator("body[data-screen='digits']")).to_have_count(1, timeout=15000)
            enter_digits(page, PHONE[-4:])
            expect_answer(page)
    finally:
        camera_browser.close()


def test_a_usb_scanner_typing_the_receipt_payload(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 2b")
    with kiosk_page(browser, live, key) as page:
        expect(page.locator("body[data-screen='home']")).to_have_count(1)
        # A scanner types fast, then Enter; ASCII only (a wedge types what a US keyboard can).
        page.keyboard.type(receipt_payload(CODE, ascii_only=True), delay=2)
        page.keyboard.press("Enter")
        enter_digits(page, PHONE[-4:])
        expect_answer(page)


def test_wrong_digits_ask_again_without_telling_which_part_is_wrong(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 4")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        type_lookup(page, CODE, "0000")
        alert = page.locator("#screen [role='alert']")
        expect(alert).to_contain_text("Không tìm thấy hồ sơ")
        expect(page.locator("body[data-screen='digits']")).to_have_count(1)
        assert NAME not in visible_text(page)
        check_accessibility(page)
        # The right digits on the same screen then open it.
        enter_digits(page, PHONE[-4:])
        expect_answer(page)


def test_too_many_wrong_digits_show_the_minutes_to_wait(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 5")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        type_lookup(page, GUESSED, "1111")
        for _ in range(MAX_FAILURES + 2):
            settled = "body:not([data-pending])[data-screen='digits'], body[data-screen='limited']"
            expect(page.locator(settled)).to_have_count(1)
            if page.locator("body[data-screen='limited']").count():
                break
            enter_digits(page, "1111")
        expect(page.locator("body[data-screen='limited']")).to_have_count(1)
        minutes = math.ceil(WINDOW_SECONDS / 60)
        expect(page.locator("#screen [role='alert']")).to_have_text(
            f"Quý khách đã nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
        )
        check_accessibility(page)
        screenshot(page, "kiosk-limited")


def test_follow_the_dossier_by_sms_with_the_code_sent_to_the_phone(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 3")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        type_lookup(page, CODE, PHONE[-4:])
        expect_answer(page)
        page.locator("#follow").click()
        expect(page.locator("body[data-screen='follow']")).to_have_count(1)
        check_accessibility(page)
        tap_keys(page, "0" + FOLLOWER[3:])  # as people write it: 0912…
        page.locator("#follow-send").click()
        expect(page.locator("body:not([data-pending])[data-screen='otp']")).to_have_count(1)
        check_accessibility(page)
        pending = wait_for(lambda: live.run(live.app[STORE].live_follow_request(CODE, Channel.SMS, FOLLOWER)))
        tap_keys(page, live.app[LINKS].follow_code(pending.id))  # what the SMS carries
        page.locator("#otp-go").click()
        expect(page.locator("body[data-screen='followed']")).to_have_count(1)
        expect(page.locator("#screen [role='status']")).to_contain_text("Đã đăng ký")
        check_accessibility(page)
    assert live.run(live.app[STORE].get_follow_request(pending.id)).state == "confirmed"


def test_idle_reset_leaves_no_personal_data(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 6")
    with kiosk_page(browser, live, key) as page:
        type_lookup(page, CODE, PHONE[-4:])
        expect_answer(page)
        masked = page.locator("dt:text-is('Người nộp') + dd").inner_text()  # the applicant, as shown
        assert masked and masked != NAME
        # Nobody touches the screen: it goes home by itself.
        expect(page.locator("body[data-screen='home']")).to_have_count(1, timeout=(IDLE_SECONDS + 10) * 1000)
        left = visible_text(page)
        for personal in (CODE, masked, PHONE[-4:], "Quầy số 3", DossierStatus.RESULT_READY.label):
            assert personal not in left, f"{personal!r} is still in the page after the idle reset"
        # Nothing is kept in the browser either.
        stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
        assert stored == [0, 0, ""]


def test_a_question_answered_by_the_assistant_and_a_call_back(browser, live):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 7")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        page.locator("#go-ask").click()
        expect(page.locator("body[data-screen='ask']")).to_have_count(1)
        check_accessibility(page)
        question = page.get_by_label("Câu hỏi của quý khách")
        question.fill("Giờ làm việc của trung tâm?")
        page.locator("#ask-send").click()
        answer = page.locator("#chat li.assistant").first
        expect(answer).to_be_visible(timeout=15000)
        assert answer.locator(".text").inner_text().strip()
        expect(page.locator("#chat li.citizen")).to_have_text(re.compile("Giờ làm việc"))
        check_accessibility(page)
        screenshot(page, "kiosk-question")
        # The offer of a call back: a phone number on the keypad, an escalation in the console.
        page.locator("#callback").click()
        expect(page.locator("body[data-screen='callback']")).to_have_count(1)
        tap_keys(page, "0912345077")
        page.locator("#callback-send").click()
        expect(page.locator("body[data-screen='callback-done']")).to_have_count(1)
        check_accessibility(page)


def test_the_rating_is_stored_for_the_kiosk(browser, live):  # noqa: F811
    kiosk_id, key = new_kiosk(live, "Quầy 8")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        page.locator("#go-rate").click()
        expect(page.locator("body[data-screen='rate']")).to_have_count(1)
        check_accessibility(page)
        page.locator("button[data-score='4']").click()
        expect(page.locator("body[data-screen='thanks']")).to_have_count(1)
        check_accessibility(page)
    ratings = live.run(live.app[STORE].kiosk_ratings(kiosk_id))
    assert (ratings.count, ratings.scores.get(4)) == (1, 1)


def test_busy_screen_when_the_service_is_unreachable_and_back_by_itself(browser, live):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 9")
    with kiosk_page(browser, live, key, for_axe=True) as page:
        expect(page.locator("body[data-screen='home']")).to_have_count(1)
        page.route("**/kiosk/api/**", lambda route: route.abort("connectionrefused"))
        page.locator("#go-ask").click()
        page.get_by_label("Câu hỏi của quý khách").fill("Xin chào")
        page.locator("#ask-send").click()
        expect(page.locator("body[data-screen='busy']")).to_have_count(1)
        expect(page.locator("#screen h1")).to_have_text("Hệ thống đang bận")
        check_accessibility(page)
        page.unroute("**/kiosk/api/**")
        expect(page.locator("body[data-screen='home']")).to_have_count(1, timeout=20000)


def test_every_screen_accessible_in_both_orientations_with_english_and_large_text(browser, live, dossiers):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 10")
    for name, viewport in (("kiosk-portrait", PORTRAIT), ("kiosk-landscape", LANDSCAPE)):
        with kiosk_page(browser, live, key, viewport=viewport, for_axe=True) as page:
            expect(page.locator("body[data-screen='home']")).to_have_count(1)
            check_accessibility(page)
            screenshot(page, f"{name}-home")
            page.locator("#go-lookup").click()
            check_accessibility(page)
            page.locator("#type-code").click()
            check_accessibility(page)
            tap_keys(page, CODE)
            page.locator("#code-next").click()
            check_accessibility(page)
            tap_keys(page, PHONE[-4:])
            page.locator("#lookup-go").click()
            expect_answer(page)
            check_accessibility(page)
            screenshot(page, name)
            sizes = page.evaluate(
                """() => ({
                    text: parseFloat(getComputedStyle(document.body).fontSize),
                    smallest: Math.min(...[...document.querySelectorAll('button')]
                        .map((b) => Math.min(b.getBoundingClientRect().width, b.getBoundingClientRect().height))),
                })"""
            )
            assert sizes["text"] >= 20 and sizes["smallest"] >= 48, sizes
            page.locator("#large-text").click()
            larger = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
            assert larger > sizes["text"]
            page.locator("#language").click()
            expect(page.locator("#screen h1")).to_have_text("Your dossier")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            check_accessibility(page)
            screenshot(page, f"{name}-english-large")


def test_without_a_key_the_page_says_so(browser, live):  # noqa: F811
    with kiosk_page(browser, live, "tdq_not-a-real-key") as page:
        expect(page.locator("body[data-screen='key']")).to_have_count(1)
        expect(page.locator("#screen h1")).to_have_text("Ki-ốt chưa được kích hoạt")


def test_first_paint_within_a_second_from_localhost(browser, live):  # noqa: F811
    _, key = new_kiosk(live, "Quầy 11")
    with kiosk_page(browser, live, key) as page:
        painted = page.evaluate(
            """() => new Promise((resolve) => {
                const seen = performance.getEntriesByName('first-contentful-paint')[0];
                if (seen) return resolve(seen.startTime);
                new PerformanceObserver((list) => resolve(list.getEntries()[0].startTime))
                    .observe({type: 'paint', buffered: true});
            })"""
        )
        assert painted < 1000, f"first paint after {painted:.0f} ms"
