"""How many SMS segments a text takes: what a person pays for, and why SMS answers are kept short.

A text made only of the GSM 03.38 alphabet goes as GSM-7: 160 characters in one segment, 153 per segment
once it is split (the rest carries the concatenation header). The extension table's characters (€ [ ] { }
\\ ^ ~ | and the form feed) take an escape and so count twice, and a concatenated message never splits one
of them across two segments. Any other character (Cyrillic, Arabic, most accented letters, emoji) makes
the whole text UCS-2: 70 characters in one segment, 67 per segment once split, counted in UTF-16 code
units (an emoji is two), never splitting a surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 basic character set (one septet each).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: an escape septet and the character, so two septets each.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    """How a text goes out as SMS: its encoding, its length in that encoding's units, its segments."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in the GSM-7 alphabet (basic or extension table)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def count_segments(text: str) -> SegmentCount:
    """The encoding, length and number of segments of `text` sent as one (possibly concatenated) SMS."""
    if is_gsm7(text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return SegmentCount("GSM-7", sum(sizes), _segments(sizes, GSM7_SINGLE, GSM7_PART))
    sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SegmentCount("UCS-2", sum(sizes), _segments(sizes, UCS2_SINGLE, UCS2_PART))


def _segments(sizes: list[int], single: int, part: int) -> int:
    """Segments for characters of these sizes: one if all fit in `single`, else filled `part` at a time,
    a two-unit character (an escape pair, a surrogate pair) never split across two segments."""
    total = sum(sizes)
    if total == 0:
        return 1
    if total <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments
