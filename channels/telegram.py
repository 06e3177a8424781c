"""Telegram: the notification provider, and the bot citizens write to.

Both speak the Bot API through one aiogram Bot. Telegram's failures are
translated here, at the edge, into the service's error tree; what citizens
write is handed to the inbox unchanged, commands included, because the inbox
is the one place that understands them."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Iterable
from contextlib import suppress

import orjson
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ChatType
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.methods import DeleteWebhook, GetMe, GetUpdates, SetWebhook, TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from pydantic import ValidationError

from channels.inbound import Inbox
from channels.limits import telegram_limits
from channels.port import UP, Health, InboundService, Outgoing, Provider, Sent
from channels.registry import TELEGRAM_WEBHOOK_PATH
from channels.vendor import RECIPIENT, REFUSED, RETRY, Outcome
from hub.api.errors import error_response
from hub.api.replies import reply
from models.citizen import Channel
from models.errors import PermanentError, ProviderRefused, TongdaiError
from models.messages import Button, Incoming, Reply
from models.notifications import DeliveryStatus

log = logging.getLogger(__name__)

WEBHOOK_PATH = TELEGRAM_WEBHOOK_PATH
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - the header's name, not a secret
BLOCKED_VIA = "telegram_blocked"
CALLBACK_DATA_BYTES = 64  # Telegram refuses longer callback_data

GREETING = (
    "Xin chào! Đây là kênh Telegram của {org}.\n"
    "Gửi /tracuu <mã hồ sơ> để tra cứu hồ sơ, /theodoi <mã hồ sơ> để nhận thông báo khi hồ sơ "
    "thay đổi, /huy để ngừng nhận tin.\n"
    "Để liên kết hồ sơ của bạn, hãy quét mã QR trên giấy tiếp nhận hồ sơ."
)
TEXT_ONLY = "Xin lỗi, Tổng đài hiện chỉ đọc được tin nhắn dạng chữ."
FORBIDDEN = "Thiếu hoặc sai mã bí mật của webhook Telegram."
MALFORMED = "Nội dung không phải một bản cập nhật Telegram hợp lệ."
TRY_LATER = "Chưa xử lý được bản cập nhật; Telegram sẽ gửi lại sau."


# --- errors: what a Bot API failure means for the caller -------------------

# Looked up along the exception's class hierarchy, most specific first.
OUTCOMES: dict[type[Exception], Outcome] = {
    TelegramRetryAfter: Outcome(RETRY, "flood control"),
    # Blocked by the user, kicked, user deactivated: Telegram's way of saying
    # the citizen left this channel.
    TelegramForbiddenError: Outcome(RECIPIENT, "the citizen left the chat", withdraw=True),
    # Chat not found, text too long, bad markup: the same call fails the same way.
    TelegramBadRequest: Outcome(RECIPIENT, "bad request"),
    TelegramNotFound: Outcome(RECIPIENT, "not found"),
    TelegramMigrateToChat: Outcome(RECIPIENT, "a group chat"),  # group chats are not citizens' addresses
    TelegramEntityTooLarge: Outcome(RECIPIENT, "too large"),
    # A revoked token: no message goes out until an operator sets a new one.
    TelegramUnauthorizedError: Outcome(REFUSED, "bot token refused"),
    TelegramConflictError: Outcome(RETRY, "conflict"),
    TelegramServerError: Outcome(RETRY, "server error"),
    TelegramNetworkError: Outcome(RETRY, "network error"),
    ClientDecodeError: Outcome(RETRY, "garbled answer"),  # e.g. from a proxy
    TelegramAPIError: Outcome(RETRY, "API error"),
}


def outcome(exc: Exception) -> Outcome:
    for cls in type(exc).__mro__:
        if cls in OUTCOMES:
            return OUTCOMES[cls]
    return Outcome(RETRY)


async def deliver(
    bot: Bot, inbox: Inbox, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """sendMessage, with failures as the error tree's types. Plain text on
    purpose (no parse_mode): templates and replies are not markup."""
    try:
        return await bot.send_message(chat_id, text, reply_markup=markup)
    except AiogramError as exc:
        result = outcome(exc)
        if result.withdraw:
            await inbox.withdraw(Channel.TELEGRAM, str(chat_id), via=BLOCKED_VIA)
        raise result.error(
            f"telegram {type(exc).__name__}: {getattr(exc, 'message', exc)}",
            provider=TelegramProvider.name,
            retry_after=getattr(exc, "retry_after", None),
        ) from exc


def make_bot(token: str, api_url: str = "") -> Bot:
    api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
    try:
        return Bot(token, session=AiohttpSession(api=api))
    except TokenValidationError:
        # The token is a secret: say which setting is wrong, never echo it.
        raise ValueError("TONGDAI_TELEGRAM_BOT_TOKEN is not a bot token (digits:secret)") from None


# --- the provider ----------------------------------------------------------


class TelegramProvider(Provider):
    name = "telegram"
    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot, inbox: Inbox):
        self.bot = bot
        self._inbox = inbox
        self._bot_id = str(bot.id)

    @classmethod
    def from_settings(cls, settings, inbox: Inbox, bot: Bot | None = None) -> TelegramProvider | None:
        if not settings.telegram_bot_token:
            return None
        return cls(bot or make_bot(settings.telegram_bot_token, settings.telegram_api_url), inbox)

    def limits(self, message: Outgoing) -> list:
        return telegram_limits(self._bot_id, message.address)

    async def send(self, message: Outgoing) -> Sent:
        try:
            chat_id = int(message.address)
        except ValueError:
            raise PermanentError("telegram: the address is not a chat id") from None
        sent = await deliver(self.bot, self._inbox, chat_id, message.text)
        # The Bot API has no delivery receipts: once sendMessage answers, the
        # message is in the chat on Telegram's servers and every client of the
        # citizen syncs it. Nothing would ever turn SENT into DELIVERED later.
        return Sent(provider_ref=f"{chat_id}:{sent.message_id}", status=DeliveryStatus.DELIVERED)

    async def close(self) -> None:
        await self.bot.session.close()


# --- the bot: what citizens write -------------------------------------------


def callback_data(button: Button) -> str:
    # Cut on a character boundary: half a Vietnamese letter is not valid UTF-8.
    raw = (button.payload or button.title).encode()[:CALLBACK_DATA_BYTES]
    return raw.decode("utf-8", "ignore")


def keyboard(buttons: Iterable[Button]) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(text=b.title, callback_data=callback_data(b))] for b in buttons if b.title]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def send_replies(bot: Bot, inbox: Inbox, chat_id: int, replies: list[Reply]) -> None:
    """The inbox already holds the message; a reply that cannot be sent is
    logged, not a reason to take the message again."""
    for answer in replies:
        if not answer.text:
            continue
        try:
            await deliver(bot, inbox, chat_id, answer.text, keyboard(answer.buttons))
        except ProviderRefused as exc:
            log.error("telegram refused our bot: reply not sent", extra={"provider": exc.provider, "error": str(exc)})
            return
        except TongdaiError as exc:
            log.warning("telegram reply not sent", extra={"error": type(exc.__cause__).__name__})
            return


def _name(user) -> str | None:
    return user.full_name if user else None


async def _hand_over(message: Message, bot: Bot, inbox: Inbox, link_token: str | None = None) -> None:
    incoming = Incoming(
        channel=Channel.TELEGRAM,
        address=str(message.chat.id),
        text=message.text or "",  # the handlers take text messages and /start only
        provider_message_id=f"{message.chat.id}:{message.message_id}",
        name=_name(message.from_user),
        link_token=link_token,
    )
    await send_replies(bot, inbox, message.chat.id, await inbox.receive(incoming))


def build_router() -> Router:
    """Handlers take `inbox` and `greeting` from the dispatcher's data."""
    router = Router(name="tongdai-telegram")
    # A citizen's address is their private chat with the bot; a group's
    # messages must not link a group to anyone's dossier.
    router.message.filter(F.chat.type == ChatType.PRIVATE)

    @router.message(CommandStart(deep_link=True))
    async def deep_link(message: Message, command: CommandObject, bot: Bot, inbox: Inbox) -> None:
        # Verified by the inbox (channels.deeplink.read_token), which holds the key.
        await _hand_over(message, bot, inbox, link_token=command.args)

    @router.message(CommandStart())
    async def start(message: Message, bot: Bot, inbox: Inbox, greeting: str) -> None:
        await send_replies(bot, inbox, message.chat.id, [Reply(greeting)])

    @router.message(F.text)
    async def text(message: Message, bot: Bot, inbox: Inbox) -> None:
        await _hand_over(message, bot, inbox)

    @router.message()
    async def other(message: Message, bot: Bot, inbox: Inbox) -> None:
        await send_replies(bot, inbox, message.chat.id, [Reply(TEXT_ONLY)])

    @router.callback_query()
    async def button(query: CallbackQuery, bot: Bot, inbox: Inbox) -> None:
        # Answer first: the citizen's client shows a spinner until we do.
        with suppress(TelegramAPIError):
            await query.answer()
        if not query.data:
            return  # a game button, not one of ours
        chat_id = query.message.chat.id if query.message else query.from_user.id
        incoming = Incoming(
            channel=Channel.TELEGRAM,
            address=str(chat_id),
            text=query.data,
            provider_message_id=f"callback:{query.id}",
            name=_name(query.from_user),
        )
        await send_replies(bot, inbox, chat_id, await inbox.receive(incoming))

    return router


