"""The channel registry: every channel has a complete entry, and the facts
the rest of the service asks it for come out as they did when each caller
kept its own copy."""

import pytest

from channels.registry import REGISTRY, SPECS, Channels, by_address_field, followable
from models.citizen import ADDRESS_FIELD, Channel, Citizen
from models.templates import TemplateKind

CITIZEN = Citizen(
    id="c1", full_name="Nguyễn Văn An", phone="+84912345678", email="an@example.vn", telegram_chat_id=555001
)


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_has_a_complete_entry(channel):
    spec = REGISTRY[channel]
    assert spec.channel is channel
    assert spec.label and spec.label.strip() == spec.label
    assert spec.kind is None or isinstance(spec.kind, TemplateKind)
    assert callable(spec.mask)
    assert spec.address_type in (str, int)
    if spec.notifies:
        # A channel that carries notifications renders a template, reaches an
        # address and knows how long to wait for a receipt.
        assert isinstance(spec.kind, TemplateKind)
        assert spec.address_field in Citizen.__dataclass_fields__
        assert spec.receipt_deadline and spec.receipt_deadline > 0
        assert channel in SPECS
    else:
        assert channel not in SPECS
        assert not spec.followable and not spec.unsubscribe_link and not spec.quiet
        assert spec.receipt_deadline is None
    if spec.followable:
        assert spec.notifies and spec.address_field and callable(spec.normalize)
    assert spec.address_field == ADDRESS_FIELD.get(channel)


def test_inbound_only_channels_have_labels_and_no_notifications():
    for channel in (Channel.WEBCHAT, Channel.KIOSK):
        spec = REGISTRY[channel]
        assert spec.label and not spec.notifies and not spec.followable and spec.address_field is None
        assert spec.web_session
    assert REGISTRY[Channel.WEBCHAT].label == "trò chuyện trên web"
    assert REGISTRY[Channel.KIOSK].label == "ki-ốt"


def test_labels_are_the_words_replies_use():
    assert {c: s.label for c, s in REGISTRY.items() if s.notifies} == {
        Channel.SMS: "tin nhắn SMS",
        Channel.PHONE: "cuộc gọi",
        Channel.EMAIL: "email",
        Channel.TELEGRAM: "Telegram",
    }


def test_template_kinds_keep_their_file_names():
    assert {c: s.kind for c, s in SPECS.items()} == {
        Channel.SMS: "sms",
        Channel.PHONE: "voice",
        Channel.EMAIL: "email",
        Channel.TELEGRAM: "chat",
    }
    assert [k.value for k in TemplateKind] == ["email", "sms", "chat", "voice"]
    assert f"{TemplateKind.SMS}.j2" == "sms.j2"


@pytest.mark.parametrize(
    ("channel", "typed", "stored"),
    [
        (Channel.SMS, "0912 345 678", "+84912345678"),
        (Channel.SMS, "+84912345678", "+84912345678"),
        (Channel.PHONE, "0912.345.678", "+84912345678"),
        (Channel.EMAIL, "  An.Nguyen@Example.VN ", "an.nguyen@example.vn"),
        (Channel.TELEGRAM, "555001", 555001),
        (Channel.TELEGRAM, 555001, 555001),
        (Channel.TELEGRAM, -1001234, -1001234),
    ],
)
def test_typed_addresses_are_normalised_to_what_the_store_keeps(channel, typed, stored):
    assert REGISTRY[channel].normalize(typed) == stored


@pytest.mark.parametrize(
    ("channel", "typed"),
    [
        (Channel.SMS, "12"),
        (Channel.SMS, "+15551234567"),
        (Channel.EMAIL, "an.example.vn"),
        (Channel.TELEGRAM, "abc"),
        (Channel.TELEGRAM, True),
        (Channel.TELEGRAM, 1.5),
        (Channel.TELEGRAM, 2**63),
    ],
)
def test_what_is_not_an_address_is_refused(channel, typed):
    with pytest.raises(ValueError):
        REGISTRY[channel].normalize(typed)


def test_adapter_addresses_are_stored_as_the_store_keys_them():
    # Adapters hand chat ids over as text; the store keys Telegram by number.
    assert REGISTRY[Channel.TELEGRAM].stored("555001") == 555001
    # A number abroad came in as E.164 and stays as it is, not re-normalised.
    assert REGISTRY[Channel.SMS].stored("+15551234567") == "+15551234567"
    assert REGISTRY[Channel.EMAIL].stored("an@example.vn") == "an@example.vn"
    assert REGISTRY[Channel.WEBCHAT].stored("session-1") == "session-1"


def test_masking_per_channel():
    assert REGISTRY[Channel.SMS].mask("+84912345678") == "+84*******78"
    assert REGISTRY[Channel.PHONE].mask("+84912345678") == "+84*******78"
    assert REGISTRY[Channel.EMAIL].mask("an.nguyen@example.vn") == "a***@example.vn"
    for channel in (Channel.TELEGRAM, Channel.WEBCHAT, Channel.KIOSK):
        assert REGISTRY[channel].mask("555001") == "555001"


def test_followable_channels_and_their_order():
    assert [s.channel for s in followable()] == [Channel.SMS, Channel.PHONE, Channel.EMAIL, Channel.TELEGRAM]
    for channel in (Channel.WEBCHAT, Channel.KIOSK):
        assert not REGISTRY[channel].followable


def test_addresses_of_a_citizen():
    assert {c: s.address(CITIZEN) for c, s in REGISTRY.items()} == {
        Channel.SMS: "+84912345678",
        Channel.PHONE: "+84912345678",
        Channel.EMAIL: "an@example.vn",
        Channel.TELEGRAM: "555001",
        Channel.WEBCHAT: None,
        Channel.KIOSK: None,
    }
    assert REGISTRY[Channel.EMAIL].address(Citizen(id="c2", full_name="B")) is None


def test_one_channel_per_address_field_for_finding_a_citizen():
    assert {f: s.channel for f, s in by_address_field().items()} == {
        "phone": Channel.SMS,
        "email": Channel.EMAIL,
        "telegram_chat_id": Channel.TELEGRAM,
    }


def test_only_email_carries_unsubscribe_links_and_threads_by_reference():
    assert {c for c, s in REGISTRY.items() if s.unsubscribe_link} == {Channel.EMAIL}
    assert {c for c, s in REGISTRY.items() if s.threads_by_reference} == {Channel.EMAIL}


def test_quiet_hours_and_deadlines_default_from_the_registry():
    channels = Channels()
    assert {c for c in SPECS if channels.quiet(c)} == {Channel.SMS, Channel.PHONE}
    assert {c: channels.receipt_deadline(c) for c in SPECS} == {
        Channel.SMS: 1800,
        Channel.PHONE: 1800,
        Channel.EMAIL: 7200,
        Channel.TELEGRAM: 600,
    }
    assert channels.kind(Channel.TELEGRAM) is TemplateKind.CHAT


def test_an_inbound_only_channel_takes_no_provider():
    class Kiosk:
        name = "kiosk"
        channel = Channel.KIOSK

    with pytest.raises(ValueError, match="cannot carry notifications"):
        Channels([Kiosk()])
