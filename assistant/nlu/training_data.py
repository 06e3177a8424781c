"""Reads a Rasa 3.x project (data/nlu.yml, domain.yml, config.yml) into plain
Python objects: examples with their entity spans, synonyms, regexes, lookup
tables, the intent list and the FallbackClassifier thresholds."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.port import Entity

PROJECT_DIR = Path(__file__).resolve().parent.parent  # the assistant/ package

# [text](entity), [text](entity:value), [text]{"entity": "e", "value": "v"}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True, slots=True)
class Example:
    text: str  # annotations stripped
    intent: str
    entities: tuple[Entity, ...] = ()  # spans in `text`; value = canonical value when given


@dataclass(slots=True)
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)  # domain order
    synonyms: dict[str, str] = field(default_factory=dict)  # variant (as written) -> canonical value
    regexes: list[tuple[str, str]] = field(default_factory=list)  # (entity, pattern), file order
    lookups: dict[str, list[str]] = field(default_factory=dict)  # entity -> elements
    threshold: float = 0.4  # FallbackClassifier defaults unless config.yml says otherwise
    ambiguity_threshold: float = 0.1


def strip_annotations(annotated: str) -> tuple[str, tuple[Entity, ...]]:
    """Plain text and its entities from one Rasa-annotated example."""
    out: list[str] = []
    entities: list[Entity] = []
    pos = 0  # in `annotated`
    length = 0  # of the plain text so far
    for m in _ANNOTATION.finditer(annotated):
        before = annotated[pos : m.start()]
        out.append(before)
        length += len(before)
        span = m.group("text")
        if m.group("json"):
            meta = json.loads(m.group("json"))
            name, value = meta["entity"], str(meta.get("value", span))
        else:
            name, _, value = m.group("short").partition(":")
            value = value or span
        entities.append(Entity(name.strip(), value, length, length + len(span)))
        out.append(span)
        length += len(span)
        pos = m.end()
    out.append(annotated[pos:])
    return "".join(out), tuple(entities)


def _example_lines(block) -> list[str]:
    """`examples: |` text block (or a list of strings / {text: ...} dicts)."""
    if isinstance(block, str):
        lines = []
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("- "):
                lines.append(line[2:].strip())
            elif line == "-":
                continue
        return [line for line in lines if line]
    if isinstance(block, list):
        return [str(item["text"] if isinstance(item, dict) else item).strip() for item in block]
    return []


def load_nlu(paths: list[Path], data: TrainingData) -> None:
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if "intent" in item:
                intent = str(item["intent"])
                for line in _example_lines(item.get("examples")):
                    text, entities = strip_annotations(line)
                    data.examples.append(Example(text, intent, entities))
            elif "synonym" in item:
                value = str(item["synonym"])
                for variant in _example_lines(item.get("examples")):
                    data.synonyms[variant] = value
            elif "regex" in item:
                for pattern in _example_lines(item.get("examples")):
                    data.regexes.append((str(item["regex"]), pattern))
            elif "lookup" in item:
                data.lookups.setdefault(str(item["lookup"]), []).extend(_example_lines(item.get("examples")))


def load_project(project_dir: Path | None = None, nlu_files: list[Path] | None = None) -> TrainingData:
    """Everything the built-in NLU trains on. `nlu_files` defaults to every
    *.yml under data/ that has an `nlu:` section."""
    project_dir = Path(project_dir) if project_dir else PROJECT_DIR
    data = TrainingData()
    domain_path = project_dir / "domain.yml"
    if domain_path.exists():
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
        for intent in domain.get("intents") or []:
            data.intents.append(next(iter(intent)) if isinstance(intent, dict) else str(intent))
    config_path = project_dir / "config.yml"
    if config_path.exists():
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        for component in config.get("pipeline") or []:
            if component.get("name") == "FallbackClassifier":
                data.threshold = float(component.get("threshold", data.threshold))
                data.ambiguity_threshold = float(component.get("ambiguity_threshold", data.ambiguity_threshold))
    if nlu_files is None:
        nlu_files = sorted((project_dir / "data").glob("*.yml"))
    load_nlu([Path(p) for p in nlu_files], data)
    known = set(data.intents)
    for ex in data.examples:  # intents with examples but missing from the domain still count
        if ex.intent not in known:
            data.intents.append(ex.intent)
            known.add(ex.intent)
    return data


def load_test_set(path: Path) -> list[Example]:
    """A held-out file in the same Rasa NLU YAML format."""
    data = TrainingData()
    load_nlu([Path(path)], data)
    return data.examples
