"""SMS has no buttons and costs per segment: menus become numbered options, keywords are read whole.

Pure functions, so the rules are easy to test: how a reply with buttons reads on SMS, which number picks
which button, which keyword a message is, how a long text is cut into messages Twilio accepts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.messages import Button

# Twilio's opt-out and opt-in keywords (its Advanced Opt-Out defaults), HELP and INFO; ERASE is ours.
# Twilio itself stops delivery after STOP at the carrier level; we record it too and send nothing more.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})  # read as START only while the person has opted out
HELP_WORDS = frozenset({"HELP", "INFO"})
ERASE_WORDS = frozenset({"ERASE", "DELETE"})
Keyword = Literal["stop", "start", "help", "erase"]
# Twilio refuses a body over 1600 characters; a longer text goes as several messages.
MAX_BODY_CHARS = 1600
CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
# Punctuation that has a GSM-7 twin, as Twilio's Smart Encoding replaces it: one typographic quote would
# otherwise make a whole English text UCS-2 (70 characters a segment instead of 160). Letters are kept.
GSM_TWINS = str.maketrans(
    {
        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": "", "\u2060": "",
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2022": "-", "\u25aa": "-", "\u00b7": "-",
        "\u2026": "...",
    }
)  # fmt: skip
# Pictures cost on SMS (an emoji makes the text UCS-2, and is two units): flags and symbols are left out.
PICTOGRAPHS = re.compile("[\U0001f1e6-\U0001f1ff\U0001f300-\U0001faff\u2600-\u27bf\ufe0f]+ ?")


def keyword(text: str, opted_out: bool = False) -> Keyword | None:
    """The keyword a whole message is (any case, spaces and a final full stop ignored), if any."""
    word = text.strip().rstrip(".!").strip().upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS and (opted_out or word != "YES"):
        return "start"
    if word in HELP_WORDS:
        return "help"
    if word in ERASE_WORDS:
        return "erase"
    return None


@dataclass(frozen=True)
class Numbered:
    """A reply as SMS text, and the payload of each number it offers (number 1 is `payloads[0]`)."""

    text: str
    payloads: tuple[str, ...]


def numbered(text: str, buttons: Sequence[Button], hint: str, first: int = 1) -> Numbered:
    """`text`, then `hint` ("Reply with a number:") and one line per button: "1 Shelter"."""
    if not buttons:
        return Numbered(text, ())
    lines = [f"{first + index} {button.title}" for index, button in enumerate(buttons)]
    return Numbered(f"{text}\n\n{hint}\n" + "\n".join(lines), tuple(button.payload for button in buttons))


def choice(text: str, payloads: Sequence[str]) -> str | None:
    """The payload a message picks when it is only one of the offered numbers ("2", "2.", " 2 ")."""
    found = CHOICE.match(text)
    if found is None:
        return None
    number = int(found.group(1))
    return payloads[number - 1] if 1 <= number <= len(payloads) else None


def plain(text: str) -> str:
    """`text` as it goes by SMS: typographic punctuation as its GSM-7 twin, without pictographs."""
    return PICTOGRAPHS.sub("", text.translate(GSM_TWINS))


def bodies(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """`text` (made `plain`) as one or more message bodies of at most `limit` characters, cut between
    paragraphs (else between lines)."""
    text = plain(text).strip()
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """Paragraphs no longer than `limit`: a longer one cut at its lines, a longer line cut hard."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        for piece in [paragraph] if len(paragraph) <= limit else paragraph.split("\n"):
            while len(piece) > limit:
                pieces.append(piece[:limit])
                piece = piece[limit:]
            pieces.append(piece)
    return pieces
