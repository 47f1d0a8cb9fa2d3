"""What staff read for the reasons a chat is flagged and the periods a person is blocked for (catalog
msgids: the page translates them into the staff member's language)."""

from __future__ import annotations

from bot.i18n import _
from bot.store.blocks import PERIODS, REASONS

REASON_LABELS = {
    "abusive_language": _("Abusive or insulting language"),
    "sexual_content": _("Sexual messages"),
    "threats_to_staff": _("Threats to staff"),
    "prank": _("Prank or hoax contact"),
    "spam": _("Spam or repeated messages"),
}
PERIOD_LABELS = {"24h": _("24 hours"), "7d": _("7 days"), "30d": _("30 days")}
if set(REASON_LABELS) != set(REASONS) or set(PERIOD_LABELS) != set(PERIODS):
    raise RuntimeError("every abuse reason and block period needs its label")
