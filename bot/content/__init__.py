"""Reviewed content: what survivors read, loaded from `content/`, checked, and rendered per turn."""

from bot.content.library import ContentError, ContentLibrary, RenderedButton, RenderedReply
from bot.content.pack import Problem
from bot.content.review import check_content
from bot.content.schema import CONTRACT_INTENTS, CORE_ACTIONS, FALLBACK_INTENT, Entry, Source, Variant

__all__ = [
    "CONTRACT_INTENTS",
    "CORE_ACTIONS",
    "FALLBACK_INTENT",
    "ContentError",
    "ContentLibrary",
    "Entry",
    "Problem",
    "RenderedButton",
    "RenderedReply",
    "Source",
    "Variant",
    "check_content",
]
