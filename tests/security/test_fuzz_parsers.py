"""Property-based fuzz of every public parser: what citizens and providers
send us must never escape as anything but the parser's documented error (a
ValueError from a model parser), and through the HTTP app never as a 5xx.

The webhooks are fuzzed through the real app (create_app) with requests
signed as the provider signs them, so what is generated reaches the parser
behind the signature check. Runs are derandomized: CI tries the same inputs
every time. The counts (requests tried, server errors) are printed at the
end of the module."""

from __future__ import annotations

import asyncio
import json
import string
from collections import Counter
from email.message import EmailMessage
from urllib.parse import urlencode

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from assistant.scripted import ScriptedEngine
from channels.email_mime import bare_subject, html_to_text, parse_email, strip_quoted
from channels.sms import INBOUND_PATH, STATUS_PATH
from channels.sms_gateway_webhooks import SIGNATURE_HEADER, sign
from channels.sms_status import GATEWAY_STATUSES, TWILIO_STATUSES, retry_after
from channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from contact_center import keywords
from hub.api.auth import ApiKeys
from hub.app import create_app
from hub.keys import STORE
from hub.settings import Settings
from models import dossier_code
from models.phone import normalize_phone
from tests.support.dossiers import DOSSIER
from tests.support.report import say
from tests.support.server import free_port
from tests.support.sms_gateway import SECRET, config

pytestmark = pytest.mark.timeout(300)

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PURE = settings(FUZZ, max_examples=300)
HTTP = settings(FUZZ, max_examples=150)

TRIED: Counter[str] = Counter()
SERVER_ERRORS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    yield
    line = (
        f"fuzz: {TRIED.total()} inputs tried ({sum(v for k, v in TRIED.items() if k.startswith('http '))} "
        f"HTTP requests), {SERVER_ERRORS.total()} server errors; by target: {dict(sorted(TRIED.items()))}"
    )
    say(request.config, line)


# --- what citizens type --------------------------------------------------------

CODE = "BD-261130-0606"
CODES = (CODE, *(example for f in dossier_code.FORMATS for example in f.examples))
# Every Unicode decimal digit (Arabic-Indic, Devanagari, full-width, Thai…),
# and digits that str.isdigit() takes but int() does not (superscripts, circled).
unicode_digits = st.characters(categories=["Nd"]) | st.sampled_from("²³¹⁰①⑴⒈፩") | st.characters(categories=["No"])
digit_runs = st.text(unicode_digits, min_size=1, max_size=6) | st.text(string.digits, min_size=4, max_size=4)
dashes = st.sampled_from(["-", "\u2010", "\u2013", "\u2212", "\uff0d", ".", "_", " "])
code_like = st.builds(
    lambda parts, sep: sep.join(parts),
    st.lists(st.text(string.ascii_letters + string.digits + "．", min_size=1, max_size=8) | digit_runs, max_size=4),
    dashes,
)
word = st.one_of(
    st.sampled_from(sorted(keywords.WORDS)),
    st.sampled_from(["/tracuu", "/theodoi@TongDaiBot", "/start", "tra cứu", "theo dõi", "hủy", "ＴＲＡＣＵＵ"]),
    st.sampled_from(CODES),
    code_like,
    digit_runs,
    st.text(max_size=12),
)
# A lookup of the dossier the app holds, with verification digits in any script.
lookups = st.builds(
    "{} {} {}".format, st.sampled_from(["TRACUU", "/tracuu", "THEODOI", "tc"]), st.sampled_from([CODE]), digit_runs
)
citizen_text = st.lists(word, max_size=6).map(" ".join) | lookups | st.text(max_size=200)


@PURE
@given(citizen_text)
def test_keywords_parse_anything(text):
    TRIED["keywords"] += 1
    command = keywords.parse(text)
    assert command is None or command.name in set(keywords.WORDS.values())
    keywords.find_code(text, text[::-1])


@PURE
@given(citizen_text | code_like)
def test_dossier_codes_read_anything(text):
    TRIED["dossier_code"] += 1
    canonical = dossier_code.normalize_code(text)
    assert dossier_code.normalize_code(canonical) == canonical
    dossier_code.is_valid_code(text)
    dossier_code.code_format(text)
    for found in dossier_code.find_codes(text):
        # What is found in text is a code the API takes.
        assert dossier_code.is_valid_code(found), found
    dossier_code.without_codes(text)


