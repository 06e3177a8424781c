"""The web chat's session API (kiosk/webchat_api.py): server-issued tokens,
messages through the inbox with the assistant's replies, an idempotent
resend, the history, a contact left for an agent's answer, CORS and the
rate limit. The live socket: tests/kiosk/test_webchat_live.py."""

from __future__ import annotations

from datetime import datetime

from hub.app import SERVICE
from hub.keys import SECRET, STORE
from kiosk.webchat import issue_token, session_address, valid_token
from models.citizen import Channel
from models.notifications import AGENT_REPLY
from models.timeutil import VN_TZ
from tests.support.console import new_agent
from tests.support.served import served, settle

DAY = datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)
PORTAL = "https://dichvucong.example.gov.vn"
ELSEWHERE = "https://evil.example.com"


async def new_session(client, origin: str | None = None) -> str:
    headers = {"Origin": origin} if origin else {}
    response = await client.post("/webchat/sessions", headers=headers)
    assert response.status == 201, await response.text()
    token = (await response.json())["token"]
    assert len(token) == 43
    return token


async def say(client, token: str, text: str, client_id: str, **headers) -> dict:
    response = await client.post(
        f"/webchat/sessions/{token}/messages", json={"text": text, "client_id": client_id}, headers=headers
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def history(client, token: str, after: int | None = None) -> dict:
    query = "" if after is None else f"?after={after}"
    response = await client.get(f"/webchat/sessions/{token}/messages{query}")
    assert response.status == 200, await response.text()
    return await response.json()


async def conversation_of(client, token: str) -> str:
    address = session_address(client.app[SECRET], token)
    [conversation] = await client.app[STORE].citizen_conversations([], Channel.WEBCHAT.value, address)
    return conversation["id"]


async def agent_replies(client, citizen_id: str) -> list:
    return [n for n in await client.app[STORE].list_notifications(citizen=citizen_id) if n.purpose == AGENT_REPLY]


def test_tokens_are_issued_and_checked_by_the_secret():
    token = issue_token(b"k" * 32)
    assert valid_token(b"k" * 32, token)
    assert not valid_token(b"other" * 8, token)
    assert not valid_token(b"k" * 32, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not valid_token(b"k" * 32, "x" * 43)
    assert not valid_token(b"k" * 32, None)
    address = session_address(b"k" * 32, token)
    assert address.startswith("ws_") and len(address) == 35 and token not in address


async def test_a_message_is_answered_stored_once_and_in_the_history(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        token = await new_session(client)
        first = await say(client, token, "Cho hỏi giờ làm việc của bộ phận một cửa?", "c-1")
        assert first["message"]["author"] == "citizen" and first["message"]["direction"] == "in"
        assert first["message"]["text"] == "Cho hỏi giờ làm việc của bộ phận một cửa?"
        assert first["replies"], "the assistant (or the acknowledgement) answers"
        assert all(r["author"] == "assistant" and r["id"] > first["message"]["id"] for r in first["replies"])

        again = await say(client, token, "Cho hỏi giờ làm việc của bộ phận một cửa?", "c-1")
        assert again["message"]["id"] == first["message"]["id"], "a resend is the same message"
        assert [r["id"] for r in again["replies"]] == [r["id"] for r in first["replies"]]

        seen = await history(client, token)
        ids = [m["id"] for m in seen["messages"]]
        assert ids == sorted(set(ids)) and ids == [first["message"]["id"], *[r["id"] for r in first["replies"]]]
        assert seen["last"] == ids[-1]
        assert (await history(client, token, after=ids[0]))["messages"] == seen["messages"][1:]
        assert await history(client, token, after=ids[-1]) == {"messages": [], "last": ids[-1]}

        second = await say(client, token, "Cảm ơn", "c-2")
        assert second["message"]["id"] > ids[-1]
        # Another session sees none of it.
        other = await new_session(client)
        assert (await history(client, other))["messages"] == []


async def test_unknown_or_forged_tokens_are_404_and_bad_input_is_422(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        forged = issue_token(b"not the service secret" * 2)
        for path in (f"/webchat/sessions/{forged}/messages", "/webchat/sessions/abc/messages"):
            response = await client.get(path)
            assert response.status == 404
            assert "Phiên trò chuyện không tồn tại" in (await response.json())["message"]
        response = await client.post(f"/webchat/sessions/{forged}/messages", json={"text": "x", "client_id": "1"})
        assert response.status == 404
        token = await new_session(client)
        for body in (
            b"not json",
            b"[]",
            b'{"text": 3}',
            b'{"text": ""}',
            b'{"text": "a", "client_id": "' + b"9" * 65 + b'"}',
        ):
            response = await client.post(f"/webchat/sessions/{token}/messages", data=body)
            assert response.status == 422, body
            assert (await response.json())["message"]
        for after in ("-1", "abc", "1e3", "9" * 30):
            response = await client.get(f"/webchat/sessions/{token}/messages?after={after}")
            assert response.status == 422
        response = await client.post(f"/webchat/sessions/{token}/contact", json={"phone": "12"})
        assert response.status == 422
        response = await client.post(
            f"/webchat/sessions/{token}/contact", json={"phone": "0912345678", "email": "a@b.vn"}
        )
        assert response.status == 422


async def test_a_contact_left_gets_the_agents_reply_by_sms(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        token = await new_session(client)
        response = await client.post(f"/webchat/sessions/{token}/contact", json={"phone": "0912 345 678"})
        assert response.status == 409, "nothing to answer yet"
        await say(client, token, "Hồ sơ của tôi bao giờ xong?", "c-1")
        response = await client.post(f"/webchat/sessions/{token}/contact", json={"phone": "0912 345 678"})
        assert response.status == 200, await response.text()
        saved = await response.json()
        assert saved["saved"] is True and saved["channel"] == "sms" and "345678" not in saved["contact"]

        store = client.app[STORE]
        citizen_id = await store.find_contact(Channel.SMS, "+84912345678")
        citizen = await store.get_citizen(citizen_id)
        [consent] = [c for c in citizen.consents if c.channel is Channel.SMS]
        assert consent.granted and consent.via == "webchat_form" and consent.legal_basis == "consent"

        cid = await conversation_of(client, token)
        agent = await new_agent(client)
        message = await client.app[SERVICE].replies.send(cid, agent, "Dạ, hồ sơ sẽ xong vào thứ Sáu.")
        assert message["delivery"]["channel"] == "sms", "nobody on the page: the reply goes by SMS"
        await settle(client)
        [sent] = await agent_replies(client, citizen_id)
        assert sent.channel == "sms" and sent.status.value in ("sent", "delivered")
        texts = [m["text"] for m in (await history(client, token))["messages"] if m["author"] == "agent"]
        assert len(texts) == 1 and texts[0].startswith("Dạ, hồ sơ sẽ xong vào thứ Sáu.")


async def test_an_email_left_is_stored_on_the_citizen(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        token = await new_session(client)
        await say(client, token, "Cho hỏi thủ tục khai sinh", "c-1")
        response = await client.post(f"/webchat/sessions/{token}/contact", json={"email": "Lan@Example.vn"})
        assert response.status == 200
        assert (await response.json())["channel"] == "email"
        citizen_id = await client.app[STORE].find_contact(Channel.EMAIL, "lan@example.vn")
        assert citizen_id is not None
        address = session_address(client.app[SECRET], token)
        [conversation] = await client.app[STORE].citizen_conversations([], "webchat", address)
        assert conversation["citizen_id"] == citizen_id


async def test_cors_follows_the_allowed_origins(tmp_path):
    async with served(tmp_path, DAY, webchat_origins=f"{PORTAL}, https://other.gov.vn") as (client, _, _):
        response = await client.options(
            "/webchat/sessions/" + "a" * 43 + "/messages",
            headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST"},
        )
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == PORTAL
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]

        token = await new_session(client, PORTAL)
        answered = await client.post(
            f"/webchat/sessions/{token}/messages",
            json={"text": "Xin chào", "client_id": "1"},
            headers={"Origin": PORTAL},
        )
        assert answered.status == 201 and answered.headers["Access-Control-Allow-Origin"] == PORTAL
        missing = await client.get("/webchat/sessions/nope/messages", headers={"Origin": PORTAL})
        assert missing.status == 404 and missing.headers["Access-Control-Allow-Origin"] == PORTAL

        refused = await client.options("/webchat/sessions", headers={"Origin": ELSEWHERE})
        assert refused.status == 403 and "Access-Control-Allow-Origin" not in refused.headers
        for call in (
            client.post("/webchat/sessions", headers={"Origin": ELSEWHERE}),
            client.get(f"/webchat/sessions/{token}/messages", headers={"Origin": ELSEWHERE}),
            client.post(
                f"/webchat/sessions/{token}/messages",
                json={"text": "x", "client_id": "2"},
                headers={"Origin": ELSEWHERE},
            ),
        ):
            response = await call
            assert response.status == 403 and "Access-Control-Allow-Origin" not in response.headers
            assert "không được phép" in (await response.json())["message"]
        assert len((await history(client, token))["messages"]) >= 1
        assert all(m["text"] != "x" for m in (await history(client, token))["messages"])


async def test_by_default_only_the_services_own_pages_may_use_it(tmp_path):
    async with served(tmp_path, DAY, public_url="https://tongdai.example.gov.vn") as (client, _, _):
        own = await client.options("/webchat/sessions", headers={"Origin": "https://tongdai.example.gov.vn"})
        assert own.status == 204
        portal = await client.options("/webchat/sessions", headers={"Origin": PORTAL})
        assert portal.status == 403


async def test_every_route_is_rate_limited(tmp_path):
    async with served(tmp_path, DAY, public_rate_limits="webchat=3/min") as (client, _, _):
        statuses = [(await client.post("/webchat/sessions")).status for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        response = await client.get(
            "/webchat/sessions/" + "a" * 43 + "/messages", headers={"Origin": "http://127.0.0.1:8080"}
        )
        assert response.status == 429 and int(response.headers["Retry-After"]) > 0
        assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080", "the widget can read the 429"
        assert (await response.json())["message"]


async def test_no_input_makes_a_server_error(tmp_path):
    async with served(tmp_path, DAY, public_rate_limits="off") as (client, _, _):
        token = await new_session(client)
        bodies = [
            b"",
            b"null",
            b'{"text": null}',
            b'{"text": "a\\u0000b"}',
            b'{"text": "' + "ạ".encode() * 2001 + b'"}',
            b'{"text": "ok", "client_id": 5}',
            b'{"text": "ok", "client_id": "\\u202e"}',
            b'{"phone": []}',
            b'{"phone": {"a": 1}}',
            b'{"email": "a@@b"}',
            b'{"email": "' + b"a" * 300 + b'@b.vn"}',
            b'{"phone": "\\uff10\\uff19\\uff11\\uff12\\uff13\\uff14\\uff15\\uff16\\uff17\\uff18"}',
        ]
        for path in ("messages", "contact"):
            for body in bodies:
                response = await client.post(f"/webchat/sessions/{token}/{path}", data=body)
                assert response.status < 500, (path, body, await response.text())
        for odd in ("%00", "a" * 500, "ü" * 43, "..%2F..%2Fetc", token + "x"):
            response = await client.get(f"/webchat/sessions/{odd}/messages")
            assert response.status in (404, 400), odd
        response = await client.get(f"/webchat/sessions/{token}/messages?after=%00")
        assert response.status == 422
        weird = await client.options("/webchat/sessions", headers={"Origin": "null"})
        assert weird.status == 403


async def test_a_phone_that_said_stop_is_not_signed_up_again_by_the_form(tmp_path):
    async with served(tmp_path, DAY) as (client, _, _):
        await client.app[SERVICE].inbox.withdraw(Channel.SMS, "+84912345678", via="sms_keyword")
        token = await new_session(client)
        await say(client, token, "Cho hỏi hồ sơ", "c-1")
        response = await client.post(f"/webchat/sessions/{token}/contact", json={"phone": "0912345678"})
        assert response.status == 409
        assert "từ chối nhận tin" in (await response.json())["message"]
        citizen = await client.app[STORE].get_citizen(await client.app[STORE].find_contact(Channel.SMS, "+84912345678"))
        assert citizen.withdrew(Channel.SMS), "no grant recorded over the owner's HUY"
