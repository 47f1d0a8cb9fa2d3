"""How a counsellor's chat ended: the outcomes a counsellor picks when resolving, and their words."""

from __future__ import annotations

from typing import Literal, get_args

from bot.i18n import _

Outcome = Literal[
    "information_given",
    "referred_to_service",
    "referred_to_police",
    "emergency_services",
    "no_response",
    "survivor_left",
    "other",
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# How staff pages and reports name each outcome (one msgid each in the catalogs).
OUTCOME_WORDS: dict[str, str] = {
    "information_given": _("Information given"),
    "referred_to_service": _("Referred to service"),
    "referred_to_police": _("Referred to police"),
    "emergency_services": _("Emergency services"),
    "no_response": _("No response"),
    "survivor_left": _("Survivor left"),
    "other": _("Other"),
}
