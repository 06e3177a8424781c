"""The dossier code in a receipt's QR code (Circular 01/2023/TT-VPCP: the
dossier code beside the procedure code, the applicant's ID, the issuing
system, the time and the appointment date), in each form the one-stop-shop
systems print, and a plain code."""

from __future__ import annotations

import json

import pytest

from models.receipt_qr import MAX_PAYLOAD, dossier_code_from_qr

NATIONAL = "000.00.21.H12-261130-0505"
PROVINCIAL = "BD-261130-0606"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        # A JSON object, as several provincial systems print it.
        (
            json.dumps(
                {
                    "MaHoSo": NATIONAL,
                    "MaTTHC": "1.001234",
                    "SoGiayTo": "001090012345",
                    "HeThong": "Hệ thống một cửa điện tử tỉnh",
                    "ThoiGian": "2026-11-30T08:15:00+07:00",
                    "NgayHenTra": "2026-12-05",
                },
                ensure_ascii=False,
            ),
            NATIONAL,
        ),
        (json.dumps({"ma_ho_so": "bd-261130-0606", "cccd": "001090012345"}), PROVINCIAL),
        (json.dumps({"dossier_code": "MC2026.000123"}), "MC2026.000123"),
        # key=value pairs separated by | or ;
        (f"MaHoSo={PROVINCIAL}|MaTTHC=1.001234|CCCD=001090012345|HeThong=MCDT|NgayHen=05/12/2026", PROVINCIAL),
        (f"Mã hồ sơ: {PROVINCIAL}; Mã TTHC: 1.001234; Ngày hẹn: 05/12/2026", PROVINCIAL),
        # a portal's look-up URL
        (f"https://dichvucong.example.gov.vn/tra-cuu-ho-so?mahoso={NATIONAL}&cccd=001090012345", NATIONAL),
        (f"https://motcua.example.gov.vn/tracuu?code={PROVINCIAL}", PROVINCIAL),
        # unnamed fields: the one written as a dossier code
        (f"1.001234|{PROVINCIAL}|001090012345|MCDT|2026-11-30 08:15|2026-12-05", PROVINCIAL),
        # the code alone, as a scanner types it or a person does (an en dash, lower case, full width)
        (PROVINCIAL, PROVINCIAL),
        ("bd–261130–0606", PROVINCIAL),
        ("ＢＤ-２６１１３０-０６０６", PROVINCIAL),
        (f"  {NATIONAL}\n", NATIONAL),
        ("MC2026.000123", "MC2026.000123"),
    ],
)
def test_the_dossier_code_is_found(payload, code):
    assert dossier_code_from_qr(payload) == code


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "",
        "   ",
        "{",
        "[1, 2]",
        json.dumps({"MaTTHC": "1.001234", "CCCD": "001090012345"}),
        json.dumps({"MaHoSo": ["x"]}),
        "MaTTHC=1.001234|CCCD=001090012345",
        "https://example.gov.vn/",
        "ab#cd!",
        "x" * (MAX_PAYLOAD + 1),
    ],
)
def test_nothing_that_is_not_a_code(payload):
    assert dossier_code_from_qr(payload) is None


def test_the_applicants_id_is_never_taken_for_the_code():
    assert dossier_code_from_qr("001090012345|1.001234") is None
