"""`helpline content sms-segments`: how many SMS segments each answer takes, in every language.

Each entry is rendered as a person on SMS reads it (its buttons as numbered options, under the "Reply with
a number:" line) and counted with bot/channels/sms_segments.py: GSM-7 160 characters (153 per part) or
UCS-2 70 (67 per part). A UCS-2 count is marked `u`. Every segment costs money, so this is the list to
shorten first.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.channels.sms_segments import count_segments
from bot.channels.sms_text import numbered, plain
from bot.content.library import ContentLibrary
from bot.i18n import SUPPORTED_LOCALES
from bot.messages import Button, Channel

MENU_HINT = "sms_menu"


def sms_text(library: ContentLibrary, entry_id: str, locale: str, country: str | None) -> str:
    """The SMS a person would receive for one entry (buttons as numbered options)."""
    reply = library.reply(entry_id, locale, country, channel="sms")
    buttons = tuple(Button(button.title, button.payload) for button in reply.buttons)
    return plain(numbered(reply.text, buttons, library.reply(MENU_HINT, locale, channel="sms").text).text)


def segment_table(
    library: ContentLibrary, entry_ids: Sequence[str], locales: Sequence[str], country: str | None
) -> list[str]:
    """A Markdown table: one row per entry, the segments of its SMS in each locale (`u`: UCS-2)."""
    lines = [
        "| entry | " + " | ".join(locales) + " |",
        "|---|" + "---:|" * len(locales),
    ]
    for entry_id in entry_ids:
        cells = []
        for locale in locales:
            count = count_segments(sms_text(library, entry_id, locale, country))
            cells.append(f"{count.segments}{'u' if count.encoding == 'UCS-2' else ''}")
        lines.append(f"| {entry_id} | " + " | ".join(cells) + " |")
    return lines


def run_sms_segments(library: ContentLibrary, all_entries: Sequence[str], args: argparse.Namespace) -> int:
    """Print the table for every entry (or those named), for a country if given; always 0."""
    locales = [locale.strip() for locale in str(args.lang).split(",") if locale.strip()]
    # A channel's own variant (`shelter_sms`, `privacy_whatsapp`) is counted in its entry's row.
    variants = tuple(f"_{channel.value}" for channel in Channel)
    entries = list(args.entries) or sorted(entry for entry in all_entries if not entry.endswith(variants))
    where = f"for {args.country}" if args.country else "before the country is known"
    print(f"SMS segments per answer, {where} (u: UCS-2, 70/67 characters; else GSM-7, 160/153):\n")
    print("\n".join(segment_table(library, entries, locales, args.country)))
    return 0


def add_sms_segments_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """The `sms-segments` subcommand and its arguments (the caller adds the content dir and function)."""
    parser = subparsers.add_parser(
        "sms-segments", help="how many SMS segments each answer takes, in every language"
    )
    parser.add_argument("entries", nargs="*", help="entry ids (default: every entry)")
    parser.add_argument("--lang", default=",".join(SUPPORTED_LOCALES), help="comma-separated locales")
    parser.add_argument("--country", default=None, help="ISO 3166 country code (RO, US, GB) or EU")
    return parser
