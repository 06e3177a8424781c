"""`make run`'s demo: a supervisor and an agent with working sign-in links, and a queue that is not empty."""

import re
import sqlite3

from hub.cli import main


def _links(out: str) -> dict[str, str]:
    return dict(re.findall(r"(\S+@demo\.tongdai\.vn)\s+(http://\S+/console/set-password/\S+)", out))


def test_demo_prints_a_link_per_account_and_leaves_escalations_waiting(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    links = _links(first)
    assert set(links) == {"giamsat@demo.tongdai.vn", "canbo@demo.tongdai.vn"}
    assert "3 cuộc trò chuyện đang chờ" in first
    kiosk = re.search(r"(http://\S+/kiosk#k=\S+)", first)
    assert kiosk is not None and "/chat" in first
    with sqlite3.connect(tmp_path / "tongdai.sqlite3") as db:
        roles = dict(db.execute("SELECT email, role FROM agents").fetchall())
        channels = sorted(
            r[0]
            for r in db.execute(
                "SELECT c.channel FROM escalations e JOIN conversations c ON c.id = e.conversation_id"
                " WHERE e.state = 'open'"
            )
        )
    assert roles == {"giamsat@demo.tongdai.vn": "supervisor", "canbo@demo.tongdai.vn": "agent"}
    assert channels == ["email", "sms", "telegram"]

    # Again: nothing doubles; each account gets a fresh link (a new link ends the one before).
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    again_out = capsys.readouterr().out
    again = _links(again_out)
    assert kiosk.group(1) not in again_out  # a new key; the demo kiosk of the run before is retired
    assert set(again) == set(links) and not set(again.values()) & set(links.values())
    with sqlite3.connect(tmp_path / "tongdai.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM agents").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM kiosks WHERE disabled = 0").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM escalations WHERE state = 'open'").fetchone()[0] == 3
        assert db.execute("SELECT count(*) FROM conversation_messages").fetchone()[0] == 7
        shortcuts = {r[0] for r in db.execute("SELECT shortcut FROM canned_responses")}
    assert {"chao", "trangthai"} <= shortcuts
