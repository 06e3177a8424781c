"""The template check finds what would break a citizen's message before it is sent."""

from __future__ import annotations

import pytest

from notify.rendering import TemplateError, Templates
from notify.template_check import check
from tests.support.templates import SHIPPED, sample


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


def test_the_shipped_templates_pass_their_own_check(templates):
    assert templates.names() == SHIPPED
    assert check(templates) == []


def test_a_broken_override_is_reported_at_load_and_refused_at_render(tmp_path):
    folder = tmp_path / "status_changed"
    folder.mkdir()
    (folder / "sms.j2").write_text("Hồ sơ {{ dossier.code }", encoding="utf-8")
    (folder / "chat.j2").write_text("Hồ sơ {{ dossier.cdoe }}", encoding="utf-8")
    templates = Templates(tmp_path)
    problems = "\n".join(check(templates))
    assert "sms.j2" in problems and "cdoe" in problems
    with pytest.raises(TemplateError, match="cú pháp"):
        templates.render("status_changed", "sms", sample(templates, "status_changed"))
    with pytest.raises(TemplateError, match="cdoe"):
        templates.render("status_changed", "chat", sample(templates, "status_changed"))


def test_a_new_template_without_metadata_and_unknown_names_are_reported(tmp_path):
    (tmp_path / "khai_truong").mkdir()
    (tmp_path / "khai_truong" / "sms.j2").write_text("Khai trương {{ title }}", encoding="utf-8")
    (tmp_path / "khai_truong" / "smss.j2").write_text("x", encoding="utf-8")
    templates = Templates(tmp_path)
    problems = "\n".join(check(templates))
    assert "thiếu template.toml" in problems and "smss.j2" in problems
    assert templates.render("khai_truong", "sms", {"title": "bưu cục"}).text == "Khai trương bưu cục"
    with pytest.raises(TemplateError, match="không có bản email"):
        templates.render("khai_truong", "email", {"title": "x"})