phones = st.one_of(
    # A Vietnamese number written with any script's digits ("٠٩١٢٣٤٥٦٧٨").
    st.builds(
        str.__add__,
        st.sampled_from(["0", "+84", "84"]),
        st.text(st.characters(categories=["Nd"]), min_size=9, max_size=9),
    ),
    st.builds("".join, st.lists(st.sampled_from(["+84", "0084", "84", "0", " ", ".", "-", "(", ")"]) | digit_runs)),
    st.text(max_size=20),
)


@PURE
@given(phones)
def test_phone_numbers_raise_only_value_error(raw):
    TRIED["phone"] += 1
    try:
        normalize_phone(raw)
    except ValueError:
        pass


@PURE
@given(phones)
def test_a_phone_number_that_is_accepted_is_ascii_e164(raw):
    TRIED["phone (E.164 out)"] += 1
    try:
        phone = normalize_phone(raw)
    except ValueError:
        return
    # Stored, compared and sent to providers: only ASCII digits (issue 10, items 3 and 14).
    assert phone.isascii() and phone[1:].isdigit() and len(phone) == 12, phone


@PURE
@given(digit_runs | st.text(max_size=40))
def test_a_providers_retry_after_is_seconds_or_nothing(value):
    # Twilio's and the gateways' Retry-After header, as their answers carry it.
    TRIED["retry-after"] += 1
    seconds = retry_after(value)
    assert seconds is None or seconds >= 0


# --- mail in -------------------------------------------------------------------

header_names = st.sampled_from(
    [
        "From",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Auto-Submitted",
        "Precedence",
        "X-Autoreply",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
        "X-Original-Message-ID",
    ]
)
content_types = st.sampled_from(
    [
        "text/plain; charset=utf-8",
        "text/plain; charset=x-unknown",
        "text/plain; charset*=utf-8''%E1%BA%A1",
        "text/html; charset=windows-1258",
        'multipart/alternative; boundary="B"',
        'multipart/report; report-type=delivery-status; boundary="B"',
        "multipart/report; report-type*=us-ascii'en'delivery-status; boundary=B",
        "multipart/mixed",
        "message/delivery-status",
        "message/rfc822",
        "text/rfc822-headers",
    ]
)
header_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["<a@b>", "=?utf-8?b?w6E=?=", "=?x-bad?q?=FF?=", '"Lê" <le@example.vn>', "<>", "a@", "@"]),
)
part_bodies = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n",
            "Reporting-MTA: dns; x\r\n\r\nAction: delayed\r\nStatus: 4.4.7\r\n",
            "Message-ID: <att-1@tongdai>\r\n",
            "<p>Xin chào<blockquote>cũ</blockquote><script>x</script>",
            "On Mon, X wrote:\r\n> cũ\r\n",
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--B--",
        ]
    ),
)


@st.composite
def mails(draw) -> bytes:
    headers = draw(st.lists(st.tuples(header_names | st.text(string.ascii_letters, min_size=1), header_values)))
    lines = [f"{name}: {value}" for name, value in headers]
    if draw(st.booleans()):
        lines.append(f"Content-Type: {draw(content_types)}")
    body = draw(part_bodies)
    if draw(st.booleans()):
        parts = draw(st.lists(st.tuples(content_types, part_bodies), max_size=3))
        body = "".join(f"--B\r\nContent-Type: {kind}\r\n\r\n{text}\r\n" for kind, text in parts) + "--B--\r\n"
    text = "\r\n".join(lines) + "\r\n\r\n" + body
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else text.encode("latin-1", "replace")


@PURE
@given(mails() | st.binary(max_size=400))
def test_mail_in_is_read_or_dropped_never_raises(raw):
    # channels/email_inbound.py answers 451 to anything that raises here, and
    # the relay would then offer the same message again for days.
    TRIED["email (MIME)"] += 1
    parse_email(raw)


@PURE
@given(st.text(max_size=300))
def test_mail_text_helpers_take_any_text(text):
    TRIED["email (text)"] += 1
    strip_quoted(text)
    html_to_text(text)
    bare_subject(text)


