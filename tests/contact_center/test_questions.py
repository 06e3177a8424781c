"""Issue 11 item 13: how a letter is cut into its questions (the whole path,
SMTP in and out, is tests/channels/test_email_questions.py)."""

from __future__ import annotations

from contact_center.questions import MAX_QUESTIONS, excerpt, split_questions


def test_salutation_signature_and_list_marks_are_not_questions():
    body = (
        "Kính gửi Tổng đài,\n\n"
        "1. Tôi đã nộp hồ sơ khai sinh. Lệ phí là bao nhiêu?\n"
        "2) Mất bao lâu?\n\n"
        "Trân trọng,\nNguyễn Văn Đức\nĐT: 0912345678?\n"
    )
    assert split_questions(body) == ["Tôi đã nộp hồ sơ khai sinh. Lệ phí là bao nhiêu?", "Mất bao lâu?"]


def test_statements_after_the_last_question_stay_with_it():
    assert split_questions("Lệ phí bao nhiêu? Nộp ở đâu? Tôi ở phường Phú Lợi.") == [
        "Lệ phí bao nhiêu?",
        "Nộp ở đâu? Tôi ở phường Phú Lợi.",
    ]


def test_fewer_than_two_questions_is_the_text_unchanged():
    for text in ("Tôi đã nộp bổ sung.\nKhi nào có kết quả?", "Cảm ơn Tổng đài.", ""):
        assert split_questions(text) == [text]


def test_a_long_list_is_capped():
    parts = split_questions(" ".join(f"Câu {i}?" for i in range(1, 9)))
    assert len(parts) == MAX_QUESTIONS and parts[-1] == "Câu 5? Câu 6? Câu 7? Câu 8?"


def test_a_signature_separator_and_a_phone_footer_end_the_letter():
    assert split_questions("Hỏi một? Hỏi hai?\n-- \nHỏi ba?") == ["Hỏi một?", "Hỏi hai?"]
    assert split_questions("Hỏi một?\nHỏi hai?\nSent from my iPhone") == ["Hỏi một?", "Hỏi hai?"]
    assert excerpt("Tôi ở xã A. " + "Lệ phí " * 30 + "?").endswith("…")
