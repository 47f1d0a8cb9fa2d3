"""The typo split: the held-out examples as people in a hurry type them, seeded so every run is the same.

Each example gets one or two slips (two in longer messages) chosen from what the script allows:
- every spaced script (Latin, Cyrillic, Arabic): a dropped, doubled or swapped letter inside a word of
  four letters or more;
- Latin scripts with accents, and Vietnamese: the accents or tone marks left out (the whole message);
- Arabic: hamza and taa marbuta forms typed plain (أ/إ/آ → ا, ة → ه, ى → ي);
- a few phonetic spellings per language where they are common and easy (en "you" → "u", es "ll" → "y",
  ro "ș" → "s", ru "ё" → "е");
- Thai (no spaces): a tone mark left out, or a letter dropped;
- Chinese: a character swapped for a common homophone the input method offers first (在/再, 的/地, 吗/嘛);
  no letters to drop or swap in a character-based script.
The random generator is seeded from the text itself (crc32), so the split is the same on every machine.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from collections.abc import Callable

MIN_WORD = 4
WORD = re.compile(r"\w+")
# Phonetic spellings people type, per language: (pattern, replacement), applied once where found.
PHONETIC: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("you", "u"), ("please", "pls"), ("ph", "f"), ("ight", "ite"), ("er ", "a "), ("ck", "k")),
    "es": (("ll", "y"), ("v", "b"), ("qu", "k"), ("ce", "se"), ("ci", "si"), ("h", "")),
    "fr": (("qu", "k"), ("ais", "é"), ("eau", "o"), ("oi", "wa"), ("c'est", "cé")),
    "pt": (("ção", "cao"), ("ss", "s"), ("qu", "k"), ("lh", "li"), ("nh", "ni")),
    "ro": (("ș", "s"), ("ț", "t"), ("ă", "a"), ("î", "i"), ("â", "a")),
    "ru": (("ё", "е"), ("тся", "ца"), ("ться", "ца"), ("что", "шо"), ("его", "ево")),
    "uk": (("ї", "і"), ("є", "е"), ("ґ", "г"), ("ться", "ця"), ("що", "шо")),
    "ar": (("ة", "ه"), ("ى", "ي"), ("ث", "ت"), ("ذ", "د"), ("ظ", "ض")),
    "sq": (("ë", "e"), ("ç", "c"), ("xh", "x"), ("dh", "d"), ("th", "t")),
    "vi": (("gi", "d"), ("ph", "f"), ("qu", "w"), ("không", "ko"), ("được", "dc")),
}
ARABIC_PLAIN = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"})
THAI_TONE_MARKS = "\u0e48\u0e49\u0e4a\u0e4b\u0e47\u0e4c"
CHINESE_HOMOPHONES = {
    "在": "再", "再": "在", "的": "地", "得": "的", "吗": "嘛", "那": "哪", "哪": "那", "他": "她",
    "做": "作", "已": "以", "以": "已", "帐": "账", "到": "道", "是": "事", "里": "理", "没": "美",
    "钱": "前", "护": "户", "照": "找", "律": "绿", "住": "主", "医": "一", "生": "声",
}  # fmt: skip

Slip = Callable[[str, random.Random], str | None]


def perturbed(text: str, language: str) -> str:
    """The text with one or two slips (seeded by the text); unchanged only if no slip applies."""
    rng = random.Random(zlib.crc32(f"{language}:{text}".encode()))
    slips = _slips(language)
    count = 2 if len(text) > 40 else 1
    for _ in range(count):
        for slip in rng.sample(slips, len(slips)):
            changed = slip(text, rng)
            if changed is not None and changed != text:
                text = changed
                break
    return text


def _slips(language: str) -> list[Slip]:
    if language == "zh":
        return [_homophone]
    if language == "th":
        return [_no_tone_mark, _dropped_letter_unspaced]
    slips: list[Slip] = [_dropped, _doubled, _swapped]
    if language == "ar":
        slips.append(lambda text, _rng: text.translate(ARABIC_PLAIN))
    else:
        slips.append(lambda text, _rng: _without_accents(text))
    rules = PHONETIC.get(language, ())
    if rules:
        slips.append(lambda text, rng: _phonetic(text, rules, rng))
    return slips


def _long_word(text: str, rng: random.Random) -> re.Match[str] | None:
    words = [word for word in WORD.finditer(text) if len(word.group()) >= MIN_WORD]
    return rng.choice(words) if words else None


def _dropped(text: str, rng: random.Random) -> str | None:
    word = _long_word(text, rng)
    if word is None:
        return None
    at = rng.randrange(word.start() + 1, word.end())
    return text[:at] + text[at + 1 :]


def _doubled(text: str, rng: random.Random) -> str | None:
    word = _long_word(text, rng)
    if word is None:
        return None
    at = rng.randrange(word.start(), word.end())
    return text[:at] + text[at] + text[at:]


def _swapped(text: str, rng: random.Random) -> str | None:
    word = _long_word(text, rng)
    if word is None:
        return None
    at = rng.randrange(word.start() + 1, word.end() - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def _without_accents(text: str) -> str:
    """Accents and tone marks left out; đ typed as d (Vietnamese keyboards are often not at hand)."""
    stripped = "".join(
        char
        for char in unicodedata.normalize("NFD", text)
        if not unicodedata.combining(char) or (char in "\u0306\u0308" and _cyrillic(text))
    )
    return unicodedata.normalize("NFC", stripped).replace("đ", "d").replace("Đ", "D")


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


def _phonetic(text: str, rules: tuple[tuple[str, str], ...], rng: random.Random) -> str | None:
    found = [(pattern, spelling) for pattern, spelling in rules if pattern in text.lower()]
    if not found:
        return None
    pattern, spelling = rng.choice(found)
    return re.sub(re.escape(pattern), spelling, text, count=1, flags=re.IGNORECASE)


def _no_tone_mark(text: str, rng: random.Random) -> str | None:
    marks = [index for index, char in enumerate(text) if char in THAI_TONE_MARKS]
    if not marks:
        return None
    at = rng.choice(marks)
    return text[:at] + text[at + 1 :]


def _dropped_letter_unspaced(text: str, rng: random.Random) -> str | None:
    letters = [index for index, char in enumerate(text) if char.isalpha()]
    if len(letters) < MIN_WORD:
        return None
    at = rng.choice(letters[1:])
    return text[:at] + text[at + 1 :]


def _homophone(text: str, rng: random.Random) -> str | None:
    places = [index for index, char in enumerate(text) if char in CHINESE_HOMOPHONES]
    if not places:
        return None
    at = rng.choice(places)
    return text[:at] + CHINESE_HOMOPHONES[text[at]] + text[at + 1 :]