def test_a_well_formed_reply_is_still_read():
    # The fuzz above only proves nothing raises; this proves the parser still reads mail.
    message = EmailMessage()
    message["From"] = "Lê Hồng <hong@example.vn>"
    message["Subject"] = f"Re: hồ sơ {CODE}"
    message["Message-ID"] = "<q1@example.vn>"
    message.set_content("Bao giờ có kết quả ạ?\n\nOn Mon, Tổng đài wrote:\n> cũ\n")
    incoming = parse_email(bytes(message))
    assert incoming.address == "hong@example.vn" and incoming.text == "Bao giờ có kết quả ạ?"


# --- webhooks, through the real app ---------------------------------------------

SID = "AC" + "0" * 32
TOKEN = "fuzz-twilio-token"
PUBLIC = "https://tongdai.example.gov.vn"
TG_SECRET = "fuzz-webhook-secret"
API_KEY_NAME = "fuzz"


@pytest.fixture
async def app_client(tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}"  # providers' replies fail fast, and are only logged
    settings = Settings(
        data_dir=tmp_path,
        public_url=PUBLIC,
        bus_poll_seconds=0.05,
        # The fuzz must reach the lookup behind the guard, not a 429.
        lookup_max_failures=1_000_000,
        twilio_account_sid=SID,
        twilio_auth_token=TOKEN,
        twilio_from="+15005550006",
        twilio_base_url=nowhere,
        sms_gateways=json.dumps([config(nowhere + "/api/v1/sms", timeout=1)]),
        telegram_bot_token="5550000:FUZZ-token",
        telegram_webhook_secret=TG_SECRET,
        telegram_api_url=nowhere,
    )
    app = await create_app(settings, engine=ScriptedEngine())
    async with TestClient(TestServer(app)) as client:
        key = await ApiKeys(client.app[STORE]).create(API_KEY_NAME)
        put = await client.put(f"/api/v1/dossiers/{CODE}", json=DOSSIER, headers={"Authorization": f"Bearer {key}"})
        assert put.status == 201, await put.text()
        yield client


async def fuzz(client: TestClient, target: str, test, examples) -> None:
    """Run `test(send, *example)` for each example hypothesis draws, in a thread, each request
    made on the app's loop, so the app keeps serving while hypothesis blocks."""
    loop = asyncio.get_running_loop()
    failures: list[str] = []

    def send(method: str, path: str, **kwargs) -> int:
        async def call() -> tuple[int, str]:
            async with client.request(method, path, **kwargs) as response:
                return response.status, await response.text()

        status, text = asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)
        TRIED[f"http {target}"] += 1
        if status >= 500:
            SERVER_ERRORS[target] += 1
            failures.append(f"{status} {text[:200]}")
        assert status < 500, f"{method} {path} -> {status}: {text[:500]}"
        return status

    await asyncio.to_thread(HTTP(given(examples)(lambda example: test(send, *example))))
    assert not failures


# A phone as a provider reports it: ours, foreign, or anything.
provider_phones = st.one_of(
    # A Vietnamese number written with any script's digits ("٠٩١٢٣٤٥٦٧٨").
    st.builds(
        str.__add__,
        st.sampled_from(["0", "+84", "84"]),
        st.text(st.characters(categories=["Nd"]), min_size=9, max_size=9),
    ),
    st.sampled_from(["+84912345678", "0987654321", "+15005550006", "84912345678"]),
    phones,
    st.text(max_size=16),
)
form_values = st.text(max_size=80)


def twilio_headers(path: str, form: dict) -> dict:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)}


@st.composite
def twilio_inbound(draw) -> dict:
    form = {
        "MessageSid": draw(st.sampled_from(["SM" + "1" * 32, ""]) | form_values),
        "From": draw(provider_phones),
        "Body": draw(citizen_text),
        "To": "+15005550006",
        "AccountSid": SID,
    }
    form = {k: v for k, v in form.items() if draw(st.booleans()) or k in ("From", "Body")}
    form.update(draw(st.dictionaries(st.sampled_from(["SmsSid", "NumMedia", "MediaUrl0"]) | form_values, form_values)))
    return form


