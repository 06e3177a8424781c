"""The console's HTTP side: sign-in, sign-out, set-password, /console/api/me,
and `require(role)`, which every console endpoint goes through.

A session lives in a cookie (HttpOnly, SameSite=Strict, Secure behind
https); an API key opens nothing here, and a session cookie nothing under
/api. Every state-changing request carries the session's CSRF token in the
X-CSRF-Token header or a csrf_token form field."""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from contact_center import console_pages as pages
from contact_center.agents import Agents
from contact_center.audit import audit
from contact_center.sessions import Sessions
from hub.api.errors import ApiError, after_minutes
from hub.api.guard import FailureLimiter
from hub.api.replies import reply
from hub.store.port import Agent
from models.email_address import normalize_email
from models.timeutil import parse_datetime

log = logging.getLogger(__name__)

COOKIE = "tongdai_console"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
RANK = {"agent": 1, "supervisor": 2, "admin": 3}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FORM_MAX = 4096  # a sign-in form is two short fields
NO_CSRF = "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF); hãy tải lại trang rồi thử lại."
WRONG_ROLE = "Tài khoản của Ông/Bà không có quyền dùng chức năng này."
NO_SESSION = "Chưa đăng nhập hoặc phiên đã hết hạn; hãy đăng nhập lại."
BAD_LOGIN = "Email hoặc mật khẩu không đúng."


@dataclass
class Console:
    agents: Agents
    sessions: Sessions
    guard: FailureLimiter  # the service's one guard; keys "console:email:" and "console:addr:"
    client: Callable[[web.Request], str]  # the client's address, as the rate limits see it
    secure_cookie: bool  # the public URL is https: the cookie never goes over plain http
    public_host: str  # TONGDAI_PUBLIC_URL's host[:port]: behind a proxy the Host header may differ


CONSOLE = web.AppKey("console", Console)


@dataclass(frozen=True)
class Signed:
    """What `require` hands the handler: the signed-in agent and the session cookie's value."""

    agent: Agent
    session: str


routes = web.RouteTableDef()

Handler = Callable[[web.Request, Signed], Awaitable[web.StreamResponse]]
Checked = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/console/api/")


