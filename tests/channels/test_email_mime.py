"""Reading received mail on its own, without the SMTP receiver around it."""

from __future__ import annotations

from email.message import EmailMessage

from channels.email_mime import Bounce, parse_email
from models.notifications import DeliveryStatus
from tests.support.smtp import DOMAIN, dsn


def test_parse_html_only_and_outlook_quotes():
    mail = EmailMessage()
    mail["From"] = "=?utf-8?b?VHLhuqduIFRo4buLIELDrG5o?= <binh@example.vn>"
    mail["Subject"] = "Hỏi về hồ sơ"
    mail["Message-ID"] = "<h1@example.vn>"
    mail.set_content(
        "<div>Cho tôi hỏi hồ sơ <b>HS-9</b> đã xong chưa?</div><div>Cảm ơn&nbsp;ạ</div>"
        "<blockquote>Nội dung cũ</blockquote>",
        subtype="html",
    )
    incoming = parse_email(mail.as_bytes())
    assert incoming.name == "Trần Thị Bình"
    assert incoming.text == "Cho tôi hỏi hồ sơ HS-9 đã xong chưa?\nCảm ơn ạ"
    assert incoming.references == ()

    outlook = EmailMessage()
    outlook["From"] = "an@example.vn"
    outlook.set_content(
        "Vâng, tôi sẽ đến.\n\n________________________________\nFrom: Tổng đài\nSent: hôm qua\nNội dung cũ"
    )
    assert parse_email(outlook.as_bytes()).text == "Vâng, tôi sẽ đến."


def test_parse_a_gmail_attribution_wrapped_over_two_lines():
    mail = EmailMessage()
    mail["From"] = "an@example.vn"
    mail["Message-ID"] = "<g1@example.vn>"
    mail.set_content(
        "Đồng ý.\n\nOn Mon, 5 Jan 2026 at 09:00, Tổng đài Hành chính công <\n"
        "no-reply@tongdai.example.gov.vn> wrote:\n> cũ\n"
    )
    assert parse_email(mail.as_bytes()).text == "Đồng ý."


def test_parse_subject_only_and_missing_message_id():
    mail = EmailMessage()
    mail["From"] = "an@example.vn"
    mail["Subject"] = "Tra cứu hồ sơ HS-2026-000123"
    raw = mail.as_bytes()
    incoming = parse_email(raw)
    assert incoming.text == "Tra cứu hồ sơ HS-2026-000123"
    assert incoming.provider_message_id == parse_email(raw).provider_message_id  # stable across redelivery


def test_parse_dsn_fallbacks_and_other_reports():
    bounce = parse_email(dsn("5.7.1", "550 5.7.1 Rejected by policy"))
    assert bounce == Bounce(
        f"<att-9@{DOMAIN}>", DeliveryStatus.PERMANENT_FAILURE, "5.7.1 smtp; 550 5.7.1 Rejected by policy"
    )

    # No returned message: the original id from X-Original-Message-ID.
    bare = dsn("4.4.7", "Delivery time expired").split(b"--B0UND\r\nContent-Type: message/rfc822")[0] + b"--B0UND--\r\n"
    bare = bare.replace(b"Auto-Submitted", f"X-Original-Message-ID: <att-11@{DOMAIN}>\r\nAuto-Submitted".encode())
    assert parse_email(bare) == Bounce(
        f"<att-11@{DOMAIN}>", DeliveryStatus.TEMPORARY_FAILURE, "4.4.7 smtp; Delivery time expired"
    )

    read_receipt = dsn("5.1.1", "x").replace(b"report-type=delivery-status", b"report-type=disposition-notification")
    assert parse_email(read_receipt) is None
