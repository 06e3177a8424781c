"""Notification templates: Jinja2 files per template and message kind, shipped
in notify/templates/ and overridable file by file from a directory the
province controls. The filters they use are in notify/filters.py; checking
them all is notify/template_check.py.

Every file is read and compiled when `Templates` is built (once, at start-up,
off the event loop); rendering only runs compiled code, because it is on the
sender's hot path. A variable a template names but the context lacks is an
error, never a blank in thousands of citizens' messages."""

from __future__ import annotations

import copy
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from models.errors import PermanentError
from models.smstext import SmsCount, count, unaccent
from models.templates import TemplateKind
from notify.filters import FILTERS, blank_none, one_line

KINDS = tuple(TemplateKind)

# kind -> the files it renders, in Rendered's order (text, subject, html).
FILES = {
    TemplateKind.EMAIL: ("email.txt.j2", "email_subject.j2", "email.html.j2"),
    TemplateKind.SMS: ("sms.j2",),
    TemplateKind.CHAT: ("chat.j2",),
    TemplateKind.VOICE: ("voice.j2",),
}
META_FILE = "template.toml"
_KNOWN = {f for files in FILES.values() for f in files} | {META_FILE}
_META_KEYS = {"description": str, "urgent": bool, "sms_unaccented": bool, "sample": dict}

# What every sample starts from, so that a template.toml only says what is
# particular to it.
BASE_SAMPLE: dict[str, Any] = {
    "citizen_name": "Nguyễn Thị Lan",
    "org": {
        "name": "Trung tâm Phục vụ hành chính công tỉnh Bình Dương",
        "hotline": "1900 1234",
        "website": "https://dichvucong.binhduong.gov.vn",
    },
    "unsubscribe_url": "https://tongdai.example.gov.vn/unsubscribe/sample",
}


class TemplateError(PermanentError):
    """A template that cannot be rendered: unknown, missing a file, broken, or
    asking for a variable the context does not have."""


@dataclass(frozen=True, slots=True)
class TemplateMeta:
    name: str
    description: str
    urgent: bool  # goes out even in quiet hours
    sms_unaccented: bool  # SMS without diacritics: GSM-7, less than half the segments
    sample: dict  # a full context, for preview and check


@dataclass(frozen=True, slots=True)
class Rendered:
    kind: str
    text: str
    subject: str | None = None
    html: str | None = None
    sms: SmsCount | None = None


# whitespace

_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


