"""The templates the service ships, and their sample data, as tests use them."""

from __future__ import annotations

import copy

from notify.rendering import Templates

SHIPPED = [
    "agent_reply",
    "broadcast",
    "dossier_received",
    "follow_confirmation",
    "overdue_apology",
    "result_ready",
    "status_changed",
    "supplement_requested",
]


def sample(templates: Templates, name: str) -> dict:
    return copy.deepcopy(templates.meta(name).sample)
