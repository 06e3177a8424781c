"""The template check (`tongdai templates check`): every template on every
channel rendered with its sample, and again with the sample's optional values
emptied, so that a broken override is found before a citizen's message is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from notify.rendering import KINDS, TemplateError, Templates


def check(templates: Templates) -> list[str]:
    """Everything wrong with the templates as loaded: files, metadata, and
    each template x kind rendered with its sample and with the sample's
    optional values emptied. Empty when all is well."""
    problems = templates.shared_problems()
    for name in templates.names():
        problems += templates.load_problems(name)
        sample = templates.meta(name).sample
        for kind in KINDS:
            if not templates.compiled(name, kind):
                continue
            for label, context in _variants(sample):
                try:
                    templates.render(name, kind, context)
                except TemplateError as exc:
                    problems.append(f"{exc} ({label})")
    return problems


# Values the contract allows to be empty; a template must read well without them.
_OPTIONAL: dict[str, Any] = {
    "citizen_name": "",
    "unsubscribe_url": None,
    "new_due_at_display": None,
    "deadline_display": None,
    "missing_documents": [],
}
_OPTIONAL_DOSSIER = {
    "previous_status_label": None,
    "at_display": None,
    "due_at_display": None,
    "received_at_display": None,
    "note": "",
}
_OPTIONAL_RESULT = {"hours": None, "tracking_code": None, "address": None}


def _variants(sample: dict) -> Iterable[tuple[str, dict]]:
    yield "mẫu thử", sample
    sparse = {**sample, **{k: v for k, v in _OPTIONAL.items() if k in sample}}
    if isinstance(sample.get("dossier"), dict):
        sparse["dossier"] = {**sample["dossier"], **_OPTIONAL_DOSSIER}
    if isinstance(sample.get("org"), dict):
        sparse["org"] = {**sample["org"], "hotline": "", "website": ""}
    if isinstance(sample.get("result"), dict):
        for method in ("counter", "post"):
            result = {**sample["result"], "method": method, "place": sample["result"].get("place", "")}
            yield f"result.method = {method}", {**sample, "result": result}
            yield (
                f"result.method = {method}, giá trị tùy chọn để trống",
                {**sparse, "result": {**result, **_OPTIONAL_RESULT}},
            )
    else:
        yield "giá trị tùy chọn để trống", sparse