def _paragraphs(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", _TRAILING.sub("", text)).strip()


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# loading


def _default_root():
    return resources.files("notify") / "templates"


def _read_tree(root, into: dict[str, dict[str, str]], problems: list[str]) -> None:
    """{template name: {file name: source}}; a later tree wins file by file."""
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name.startswith((".", "__")):
            continue
        files = into.setdefault(folder.name, {})
        for entry in folder.iterdir():
            if entry.is_file() and not entry.name.startswith("."):
                try:
                    # utf-8-sig: Notepad on the clerks' machines starts files with a BOM.
                    files[entry.name] = entry.read_text(encoding="utf-8-sig")
                except UnicodeDecodeError:
                    problems.append(f"{folder.name}/{entry.name}: không phải văn bản UTF-8, đã bỏ qua")


def _syntax(exc: jinja2.TemplateSyntaxError) -> str:
    return f"lỗi cú pháp ở {exc.name} dòng {exc.lineno}: {exc.message}"


class _Environment(jinja2.Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # Contexts are plain dicts: `dossier.code` looks the key up first. Jinja's
        # own order (attribute, then key) raises and catches an AttributeError on
        # every such lookup, which was a fifth of an SMS render.
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@dataclass(frozen=True, slots=True)
class _Compiled:
    text: jinja2.Template
    subject: jinja2.Template | None = None
    html: jinja2.Template | None = None


class Templates:
    def __init__(self, override_dir: Path | None = None):
        sources: dict[str, dict[str, str]] = {}
        self._shared_problems: list[str] = []
        _read_tree(_default_root(), sources, self._shared_problems)
        if override_dir is not None:
            if not Path(override_dir).is_dir():
                raise TemplateError(f"thư mục mẫu thông báo {override_dir} không tồn tại")
            _read_tree(Path(override_dir), sources, self._shared_problems)
        # Folders starting with "_" hold shared layouts ({% extends %}), not templates.
        self._names = sorted(n for n in sources if not n.startswith("_"))
        self._env = _Environment(
            loader=jinja2.DictLoader({f"{n}/{f}": src for n, files in sources.items() for f, src in files.items()}),
            undefined=jinja2.StrictUndefined,
            autoescape=lambda filename: bool(filename and filename.endswith(".html.j2")),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            cache_size=-1,
            finalize=blank_none,
        )
        self._env.filters.update(FILTERS)
        self._problems: dict[str, list[str]] = {}
        self._meta: dict[str, TemplateMeta] = {}
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._broken: dict[tuple[str, str], str] = {}
        for shared in sorted(n for n in sources if n.startswith("_")):
            for filename in sorted(sources[shared]):
                if filename.endswith(".j2"):  # compiled now, not on some citizen's first message
                    try:
                        self._env.get_template(f"{shared}/{filename}").globals = dict(self._env.globals)
                    except jinja2.TemplateSyntaxError as exc:
                        self._shared_problems.append(_syntax(exc))
        for name in self._names:
            files = sources[name]
            problems = self._problems.setdefault(name, [])
            problems += [
                f"{name}/{f}: tên tệp không dùng đến (các tệp hợp lệ: {', '.join(sorted(_KNOWN))})"
                for f in sorted(set(files) - _KNOWN)
                if f.endswith((".j2", ".toml"))
            ]
            self._meta[name] = self._load_meta(name, files.get(META_FILE), problems)
            for kind, wanted in FILES.items():
                self._compile(name, kind, wanted, files, problems)

    def _load_meta(self, name: str, source: str | None, problems: list[str]) -> TemplateMeta:
        data: dict = {}
        if source is None:
            problems.append(f"{name}: thiếu {META_FILE}")
        else:
            try:
                data = tomllib.loads(source)
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"{name}/{META_FILE}: TOML sai: {exc}")
        for key, value in list(data.items()):
            wanted = _META_KEYS.get(key)
            if wanted is None:
                problems.append(f"{name}/{META_FILE}: khóa '{key}' không dùng đến")
            elif not isinstance(value, wanted):
                problems.append(f"{name}/{META_FILE}: '{key}' phải là {wanted.__name__}")
                del data[key]
        return TemplateMeta(
            name=name,
            description=data.get("description", ""),
            urgent=data.get("urgent", False),
            sms_unaccented=data.get("sms_unaccented", False),
            sample=copy.deepcopy({**BASE_SAMPLE, **data.get("sample", {})}),
        )

    def _compile(
        self, name: str, kind: str, wanted: tuple[str, ...], files: dict[str, str], problems: list[str]
    ) -> None:
        missing = [f for f in wanted if f not in files]
        if missing:
            self._broken[(name, kind)] = f"mẫu '{name}' không có bản {kind} (thiếu {', '.join(missing)})"
            problems.append(self._broken[(name, kind)])
            return
        try:
            compiled = [self._env.get_template(f"{name}/{f}") for f in wanted]
        except jinja2.TemplateSyntaxError as exc:
            self._broken[(name, kind)] = f"mẫu '{name}', bản {kind}: {_syntax(exc)}"
            problems.append(self._broken[(name, kind)])
            return
        for template in compiled:
            # Jinja keeps a template's globals in a ChainMap, which every render
            # copies key by key in Python: half an SMS render. Nothing changes
            # them after loading, so a plain dict says the same, faster.
            template.globals = dict(template.globals)
        self._compiled[(name, kind)] = _Compiled(*compiled)

    # reading

    def names(self) -> list[str]:
        return list(self._names)

    def meta(self, name: str) -> TemplateMeta:
        try:
            return self._meta[name]
        except KeyError:
            raise TemplateError(f"không có mẫu thông báo '{name}'") from None

    def render(self, name: str, kind: str, context: Mapping) -> Rendered:
        compiled = self._compiled.get((name, kind))
        if compiled is None:
            raise self._unavailable(name, kind)
        try:
            if kind == TemplateKind.SMS:
                # A shortened value ends in "…"; the template's full stop after it is one too many.
                text = one_line(_nfc(compiled.text.render(context))).replace("….", "…")
                if self._meta[name].sms_unaccented:
                    text = unaccent(text)
                return Rendered(kind, text, sms=count(text))
            if kind == TemplateKind.EMAIL:
                subject, html = compiled.subject, compiled.html
                if subject is None or html is None:  # an email compiles from all three files: never
                    raise TemplateError(f"mẫu '{name}', bản {kind}: thiếu tiêu đề hoặc HTML")
                return Rendered(
                    kind,
                    _paragraphs(_nfc(compiled.text.render(context))),
                    subject=one_line(_nfc(subject.render(context))),
                    html=_nfc(html.render(context)).strip(),
                )
            return Rendered(kind, _paragraphs(_nfc(compiled.text.render(context))))
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"mẫu '{name}', bản {kind}: thiếu biến: {exc.message}") from None
        # A filter given the wrong type, a broken layout: the template's fault, and
        # the sender must see a PermanentError to move on to the next channel.
        except Exception as exc:  # noqa: BLE001
            raise TemplateError(f"mẫu '{name}', bản {kind}: {type(exc).__name__}: {exc}") from None

    def _unavailable(self, name: str, kind: str) -> TemplateError:
        if kind not in FILES:
            return TemplateError(f"loại tin '{kind}' không có; dùng một trong {', '.join(KINDS)}")
        if name not in self._meta:
            return TemplateError(f"không có mẫu thông báo '{name}'")
        return TemplateError(self._broken[(name, kind)])

    def check(self) -> list[str]:
        """What notify.template_check.check finds wrong with these templates."""
        from notify.template_check import check  # it renders through this module

        return check(self)

    # what loading found, for the check

    def shared_problems(self) -> list[str]:
        """Problems in the shared layouts (folders starting with "_")."""
        return list(self._shared_problems)

    def load_problems(self, name: str) -> list[str]:
        """What loading found wrong with one template's files and metadata."""
        return list(self._problems[name])

    def compiled(self, name: str, kind: str) -> bool:
        return (name, kind) in self._compiled
