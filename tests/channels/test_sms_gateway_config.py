"""TONGDAI_SMS_GATEWAYS: a wrong configuration is refused with the gateway
and the key named."""

from __future__ import annotations

import orjson
import pytest

from channels.sms_gateway_config import parse_gateways
from tests.support.sms_gateway import config


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "ftp://x"}, "url"),
        ({"body": {"to": "{to}", "content": "{txt}"}}, "unknown placeholder {txt}"),
        ({"body": {"content": "{text}"}}, "must contain"),
        ({"auth": {"type": "basic", "username": "u"}}, "auth.password"),
        ({"name": "twilio"}, "name"),
        ({"rate": -1}, "rate"),
        ({"id_feild": "x"}, "id_feild: unknown key"),
        ({"method": "GET"}, "method"),
    ],
)
def test_bad_gateway_configuration_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        parse_gateways(orjson.dumps([{**config("https://sms.example.vn/send"), **change}]).decode())


def test_gateway_list_errors():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_gateways("[{")
    with pytest.raises(ValueError, match="JSON list"):
        parse_gateways("{}")
    with pytest.raises(ValueError, match="duplicate name 'vnpt'"):
        parse_gateways(orjson.dumps([config("https://a.vn"), config("https://b.vn")]).decode())
    assert parse_gateways("  ") == []