class PaceEmptyPolls(BaseRequestMiddleware):
    """aiogram asks getUpdates again at once. Telegram long-polls, so that is
    fine; a Bot API server that answers an empty list at once (a local
    emulator, a proxy) would be asked in a tight loop: wait out the rest."""

    def __init__(self, pause: float):
        self.pause = pause

    async def __call__(self, make_request, bot, method):
        started = time.monotonic()
        updates = await make_request(bot, method)  # the result itself, not the Response
        if isinstance(method, GetUpdates) and not updates:
            rest = self.pause - (time.monotonic() - started)
            if rest > 0:
                await asyncio.sleep(rest)
        return updates


# The calls that say whether the bot can take updates at all: one failing is
# the channel down (a sendMessage to one chat failing is not).
_LIFELINE = (GetMe, GetUpdates, DeleteWebhook, SetWebhook)


def masked_cause(exc: BaseException, token: str) -> str:
    """What went wrong, for logs and /readyz: the bot token (a URL in an
    error message may carry it) never appears."""
    text = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
    for secret in {token, token.partition(":")[2]} - {""}:
        text = text.replace(secret, "***")
    return text[:300]


class RedactTokens(logging.Filter):
    """aiogram logs a failed getUpdates with the exception's text, which
    carries the request URL, and the Bot API puts the token in the path:
    its loggers (and ours) go through this filter, which takes every bot
    token of the process out of the record."""

    LOGGERS = ("aiogram.dispatcher", "aiogram.event", "aiogram.middlewares", "aiogram.webhook", __name__)

    def __init__(self):
        super().__init__()
        self.tokens: set[str] = set()

    def add(self, token: str) -> None:
        self.tokens |= {token, token.partition(":")[2]} - {""}
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)  # the same filter once

    def redact(self, text: str) -> str:
        for token in sorted(self.tokens, key=len, reverse=True):
            text = text.replace(token, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        for key in ("error", "reason"):
            if isinstance(record.__dict__.get(key), str):
                record.__dict__[key] = self.redact(record.__dict__[key])
        return True


REDACT = RedactTokens()


class WatchLifeline(BaseRequestMiddleware):
    """Marks the bot down when a lifeline call fails and up when one succeeds:
    aiogram retries getUpdates by itself, and says so only in its own logs."""

    def __init__(self, report):
        self.report = report

    async def __call__(self, make_request, bot, method: TelegramMethod):
        if not isinstance(method, _LIFELINE):
            return await make_request(bot, method)
        try:
            result = await make_request(bot, method)
        except Exception as exc:
            self.report(type(method).__name__, exc)
            raise
        self.report(type(method).__name__, None)
        return result


class TelegramBot(InboundService):
    """Owns the Bot and its Dispatcher; takes updates by webhook or polling.

    Start-up never gives up on Telegram (issue 11 item 10: a getMe failing at
    start ended polling for good while /readyz said ready): each call is
    retried with a capped backoff, the cause logged without the token, and
    `health()` says the channel is degraded until Telegram answers again."""

    channel = Channel.TELEGRAM
    name = "telegram"
    RETRY_CAP = 300.0  # seconds between attempts at most

    def __init__(
        self,
        bot: Bot,
        inbox: Inbox,
        *,
        webhook_secret: str,
        mode: str = "webhook",
        base_url: str = "",
        org_name: str = "Tổng đài",
        polling_timeout: int = 10,
        empty_poll_pause: float = 0.5,
    ):
        if mode not in {"webhook", "polling"}:
            raise ValueError(f"telegram mode {mode!r}: expected webhook or polling")
        self.bot = bot
        self.mode = mode
        self.path = WEBHOOK_PATH
        self._secret = webhook_secret.encode()
        self._health = UP
        REDACT.add(bot.token)
        bot.session.middleware(WatchLifeline(self._observed))
        self._base_url = base_url.rstrip("/")
        self._polling_timeout = polling_timeout
        if mode == "polling":
            bot.session.middleware(PaceEmptyPolls(empty_poll_pause))
        self.dispatcher = Dispatcher(disable_fsm=True, inbox=inbox, greeting=GREETING.format(org=org_name))
        self.dispatcher.include_router(build_router())
        self._task: asyncio.Task | None = None

    @classmethod
    def from_settings(cls, settings, inbox: Inbox, bot: Bot | None = None) -> TelegramBot | None:
        if not settings.telegram_bot_token:
            return None
        return cls(
            bot or make_bot(settings.telegram_bot_token, settings.telegram_api_url),
            inbox,
            webhook_secret=settings.telegram_webhook_secret,
            mode=settings.telegram_mode,
            base_url=settings.base_url,
            org_name=settings.org_name,
        )

    # webhook

    def webhook_route(self, path: str = WEBHOOK_PATH) -> web.RouteDef:
        self.path = path
        return web.post(path, self.handle_webhook)

    def _authentic(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        # Without a configured secret anyone could write as any citizen.
        return bool(self._secret) and hmac.compare_digest(given, self._secret)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        if not self._authentic(request):
            return error_response(403, FORBIDDEN)
        try:
            update = Update.model_validate(orjson.loads(await request.read()), context={"bot": self.bot})
        except (orjson.JSONDecodeError, ValidationError):
            return error_response(400, MALFORMED)
        # Processed before answering: Telegram sends the update again unless it
        # gets a 200, and the inbox takes a message delivered twice only once.
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except PermanentError:
            # Sending it again would fail the same way and hold back later updates.
            log.exception("telegram update dropped", extra={"update_id": update.update_id})
        except Exception:
            log.exception("telegram update failed", extra={"update_id": update.update_id})
            return error_response(503, TRY_LATER, headers={"Retry-After": "5"})
        return reply({"ok": True})

    # running

    async def start(self) -> None:
        if self.mode == "polling":
            self._task = asyncio.create_task(self._poll(), name="telegram-polling")
        elif self._secret:
            self._task = asyncio.create_task(self._until_done(self._set_webhook), name="telegram-webhook")
        else:
            self._health = Health(up=False, reason="webhook not set: TONGDAI_TELEGRAM_WEBHOOK_SECRET is empty")
            log.warning(
                "telegram webhook not set: TONGDAI_TELEGRAM_WEBHOOK_SECRET is empty, and updates without it are refused"
            )

    async def _set_webhook(self) -> None:
        await self.bot.set_webhook(
            url=self._base_url + self.path,
            secret_token=self._secret.decode(),
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )

    async def _poll(self) -> None:
        # getUpdates is refused while a webhook is set.
        await self._until_done(self.bot.delete_webhook)
        delay = 1.0
        while True:
            # aiogram asks getMe once and ends polling ("Polling stopped")
            # when that fails; asked here, the answer is cached on the bot.
            await self._until_done(self.bot.me)
            try:
                await self.dispatcher.start_polling(
                    self.bot, polling_timeout=self._polling_timeout, handle_signals=False, close_bot_session=False
                )
                return  # stop() asked
            except Exception as exc:  # whatever ended it, polling must come back
                self._health = Health(up=False, reason=f"polling: {masked_cause(exc, self.bot.token)}")
                log.error(
                    "telegram polling stopped; starting again",
                    extra={"error": masked_cause(exc, self.bot.token), "delay": delay},
                )
                await asyncio.sleep(delay)
                delay = min(self.RETRY_CAP, delay * 2)

    async def _until_done(self, call) -> None:
        # Startup must not fail because Telegram is unreachable for a while.
        delay = 1.0
        while True:
            try:
                await call()
                return
            except AiogramError as exc:
                log.warning(
                    "telegram call failed, retrying",
                    extra={"error": masked_cause(exc, self.bot.token), "delay": delay},
                )
                await asyncio.sleep(delay)
                delay = min(self.RETRY_CAP, delay * 2)

    # health

    def health(self) -> Health:
        return self._health

    def _observed(self, call: str, exc: BaseException | None) -> None:
        if exc is None:
            if not self._health.up:
                log.info("telegram answers again", extra={"call": call})
            self._health = UP
        else:
            self._health = Health(up=False, reason=f"{call}: {masked_cause(exc, self.bot.token)}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            with suppress(RuntimeError):  # polling had not started yet
                await self.dispatcher.stop_polling()
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self.bot.session.close()
