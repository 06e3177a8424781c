"""Entity extraction: regex entities (dossier codes, verification digits) from
the `regex:` blocks of nlu.yml, and gazetteer entities (procedures) from the
synonym table, the annotated examples and `lookup:` blocks, matched token by
token on the normalised, diacritics-free text, longest match first. Values
are canonical (the synonym key); offsets are in the original text."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from assistant.nlu.normalize import Token, tokenize
from assistant.nlu.training_data import TrainingData
from assistant.port import Entity

# Regex entities reported upper-cased (codes are case-insensitive when typed).
UPPERCASE_ENTITIES = frozenset({"dossier_code"})
# Verbs that annotators leave outside a procedure span ("làm [sổ đỏ](procedure)")
# even though the synonym table lists "làm sổ đỏ": the span is trimmed.
TRIM_PREFIXES = frozenset({"lam"})
# Characters that glue a number to its neighbour: "12/2024", "10:30", "1.000"
_GLUE = ".,:/-"


@dataclass(frozen=True, slots=True)
class _Phrase:
    entity: str
    value: str
    accented: frozenset[tuple[str, ...]]  # accented token sequences that were written for it


def _glued(text: str, start: int, end: int) -> bool:
    before = start >= 2 and text[start - 1] in _GLUE and text[start - 2].isalnum()
    after = end + 1 < len(text) and text[end] in _GLUE and text[end + 1].isalnum()
    return before or after


class EntityExtractor:
    def __init__(self, data: TrainingData) -> None:
        self.regexes = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in data.regexes]
        regex_entities = {name for name, _ in data.regexes}
        synonyms_lower = {variant.lower(): value for variant, value in data.synonyms.items()}
        # which entity each synonym value belongs to, from the annotated examples
        value_entity: dict[str, str] = {}
        annotated: list[tuple[str, str, str]] = []  # (entity, text, value)
        for ex in data.examples:
            for e in ex.entities:
                if e.entity in regex_entities:
                    continue
                span = ex.text[e.start : e.end]
                value = e.value if e.value != span else synonyms_lower.get(span.lower(), span)
                value_entity.setdefault(value, e.entity)
                annotated.append((e.entity, span, value))
        gazetteer_entities = sorted(set(value_entity.values()))
        default_entity = gazetteer_entities[0] if len(gazetteer_entities) == 1 else None
        for entity, elements in data.lookups.items():
            for element in elements:
                annotated.append((entity, element, synonyms_lower.get(element.lower(), element)))
        for variant, value in data.synonyms.items():
            owner = value_entity.get(value, default_entity)
            if owner is not None:
                annotated.append((owner, variant, value))
        phrases: dict[tuple[str, ...], dict[tuple[str, str], set[tuple[str, ...]]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for entity, text, value in annotated:
            toks = tokenize(text)
            if toks:
                phrases[tuple(t.bare for t in toks)][(entity, value)].add(tuple(t.acc for t in toks))
        self.phrases: dict[tuple[str, ...], _Phrase] = {}
        for key, candidates in phrases.items():
            # a phrase written for two values: the most often annotated one wins
            (entity, value), accented = max(candidates.items(), key=lambda kv: len(kv[1]))
            self.phrases[key] = _Phrase(entity, value, frozenset(accented))
        self.max_len = max((len(k) for k in self.phrases), default=0)

    def regex_entities(self, text: str) -> list[Entity]:
        found: list[Entity] = []
        for name, pattern in self.regexes:
            for m in pattern.finditer(text):
                s, e = m.span()
                if s == e or _glued(text, s, e) or any(s < f.end and f.start < e for f in found):
                    continue
                value = m.group()
                found.append(Entity(name, value.upper() if name in UPPERCASE_ENTITIES else value, s, e))
        return found

    def _accent_ok(self, toks: list[Token], phrase: _Phrase) -> bool:
        """A token typed with diacritics must carry the diacritics some example
        wrote there: "số đó" is not "sổ đỏ", but "tam trú" may be "tạm trú"."""
        for i, t in enumerate(toks):
            if t.expanded or t.acc == t.bare:
                continue
            if not any(acc[i] == t.acc for acc in phrase.accented):
                return False
        return True

    def gazetteer_entities(self, text: str, tokens: list[Token], taken: list[Entity]) -> list[Entity]:
        found: list[Entity] = []
        i, n = 0, len(tokens)
        while i < n:
            hit = None
            for length in range(min(self.max_len, n - i), 0, -1):
                window = tokens[i : i + length]
                phrase = self.phrases.get(tuple(t.bare for t in window))
                if phrase is not None and self._accent_ok(window, phrase):
                    hit = (length, phrase)
                    break
            if hit is None:
                i += 1
                continue
            length, phrase = hit
            window = tokens[i : i + length]
            if length > 1 and window[0].bare in TRIM_PREFIXES:
                rest = self.phrases.get(tuple(t.bare for t in window[1:]))
                if rest is not None and rest.value == phrase.value:
                    window = window[1:]
            s, e = window[0].start, window[-1].end
            if not any(s < f.end and f.start < e for f in taken):
                found.append(Entity(phrase.entity, phrase.value, s, e))
            i += length
        return found

    def extract(self, text: str, tokens: list[Token] | None = None) -> tuple[Entity, ...]:
        regex_found = self.regex_entities(text)
        if tokens is None:
            tokens = tokenize(text)
        found = regex_found + self.gazetteer_entities(text, tokens, regex_found)
        return tuple(sorted(found, key=lambda e: e.start))