async def _csrf_given(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return (await _form(request)).get(CSRF_FIELD, "")
    return ""


def require(role: str) -> Callable[[Handler], Checked]:
    """The session and the role, checked on the server before the handler
    runs: no live session → 401 JSON under /console/api/, a redirect to the
    sign-in page elsewhere; a lesser role → 403; a state-changing request
    without the session's CSRF token → 403."""
    needed = RANK[role]

    def decorate(handler: Handler) -> Checked:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            console = request.app[CONSOLE]
            token = request.cookies.get(COOKIE, "")
            agent = await console.sessions.agent_of(token) if token else None
            if agent is None:
                if _is_api(request):
                    raise ApiError(401, NO_SESSION)
                raise web.HTTPSeeOther("/console/login")
            if RANK.get(agent.role, 0) < needed:
                if _is_api(request):
                    raise ApiError(403, WRONG_ROLE)
                return pages.forbidden(WRONG_ROLE)
            if request.method not in SAFE_METHODS and not console.sessions.csrf_ok(token, await _csrf_given(request)):
                log.warning("console csrf refused", extra={"agent_id": agent.id, "path": request.path})
                if _is_api(request):
                    raise ApiError(403, NO_CSRF)
                return pages.forbidden(NO_CSRF)
            return await handler(request, Signed(agent, token))

        # What the route needs, readable from the router: the access test checks every route has one.
        checked.required_role = role  # type: ignore[attr-defined]
        return checked

    return decorate


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _cookie(response: web.StreamResponse, console: Console, value: str) -> None:
    response.set_cookie(
        COOKIE, value, path="/console", httponly=True, samesite="Strict", secure=console.secure_cookie or None
    )


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_length is not None and request.content_length > FORM_MAX:
        raise ApiError(413, "Biểu mẫu quá lớn.")
    try:
        form = await request.post()
    except (ValueError, UnicodeDecodeError):
        # A malformed form (a broken multipart boundary, a bad charset) is the client's fault.
        raise ApiError(400, "Biểu mẫu gửi lên không đọc được.") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _cross_site(request: web.Request) -> bool:
    """A browser's POST from another site's page (login CSRF: signing the
    victim in as the attacker). Browsers send Origin on every POST; a client
    without one (a script) is no victim's browser."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    host = urlsplit(origin).netloc
    return host not in {request.host, request.app[CONSOLE].public_host}


def _email_key(email: str) -> str:
    # Spelled another way (case, an internationalised domain) it is the same account and the same count.
    try:
        return normalize_email(email)
    except ValueError:
        return email.lower()[:254]


NOT_HERE = "Biểu mẫu này chỉ gửi được từ chính trang của Tổng đài."


@routes.get("/console/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    return pages.login(lang=pages.lang_of(request))


@routes.post("/console/login")
async def login(request: web.Request) -> web.StreamResponse:
    console, lang = request.app[CONSOLE], pages.lang_of(request)
    if _cross_site(request):
        return pages.forbidden(NOT_HERE, lang)
    form = await _form(request)
    email, password = form.get("email", "").strip(), form.get("password", "")
    keys = ("console:email:" + _email_key(email), "console:addr:" + console.client(request))
    wait = console.guard.retry_after(*keys)
    if wait is not None:
        message = "Đăng nhập sai quá nhiều lần. " + after_minutes(wait)
        return pages.login(message, email, status=429, headers={"Retry-After": str(wait)}, lang=lang)
    agent, named = await console.agents.check(email, password)
    if agent is None:
        console.guard.fail(*keys)
        if named is not None:
            await audit(console.agents.store, named.id, "login.failed", "agent", named.id, clock=console.agents.clock)
        return pages.login(BAD_LOGIN, email, status=401, lang=lang)
    # A new session id whatever cookie came in: one planted before sign-in is worthless (fixation).
    old = request.cookies.get(COOKIE)
    if old:
        await console.sessions.end(old)
    token = await console.sessions.start(agent)
    await audit(console.agents.store, agent.id, "login", "agent", agent.id, clock=console.agents.clock)
    log.info("console login", extra={"audit": "console.login", "agent_id": agent.id})
    response = _see_other("/console")
    _cookie(response, console, token)
    return response


@routes.get("/console")
@require("agent")
async def home(request: web.Request, signed: Signed) -> web.StreamResponse:
    agent = signed.agent
    return pages.home(agent.name, agent.role, request.app[CONSOLE].sessions.csrf(signed.session), agent.id)


@routes.get("/console/audit")
@require("supervisor")
async def audit_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    """The supervisors' audit page (its rows come from /console/api/audit)."""
    agent = signed.agent
    return pages.audit(agent.name, agent.role, request.app[CONSOLE].sessions.csrf(signed.session), agent.id)


@routes.post("/console/logout")
@require("agent")
async def logout(request: web.Request, signed: Signed) -> web.StreamResponse:
    console, agent = request.app[CONSOLE], signed.agent
    await console.sessions.end(signed.session)
    await audit(console.agents.store, agent.id, "logout", "agent", agent.id, clock=console.agents.clock)
    log.info("console logout", extra={"audit": "console.logout", "agent_id": agent.id})
    response = _see_other("/console/login")
    response.del_cookie(COOKIE, path="/console")
    return response


@routes.get("/console/set-password/{token}")
async def set_password_page(request: web.Request) -> web.StreamResponse:
    token, lang = request.match_info["token"], pages.lang_of(request)
    if not await request.app[CONSOLE].agents.link_is_live(token):
        return pages.link_dead(lang)
    return pages.set_password(token, lang=lang)


@routes.post("/console/set-password/{token}")
async def set_password(request: web.Request) -> web.StreamResponse:
    console, lang = request.app[CONSOLE], pages.lang_of(request)
    token = request.match_info["token"]
    if _cross_site(request):
        return pages.forbidden(NOT_HERE, lang)
    # Guessing links is guessing a secret: the same guard as passwords, by address.
    key = "console:addr:" + console.client(request)
    wait = console.guard.retry_after(key)
    if wait is not None:
        return pages.try_later(after_minutes(wait), {"Retry-After": str(wait)}, lang)
    form = await _form(request)
    try:
        agent_id = await console.agents.set_password(token, form.get("password", ""))
    except ValueError as exc:
        if not await console.agents.link_is_live(token):
            console.guard.fail(key)
            return pages.link_dead(lang)
        return pages.set_password(token, str(exc), status=422, lang=lang)
    if agent_id is None:
        console.guard.fail(key)
        return pages.link_dead(lang)
    return pages.password_set(lang)


@routes.get("/console/api/me")
@require("agent")
async def me(request: web.Request, signed: Signed) -> web.Response:
    agent = signed.agent
    return reply(
        {
            "id": agent.id,
            "name": agent.name,
            "email": agent.email,
            "role": agent.role,
            "team": agent.team,
            "csrf_token": request.app[CONSOLE].sessions.csrf(signed.session),
        }
    )


@routes.get("/console/api/audit")
@require("supervisor")
async def audit_log(request: web.Request, signed: Signed) -> web.Response:
    """The audit log as `tongdai audit` shows it, latest `limit` rows oldest
    first, for the supervisor's page: ?agent=ID&object_type=&object_id=&since=&limit=."""
    query = request.query
    try:
        limit = int(query.get("limit", "100"))
    except ValueError:
        raise ApiError(422, "limit phải là một số nguyên.", field="limit") from None
    if not 1 <= limit <= 1000:
        raise ApiError(422, "limit phải từ 1 đến 1000.", field="limit")
    since = None
    if query.get("since"):
        try:
            since = parse_datetime(query["since"])
        except ValueError as exc:
            raise ApiError(422, f"since: {exc}.", field="since") from None
    entries = await request.app[CONSOLE].agents.store.audit_entries(
        since=since,
        actor=query.get("agent") or None,
        object_type=query.get("object_type") or None,
        object_id=query.get("object_id") or None,
        limit=limit,
    )
    rows = [
        {
            "id": e.id,
            "at": e.at.isoformat() if e.at else None,
            "agent": e.actor,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "reason": e.reason,
        }
        for e in entries
    ]
    if query.get("format") == "csv":
        # Taking the log out of the console is itself an action the log keeps.
        filters = ",".join(f"{k}={query[k]}" for k in ("agent", "object_type", "object_id", "since") if query.get(k))
        console = request.app[CONSOLE]
        await audit(console.agents.store, signed.agent.id, "audit.export", "audit_log", "", filters,
                    clock=console.agents.clock)  # fmt: skip
        return _csv(rows)
    return reply({"entries": rows})


CSV_COLUMNS = ("id", "at", "agent", "action", "object_type", "object_id", "reason")


def _csv(rows: list[dict]) -> web.Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        # A cell starting with = + - @ is a formula to a spreadsheet: quoted as text.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in row.items()})
    return web.Response(
        body=("\ufeff" + out.getvalue()).encode(),  # the BOM: Excel reads the Vietnamese as UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="nhat-ky-truy-cap.csv"'},
    )
