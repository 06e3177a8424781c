"""Demo data for the console: a supervisor and an agent, and a few citizens
waiting for a person, so that a newcomer's `make run` shows a working queue.

Seeding twice changes nothing: messages carry fixed provider ids (stored
once), an open escalation is not opened twice, and an account that exists
only gets a fresh set-password link while it has no password yet."""

from __future__ import annotations

from dataclasses import dataclass

from contact_center import canned
from contact_center.agents import Agents
from hub.store.port import InboundRecord
from models.citizen import Channel

DEMO_TEAM = None  # the demo's conversations have no team: every agent sees them


@dataclass(frozen=True)
class DemoAccount:
    name: str
    email: str
    role: str


ACCOUNTS = (
    DemoAccount("Trần Minh Giang", "giamsat@demo.tongdai.vn", "supervisor"),
    DemoAccount("Nguyễn Thị Hoa", "canbo@demo.tongdai.vn", "agent"),
)

# (channel, address, dossier code, subject, [(who, text)], why it went to a person).
# The addresses are the demo citizens' (hub/demo.py), so the citizen panel has their dossiers.
WAITING = (
    (
        Channel.TELEGRAM,
        "100001",
        "000.00.21.H12-261120-0001",
        None,
        [
            ("in", "Hồ sơ khai sinh 000.00.21.H12-261120-0001 của tôi bao giờ có kết quả ạ?"),
            ("out", "Hồ sơ 000.00.21.H12-261120-0001 (Đăng ký khai sinh) đang được giải quyết."),
            ("in", "Tôi cần gấp để làm thủ tục nhập học cho cháu, cho tôi gặp cán bộ."),
        ],
        "request_human",
    ),
    (
        Channel.SMS,
        "+84987654321",
        "H12.22-261101-0456",
        None,
        [
            ("in", "Toi da bo sung ban ve tu tuan truoc ma ho so H12.22-261101-0456 van bao cho bo sung. Rat buc xuc!"),
        ],
        "complaint",
    ),
    (
        Channel.EMAIL,
        "cuong.le@example.vn",
        "BD-261015-0077",
        "Hỏi về phiếu lý lịch tư pháp",
        [
            (
                "in",
                "Kính gửi Tổng đài, tôi nhận được tin hồ sơ BD-261015-0077 đã có kết quả nhưng tôi đang công tác "
                "ở Hà Nội. Tôi có thể ủy quyền cho vợ nhận thay không, cần giấy tờ gì? Trân trọng, Lê Hoàng Cường",
            ),
            ("out", "Xin lỗi, tôi chưa hiểu câu hỏi. Ông/Bà có thể nói rõ hơn?"),
            ("in", "Tôi hỏi việc ủy quyền nhận kết quả thay."),
        ],
        "not_understood",
    ),
)


async def seed_accounts(agents: Agents) -> list[tuple[DemoAccount, str | None]]:
    """Each demo account with a set-password link, or None once it has a password."""
    shown = []
    for account in ACCOUNTS:
        agent = await agents.find(account.email)
        if agent is None:
            agent, link = await agents.create(account.name, account.email, account.role, DEMO_TEAM, "demo")
        elif agent.password_hash is None and not agent.disabled:
            link = await agents.reset_password(agent, "demo")
        else:
            link = None
        shown.append((account, link))
    return shown


async def seed_canned(store, clock) -> int:
    """The Vietnamese canned answers agents start from; those already there stay as edited."""
    return await canned.add_defaults(store, clock)


async def seed_waiting(store) -> int:
    """The demo citizens' conversations that wait for a person; how many are open."""
    for number, (channel, address, code, subject, lines, reason) in enumerate(WAITING, start=1):
        citizen_id = await store.find_contact(channel, address)
        conversation_id = None
        for turn, (direction, text) in enumerate(lines, start=1):
            if direction == "in":
                stored = await store.add_inbound(
                    InboundRecord(
                        channel=channel,
                        address=address,
                        text=text,
                        provider_message_id=f"demo-{number}-{turn}",
                        citizen_id=citizen_id,
                        dossier_code=code,
                        subject=subject,
                    ),
                    lambda _conversation: [],
                )
                if not stored.new_message:
                    break  # seeded before: the conversation is there already
                conversation_id = stored.conversation_id
            elif conversation_id is not None:
                await store.add_outbound(conversation_id, channel, text, [])
        if conversation_id is not None:
            await store.escalate(conversation_id, reason)
    return await store.count_open_escalations()
