"""The browser harness itself: it fails loudly without Chromium, and its
accessibility check fails on a page that a screen reader cannot use."""

from __future__ import annotations

import pytest

from tests.support import browser as harness


def test_a_missing_chromium_fails_with_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(harness.shutil, "which", lambda name: None)
    monkeypatch.setattr(harness, "DEBIAN_CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        harness.chromium_path()


def test_accessibility_check_names_serious_violations(page):
    page.set_content('<!doctype html><html lang="vi"><body><main><img src="x.png"><button></button></main></body>')
    with pytest.raises(AssertionError) as failed:
        harness.check_accessibility(page)
    report = str(failed.value)
    assert "[critical] image-alt" in report and "[critical] button-name" in report
    assert "at img" in report and "at button" in report


def test_the_page_is_vietnamese_and_office_sized(page):
    page.set_content("<p>x</p>")
    assert page.evaluate("navigator.language") == "vi-VN"
    assert page.viewport_size == {"width": 1366, "height": 768}
