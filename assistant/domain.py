"""The Rasa project's domain.yml and data/rules.yml as plain data, for the
built-in engine (assistant/dialogue.py): the same files drive Rasa and the
built-in engine, so operators edit one place.

Only what the built-in engine uses is read: intents, entities, slots and
their mappings, forms, actions, responses (text and buttons), the session
settings and the rules. Standard library and PyYAML only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_DOMAIN = HERE / "domain.yml"
DEFAULT_RULES = HERE / "data" / "rules.yml"

FALLBACK_INTENT = "nlu_fallback"  # as assistant/port.py
# Actions every Rasa assistant has without declaring them.
BUILTIN_ACTIONS = frozenset(
    {
        "action_listen",
        "action_restart",
        "action_session_start",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_revert_fallback_events",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_back",
        "action_unlikely_intent",
        "action_extract_slots",
    }
)


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant of a response: its text and buttons as (title, payload)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SlotMapping:
    type: str  # from_entity | from_text | from_intent | custom ...
    entity: str | None = None
    active_loop: str | None = None  # condition: only while this form is active
    requested_slot: str | None = None  # condition: only while this slot is asked for


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    intent: str | None  # the user's intent that starts the rule, None for a rule that starts with an action
    actions: tuple[str, ...]  # the actions that follow, in order (forms included)
    active_loop: str | None = None  # condition: the form that must be active
    first_action: str | None = None  # for rules without an intent: the action that starts them


@dataclass(frozen=True)
class Domain:
    intents: tuple[str, ...]
    entities: tuple[str, ...]
    slots: dict[str, tuple[SlotMapping, ...]]
    forms: dict[str, tuple[str, ...]]  # form -> required slots, in order
    actions: tuple[str, ...]
    responses: dict[str, tuple[Variant, ...]]
    rules: tuple[Rule, ...] = ()
    session_expiration_minutes: float = 60.0  # 0: sessions never expire (as Rasa)
    carry_over_slots: bool = False
    _by_intent: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        index: dict[tuple[str, str | None], Rule] = {}
        for rule in self.rules:
            if rule.intent is not None:
                index.setdefault((rule.intent, rule.active_loop), rule)
        self._by_intent.update(index)

    # ---------------------------------------------------------------- loading

    @classmethod
    def load(cls, domain_path: str | Path | None = None, rules_path: str | Path | None = None) -> Domain:
        """Read domain.yml and rules.yml (defaults: the project's) and check
        that they agree; ValueError says what is wrong. Synchronous."""
        with open(domain_path or DEFAULT_DOMAIN, encoding="utf-8") as f:
            domain = yaml.safe_load(f) or {}
        with open(rules_path or DEFAULT_RULES, encoding="utf-8") as f:
            rules = yaml.safe_load(f) or {}
        return cls.from_dicts(domain, rules)

    @classmethod
    def from_dicts(cls, domain: dict[str, Any], rules: dict[str, Any] | None = None) -> Domain:
        intents = tuple(_names(domain.get("intents")))
        entities = tuple(_names(domain.get("entities")))
        slots = {
            str(name): tuple(_mapping(m) for m in (spec or {}).get("mappings") or [])
            for name, spec in (domain.get("slots") or {}).items()
        }
        forms = {
            str(name): tuple(str(s) for s in (spec or {}).get("required_slots") or [])
            for name, spec in (domain.get("forms") or {}).items()
        }
        responses = {str(name): _variants(name, variants) for name, variants in (domain.get("responses") or {}).items()}
        session = domain.get("session_config") or {}
        parsed = cls(
            intents=intents,
            entities=entities,
            slots=slots,
            forms=forms,
            actions=tuple(_names(domain.get("actions"))),
            responses=responses,
            rules=tuple(_rule(r) for r in (rules or {}).get("rules") or []),
            session_expiration_minutes=float(session.get("session_expiration_time", 60)),
            carry_over_slots=bool(session.get("carry_over_slots_to_new_session", False)),
        )
        problems = parsed.problems()
        if problems:
            raise ValueError("domain/rules: " + "; ".join(problems))
        return parsed

    def problems(self) -> list[str]:
        """What does not fit together (unknown intents, actions, slots)."""
        found = []
        for form, required in self.forms.items():
            found += [f"form {form} requires unknown slot {s}" for s in required if s not in self.slots]
        known_actions = set(self.actions) | set(self.responses) | set(self.forms) | BUILTIN_ACTIONS
        known_intents = set(self.intents) | {FALLBACK_INTENT}
        for rule in self.rules:
            if rule.intent is not None and rule.intent not in known_intents:
                found.append(f"rule {rule.name!r}: unknown intent {rule.intent}")
            found += [f"rule {rule.name!r}: unknown action {a}" for a in rule.actions if a not in known_actions]
            if rule.active_loop is not None and rule.active_loop not in self.forms:
                found.append(f"rule {rule.name!r}: unknown form {rule.active_loop}")
        return found

    # ---------------------------------------------------------------- queries

    def rule_for(self, intent: str, active_loop: str | None = None) -> Rule | None:
        """The rule that answers `intent`: with a form active, a rule
        conditioned on that form (None if there is none); otherwise an
        unconditioned rule."""
        return self._by_intent.get((intent, active_loop))

    def after_form(self, form: str) -> tuple[str, ...]:
        """The actions a rule runs once `form` has all its slots."""
        for rule in self.rules:
            if rule.intent is None and rule.active_loop == form and rule.first_action == form:
                return rule.actions
        return ()

    def intents_running(self, action: str) -> frozenset[str]:
        """The intents whose rule runs `action` (e.g. action_escalate)."""
        return frozenset(r.intent for r in self.rules if r.intent is not None and action in r.actions)


def _names(items) -> list[str]:
    """Intents/entities/actions: plain names or one-key mappings with options."""
    names = []
    for item in items or []:
        names.append(str(next(iter(item))) if isinstance(item, dict) else str(item))
    return names


def _mapping(spec: dict) -> SlotMapping:
    conditions = spec.get("conditions") or [{}]
    condition = conditions[0] or {}  # the built-in engine honours the first condition
    return SlotMapping(
        type=str(spec.get("type")),
        entity=spec.get("entity"),
        active_loop=condition.get("active_loop"),
        requested_slot=condition.get("requested_slot"),
    )


def _variants(name, variants) -> tuple[Variant, ...]:
    parsed = []
    for variant in variants or []:
        if variant.get("channel") or variant.get("condition"):
            continue  # channel- or slot-specific variants are Rasa's business
        buttons = tuple((str(b["title"]), str(b["payload"])) for b in variant.get("buttons") or [])
        parsed.append(Variant(text=str(variant.get("text") or ""), buttons=buttons))
    if not parsed:
        raise ValueError(f"domain: response {name} has no plain variant")
    return tuple(parsed)


def _rule(spec: dict) -> Rule:
    name = str(spec.get("rule", ""))
    active_loop = None
    for condition in spec.get("condition") or []:
        if isinstance(condition, dict) and condition.get("active_loop"):
            active_loop = str(condition["active_loop"])
    intent = None
    actions: list[str] = []
    for step in spec.get("steps") or []:
        if not isinstance(step, dict):
            continue
        if "intent" in step and intent is None and not actions:
            intent = str(step["intent"])
        elif "action" in step:
            actions.append(str(step["action"]))
    first_action = None
    if intent is None and actions:
        first_action, actions = actions[0], actions[1:]
    return Rule(name=name, intent=intent, actions=tuple(actions), active_loop=active_loop, first_action=first_action)