@st.composite
def twilio_status(draw) -> dict:
    # Mostly what Twilio sends, so that the fuzz gets past "nothing to file".
    usually = draw(st.integers(0, 3)) > 0
    form = {
        "MessageSid": "SM" + "2" * 32 if usually else draw(form_values),
        "MessageStatus": draw(st.sampled_from(sorted(TWILIO_STATUSES)) if usually else form_values),
        "ErrorCode": draw(digit_runs if usually else form_values | st.sampled_from(["30003", "0", ""])),
    }
    form.update(
        draw(st.dictionaries(st.sampled_from(["SmsSid", "SmsStatus", "ErrorMessage"]) | form_values, form_values))
    )
    return form


def _twilio(send, form: dict, inbound: bool) -> None:
    path = INBOUND_PATH if inbound else STATUS_PATH
    # Encoded here, as Twilio encodes it: aiohttp's client refuses some keys in a dict.
    headers = {**twilio_headers(path, form), "Content-Type": "application/x-www-form-urlencoded"}
    status = send("POST", path, data=urlencode(form), headers=headers)
    assert status in (200, 204, 400, 422), status  # signed: never refused as forged


async def test_twilio_webhooks_never_answer_a_server_error(app_client):
    await fuzz(
        app_client,
        "twilio",
        _twilio,
        st.tuples(twilio_inbound(), st.just(True)) | st.tuples(twilio_status(), st.just(False)),
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def gateway_bodies(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    body = {
        "from": draw(provider_phones | json_values),
        "text": draw(citizen_text | json_values),
        "id": draw(st.text(max_size=20) | json_values),
        "status": draw(st.sampled_from(sorted(GATEWAY_STATUSES)) | json_values),
        "error": draw(json_values),
    }
    body = {k: v for k, v in body.items() if draw(st.booleans())}
    return orjson.dumps(body if draw(st.integers(0, 9)) else draw(json_values))


def _gateway(send, raw: bytes, kind: str) -> None:
    path = f"/webhooks/sms/vnpt/{kind}"
    headers = {SIGNATURE_HEADER: sign(SECRET, raw), "Content-Type": "application/json"}
    assert send("POST", path, data=raw, headers=headers) in (200, 204, 422)


async def test_gateway_webhooks_never_answer_a_server_error(app_client):
    await fuzz(app_client, "sms gateway", _gateway, st.tuples(gateway_bodies(), st.sampled_from(["inbound", "status"])))


# Telegram documents ids of at most 52 significant bits.
tg_ids = st.integers(-(2**52), 2**52)


@st.composite
def telegram_updates(draw) -> bytes:
    user = {"id": draw(tg_ids), "is_bot": draw(st.booleans()), "first_name": draw(st.text(max_size=20))}
    chat = {"id": draw(tg_ids), "type": draw(st.sampled_from(["private", "group", "channel", "x"]))}
    message = {"message_id": draw(tg_ids), "date": draw(st.integers(0, 2**31)), "chat": chat, "from": user}
    message["text"] = draw(citizen_text | st.sampled_from([f"/start {'A' * 40}", "/start", f"/tracuu {CODE} 1222"]))
    if draw(st.booleans()):
        message = {k: v for k, v in message.items() if draw(st.integers(0, 5))}
    kind = draw(st.sampled_from(["message", "edited_message", "callback_query", "json"]))
    if kind == "callback_query":
        update_body = {
            "id": draw(st.text(max_size=10)),
            "from": user,
            "chat_instance": "c",
            "data": message.get("text"),
        }
        if draw(st.booleans()):
            update_body["message"] = message
    elif kind == "json":
        return orjson.dumps(draw(json_values))
    else:
        update_body = message
    return orjson.dumps({"update_id": draw(tg_ids), kind: update_body})


def _telegram(send, raw: bytes) -> None:
    headers = {SECRET_HEADER: TG_SECRET, "Content-Type": "application/json"}
    assert send("POST", WEBHOOK_PATH, data=raw, headers=headers) in (200, 400)


async def test_telegram_updates_never_answer_a_server_error(app_client):
    await fuzz(app_client, "telegram", _telegram, st.tuples(telegram_updates()))
