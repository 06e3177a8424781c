"""The template filters on their own."""

from __future__ import annotations

from notify.filters import shorten


def test_shorten_cuts_between_words():
    assert shorten("Bản sao CCCD của cha; Giấy chứng sinh bản chính", 20) == "Bản sao CCCD của…"
    assert shorten("ngắn", 20) == "ngắn"
