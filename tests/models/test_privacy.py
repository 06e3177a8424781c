import json
import logging

from hub.logs import JsonFormatter
from models.privacy import mask_name, mask_text


def test_name_is_masked_word_by_word():
    assert mask_name("Nguyễn Văn An") == "N*** V*** A"
    assert mask_name("Lê Thị Bích Ngọc") == "L*** T*** B*** N"
    assert mask_name("An") == "A"


def test_personal_data_is_masked_in_free_text():
    text = mask_text("gọi 0912345678 hoặc +84987654321, email an.nguyen@example.vn, CCCD 001203004567")
    for secret in ("0912345678", "84987654321", "an.nguyen@", "001203004567"):
        assert secret not in text
    assert "@example.vn" in text  # the domain helps an operator; the person is hidden


def test_json_logs_never_carry_unmasked_personal_data():
    record = logging.makeLogRecord(
        {
            "msg": "SMS to %s failed",
            "args": ("+84912345678",),
            "levelname": "WARNING",
            "name": "x",
            "recipient": "an.nguyen@example.vn",
        }
    )
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "912345678" not in line and "an.nguyen" not in line
    assert entry["level"] == "warning" and entry["msg"].startswith("SMS to +84")
