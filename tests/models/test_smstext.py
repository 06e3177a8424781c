import unicodedata

import pytest

from models.smstext import GSM_BASIC, SmsCount, count, encoding, unaccent

STATUS_SMS = (
    "Hồ sơ BD-261015-0077 (Đăng ký khai sinh) đã được UBND phường Phú Lợi tiếp nhận lúc "
    "15/10/2026 09:30, hẹn trả kết quả 20/10/2026 17h."
)


def test_a_132_character_status_sms_costs_two_segments_with_diacritics_and_one_without():
    assert len(STATUS_SMS) == 132
    assert count(STATUS_SMS) == SmsCount("UCS-2", 132, 2, 67, 132)
    plain = unaccent(STATUS_SMS)
    assert plain == (
        "Ho so BD-261015-0077 (Dang ky khai sinh) da duoc UBND phuong Phu Loi tiep nhan luc "
        "15/10/2026 09:30, hen tra ket qua 20/10/2026 17h."
    )
    assert count(plain) == SmsCount("GSM-7", 132, 1, 160, 132)


@pytest.mark.parametrize("text", ["Hòa Bình", "bè", "Café", "ÉP", "mì", "hò", "Thù", "@£$¥ § ¿¡ Δ", "Dich vu"])
def test_the_few_accented_letters_gsm_has_keep_gsm7(text):
    assert encoding(text) == "GSM-7"


@pytest.mark.parametrize(
    "text",
    [
        "Hồ sơ",
        "đ",
        "Đà Nẵng",
        "á",
        "ả",
        "ạ",
        "ư",
        "ơ",
        "â",
        "ă",
        "ê",
        "ô",
        "À",
        "È",
        "“trích dẫn”",
        "a–b",
        "…",
        "\u00a0",
        "`",
        "\t",
        "😀",
    ],
)
def test_any_other_character_forces_ucs2(text):
    assert encoding(text) == "UCS-2"


def test_only_six_lowercase_vietnamese_accented_letters_are_gsm():
    # Every lowercase Vietnamese vowel with any tone or vowel mark.
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    letters = {unicodedata.normalize("NFC", v + t) for v in vowels for t in tones} - set("aeiouy")
    assert len(letters | {"đ"}) == 67
    assert sorted(c for c in letters | {"đ"} if c in GSM_BASIC) == sorted("àèéìòù")


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (153 * 3, 3, 153)],
)
def test_gsm7_boundaries(length, segments, per_segment):
    c = count("a" * length)
    assert (c.encoding, c.units, c.segments, c.per_segment) == ("GSM-7", length, segments, per_segment)


@pytest.mark.parametrize(
    ("length", "segments", "per_segment"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67), (67 * 3, 3, 67)],
)
def test_ucs2_boundaries(length, segments, per_segment):
    c = count("ố" * length)
    assert (c.encoding, c.units, c.segments, c.per_segment) == ("UCS-2", length, segments, per_segment)


def test_empty_text_is_no_message():
    assert count("") == SmsCount("GSM-7", 0, 0, 160, 0)


@pytest.mark.parametrize("char", list("€[]{}\\^~|\f"))
def test_extension_characters_cost_two_septets(char):
    assert count(char) == SmsCount("GSM-7", 2, 1, 160, 1)
    assert count("a" * 158 + char).segments == 1
    assert count("a" * 159 + char) == SmsCount("GSM-7", 161, 2, 153, 160)


def test_an_escape_sequence_is_not_split_between_segments():
    # 152 + € (2) does not fit in 153: the € starts the second part.
    assert count("a" * 152 + "€" + "a" * 152).segments == 3
    assert count("a" * 151 + "€" + "a" * 153).segments == 2


def test_emoji_are_two_utf16_units():
    c = count("Cảm ơn 🙏")
    assert (c.encoding, c.units, c.characters) == ("UCS-2", 9, 8)
    assert count("😀" * 35).segments == 1
    assert count("😀" * 35 + "a") == SmsCount("UCS-2", 71, 2, 67, 36)


def test_a_surrogate_pair_is_not_split_between_segments():
    assert count("ố" * 66 + "😀" + "ố" * 66).segments == 3
    assert count("ố" * 65 + "😀" + "ố" * 67).segments == 2


def test_decomposed_text_is_counted_as_sent():
    decomposed = unicodedata.normalize("NFD", "Hồ sơ")
    assert count(decomposed).units == len(decomposed) > 5


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        ("Đề nghị bổ sung bản sao Căn cước công dân", "De nghi bo sung ban sao Can cuoc cong dan"),
        ("Trung tâm Phục vụ hành chính công tỉnh Bình Dương", "Trung tam Phuc vu hanh chinh cong tinh Binh Duong"),
        ("ĐẶNG THỊ HƯỜNG, Quỳnh Lưu, Nghệ An", "DANG THI HUONG, Quynh Luu, Nghe An"),
        ("Ủy ban nhân dân xã Ea Tiêu, Krông Ana", "Uy ban nhan dan xa Ea Tieu, Krong Ana"),
        ("à è é ì ò ù É", "a e e i o u E"),
        ("Phí 8.000₫", "Phi 8.000d"),
    ],
)
def test_unaccent_keeps_the_meaning(accented, plain):
    assert unaccent(accented) == plain
    assert encoding(unaccent(accented)) == "GSM-7"


def test_unaccent_handles_decomposed_and_precomposed_alike():
    text = "Hồ sơ đã được tiếp nhận; hẹn trả kết quả ngày 20/10. Ưu tiên người cao tuổi."
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert (
        unaccent(nfd)
        == unaccent(text)
        == "Ho so da duoc tiep nhan; hen tra ket qua ngay 20/10. Uu tien nguoi cao tuoi."
    )


def test_unaccent_maps_typography_to_gsm():
    text = "“Giấy hẹn” – bản chính…\u00a0‘CCCD’ — 7h30\u200b-17h · Tab\there"
    assert unaccent(text) == "\"Giay hen\" - ban chinh... 'CCCD' - 7h30-17h - Tab here"
    assert encoding(unaccent(text)) == "GSM-7"


def test_unaccent_leaves_plain_text_and_other_scripts_alone():
    assert unaccent("Ho so BD-1") == "Ho so BD-1"
    assert unaccent("서울 Hà Nội") == "서울 Ha Noi"  # decomposed Hangul is put back together
