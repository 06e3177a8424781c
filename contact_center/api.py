"""HTTP: conversations and the escalations waiting for a person, as agents
and supervisors read them. Until the help center lands, this is where inbound
messages can be seen."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from channels.deeplink import link_id, short_token, start_link
from channels.registry import REGISTRY
from hub.api import body as b
from hub.api.errors import ApiError
from hub.api.replies import reply
from hub.keys import API_KEYS, SECRET, SETTINGS, STORE
from models.citizen import Channel
from models.timeutil import to_iso, utcnow

# A receipt's QR code should work while the dossier is being handled, and a while after.
LINK_VALID_AFTER_DUE = timedelta(days=30)

routes = web.RouteTableDef()


def _masked(conversation: dict) -> dict:
    # Agents see who wrote by citizen id and a masked address; the full address
    # stays with the channel that answers.
    return {**conversation, "address": REGISTRY[Channel(conversation["channel"])].mask(conversation["address"])}


@routes.get("/api/v1/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    query = request.query
    channel = None
    if query.get("channel"):
        try:
            channel = Channel(query["channel"])
        except ValueError:
            raise ApiError(
                422,
                f"Kênh '{query['channel']}' không có; dùng một trong {', '.join(c.value for c in Channel)}.",
                field="channel",
            ) from None
    try:
        limit = int(query.get("limit", "50"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 500:
        raise ApiError(422, "'limit' phải là số từ 1 đến 500.", field="limit")
    items = await request.app[STORE].list_conversations(
        channel=channel, citizen=query.get("citizen") or None, dossier=query.get("dossier") or None, limit=limit
    )
    return reply({"conversations": [_masked(c) for c in items]})


@routes.get("/api/v1/conversations/{conversation_id}")
async def get_conversation(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    found = await request.app[STORE].get_conversation(request.match_info["conversation_id"])
    if found is None:
        raise ApiError(404, "Không có cuộc hội thoại này.")
    return reply(_masked(found))


@routes.get("/api/v1/dossiers/{code}/telegram-link")
async def telegram_link(request: web.Request) -> web.Response:
    """For the one-stop-shop to print as a QR code on the dossier receipt:
    opening it starts the bot, which links the chat to the applicant and the
    dossier (a signed token that expires)."""
    await request.app[API_KEYS].authenticate(request)
    settings = request.app[SETTINGS]
    if not (settings.telegram_bot_token and settings.telegram_bot_username):
        raise ApiError(
            409, "Kênh Telegram chưa được cấu hình (TONGDAI_TELEGRAM_BOT_TOKEN, TONGDAI_TELEGRAM_BOT_USERNAME)."
        )
    code = b.dossier_code(request)
    dossier = await request.app[STORE].get_dossier(code)
    if dossier is None:
        raise ApiError(404, f"Không có hồ sơ {code}.")
    expires = max(dossier.due_at or utcnow(), utcnow()) + LINK_VALID_AFTER_DUE
    # A short id the store resolves: a packed token did not fit Telegram's 64
    # characters for most codes (channels/deeplink.py).
    token = short_token(request.app[SECRET], dossier.applicant_id, dossier.code, expires)
    await request.app[STORE].add_start_link(link_id(token), dossier.applicant_id, dossier.code, expires)
    return reply(
        {"code": code, "url": start_link(settings.telegram_bot_username, token), "expires_at": to_iso(expires)}
    )


@routes.get("/api/v1/escalations")
async def list_escalations(request: web.Request) -> web.Response:
    await request.app[API_KEYS].authenticate(request)
    state = request.query.get("state") or None
    if state not in (None, "open", "closed"):
        raise ApiError(422, "'state' là 'open' hoặc 'closed'.", field="state")
    return reply({"escalations": await request.app[STORE].list_escalations(state=state, limit=200)})
