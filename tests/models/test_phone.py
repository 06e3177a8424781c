import pytest

from models.phone import normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "+84912345678", "84912345678", "0084912345678", "091 234 5678", "091.234.5678", "(+84) 912-345-678"],
)
def test_vietnamese_forms_become_e164(raw):
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    "raw", ["", "12345", "091234567", "09123456789", "+840912345678", "+1 202 555 0100", "0912abc678"]
)
def test_bad_numbers_are_refused_in_vietnamese(raw):
    with pytest.raises(ValueError, match="không hợp lệ"):
        normalize_phone(raw)
