"""Figures a test prints for the record (the closing note of an issue quotes
them), shown even while pytest captures output."""

from __future__ import annotations


def say(config, line: str) -> None:
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:  # run with -p no:capture
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print("\n" + line)
