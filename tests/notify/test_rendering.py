"""Templates as the citizen reads them: every shipped template renders on
every channel, HTML is escaped, a missing variable is an error and not a
blank, operators override file by file, and the voice script is speakable."""

from __future__ import annotations

import pytest

from notify.filters import spell, spoken, spoken_time
from notify.preview import preview
from notify.rendering import KINDS, TemplateError, Templates
from tests.support.templates import SHIPPED, sample


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_on_every_channel_in_vietnamese(templates, name, kind):
    rendered = templates.render(name, kind, sample(templates, name))
    assert rendered.text.strip()
    assert "None" not in rendered.text
    if name == "agent_reply":  # an agent's words, as written (the voice reads abbreviations out)
        first = templates.meta(name).sample["text"].split(",")[0]
        assert first in rendered.text
    elif name != "broadcast":
        data = templates.meta(name).sample
        # A follow confirmation names the dossier alone: its details are not the stranger's to read.
        code = data["dossier"]["code"] if "dossier" in data else data["dossier_code"]
        assert (spell(code) if kind == "voice" else code) in rendered.text
    if kind == "email":
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.html.lower().startswith(("<!doctype", "<html"))
    if kind == "sms":
        assert rendered.sms.encoding == "UCS-2"  # Vietnamese with diacritics
        assert rendered.sms.segments <= 3


def test_a_missing_variable_is_an_error_naming_it(templates):
    context = sample(templates, "status_changed")
    del context["dossier"]["status_label"]
    with pytest.raises(TemplateError, match="status_label"):
        templates.render("status_changed", "sms", context)


def test_html_is_escaped_and_plain_text_is_not(templates):
    context = sample(templates, "status_changed")
    context["dossier"]["note"] = "Nộp <b>lệ phí</b> & ký tên\ndòng hai"
    rendered = templates.render("status_changed", "email", context)
    assert "Nộp &lt;b&gt;lệ phí&lt;/b&gt; &amp; ký tên<br>" in rendered.html
    assert "<b>lệ phí</b>" not in rendered.html
    assert "Nộp <b>lệ phí</b> & ký tên" in rendered.text


def test_supplement_lists_the_missing_documents(templates):
    context = sample(templates, "supplement_requested")
    rendered = templates.render("supplement_requested", "email", context)
    for document in context["missing_documents"]:
        assert document in rendered.text and document in rendered.html
    assert "23/10/2026" in rendered.text  # the deadline


def test_result_ready_says_where_to_collect_or_that_it_comes_by_post(templates):
    context = sample(templates, "result_ready")
    counter = templates.render("result_ready", "chat", context).text
    assert context["result"]["place"] in counter
    context["result"]["method"] = "post"
    by_post = templates.render("result_ready", "chat", context).text
    assert "bưu điện" in by_post and "EB123456789VN" in by_post
    assert context["result"]["place"] not in by_post


def test_overdue_apology_gives_the_new_date_when_there_is_one(templates):
    context = sample(templates, "overdue_apology")
    text = templates.render("overdue_apology", "sms", context).text
    assert "xin lỗi" in text.lower()
    assert "Hẹn trả mới: 27/10/2026" in text
    context["new_due_at_display"] = None
    without = templates.render("overdue_apology", "sms", context).text
    assert "None" not in without and "Hẹn trả mới" not in without


def test_voice_spells_codes_reads_abbreviations_and_drops_links(templates):
    context = sample(templates, "status_changed")
    context["dossier"]["note"] = "Xem chi tiết tại https://dichvucong.gov.vn/hs. UBND phường ký."
    text = templates.render("status_changed", "voice", context).text
    assert "https://" not in text and "dichvucong" not in text
    assert "Ủy ban nhân dân phường ký" in text and "UBND" not in text
    assert "17 giờ ngày 20 tháng 10 năm 2026" in text  # the due date, as a speech engine reads it
    assert "bê, dê, gạch ngang, hai" in text
    assert spell("BD-1") == "bê, dê, gạch ngang, một"
    assert spoken("UBND phường, xem https://x.vn/a.") == "Ủy ban nhân dân phường, xem."
    assert spoken_time("05/12/2026 17:00") == "17 giờ ngày 5 tháng 12 năm 2026"
    assert spoken_time("05/12/2026 07:30") == "7 giờ 30 phút ngày 5 tháng 12 năm 2026"


def test_an_operator_overrides_one_file_and_keeps_the_rest(tmp_path):
    folder = tmp_path / "status_changed"
    folder.mkdir()
    # Notepad writes a BOM; it must not reach the SMS.
    (folder / "sms.j2").write_text("\ufeffTB: hồ sơ {{ dossier.code }} – {{ dossier.status_label }}", encoding="utf-8")
    templates = Templates(tmp_path)
    context = sample(templates, "status_changed")
    assert (
        templates.render("status_changed", "sms", context).text
        == f"TB: hồ sơ {context['dossier']['code']} – {context['dossier']['status_label']}"
    )
    assert "Ông/Bà" in templates.render("status_changed", "chat", context).text  # not overridden
    assert templates.check() == []


def test_unknown_template_or_kind_is_a_clear_error(templates):
    with pytest.raises(TemplateError, match="không có mẫu"):
        templates.render("khong_co", "sms", {})
    with pytest.raises(TemplateError, match="loại tin"):
        templates.render("status_changed", "fax", {})
    with pytest.raises(TemplateError, match="không tồn tại"):
        Templates("/nonexistent/templates")


def test_preview_of_an_sms_states_its_encoding_and_segments(templates):
    text = preview(templates, "status_changed", "sms")
    assert "Mã hóa: UCS-2" in text and "tin nhắn" in text
    email = preview(templates, "dossier_received", "email")
    assert email.startswith("Tiêu đề: ") and "HTML" in email
