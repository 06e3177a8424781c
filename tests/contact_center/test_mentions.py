"""@mentions in a private note: the agents to alert."""

from __future__ import annotations

from contact_center.mentions import find_mentions, fold
from hub.store.port import Agent
from tests.support.dossiers import T0


def agent(agent_id: str, name: str, email: str, disabled: bool = False) -> Agent:
    return Agent(agent_id, name, email, "agent", None, disabled, T0)


AGENTS = [
    agent("ag_an", "Nguyễn Văn An", "an@tongdai.vn"),
    agent("ag_hoa", "Trần Thị Hoa", "hoa.tran@tongdai.vn"),
    agent("ag_duc", "Lê Minh Đức", "ducle@tongdai.vn"),
    agent("ag_hoa2", "Phạm Hoa", "pham.hoa@tongdai.vn"),
    agent("ag_off", "Võ Văn Tắt", "tat@tongdai.vn", disabled=True),
]


def test_fold():
    assert fold("Lê Minh Đức") == "le minh duc"


def test_email_local_part_and_names_without_diacritics():
    assert find_mentions("Nhờ @an xem giúp", AGENTS) == ("ag_an",)
    assert find_mentions("@hoa.tran và @nguyen.van.an", AGENTS) == ("ag_hoa", "ag_an")
    assert find_mentions("cc @NguyenVanAn, @leminhduc.", AGENTS) == ("ag_an", "ag_duc")
    assert find_mentions("@Đức ơi", AGENTS) == ("ag_duc",)  # the given name, while only one agent has it
    assert find_mentions("(@ducle) @an @an", AGENTS) == ("ag_duc", "ag_an")


def test_what_is_not_a_mention():
    assert find_mentions("gửi về an@tongdai.vn hoặc a@b.vn", AGENTS) == ()
    assert find_mentions("@hoa", AGENTS) == ()  # two agents are called Hoa: name them fully
    assert find_mentions("@tat @nobody @ @", AGENTS) == ()  # disabled, unknown, empty
    assert find_mentions("@an tự ghi chú", AGENTS, exclude="ag_an") == ()
    assert find_mentions("", AGENTS) == ()
