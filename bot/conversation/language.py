"""Which language to answer in: the person's choice, else what they write in, else what their app says.

Order of strength (issue 3): an explicit choice (`/language`, a language button) beats a confident
detection of the language of their free text, which beats the client's hint (Telegram's `language_code`,
the browser's `Accept-Language`, negotiated with Babel), which beats English. A weaker signal never
overrides a stronger one, so a person who picked Ukrainian is not switched to Russian by a short message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

from lingua import IsoCode639_1, LanguageDetectorBuilder
from lingua import LanguageDetector as _Lingua

from bot.i18n import DEFAULT_LOCALE, GEEZ_LETTER, SUPPORTED_LOCALES, UNSPACED_LETTER, locale_from_payload

# Below these, a detection is a guess: a short "ok" or "hola" says little about the language. Chosen on
# the held-out messages of all eight languages (docs/decisions.md): 79 % recognised, none switched to a
# wrong language; the rest keep the app's language until the person writes more or picks one.
MIN_CONFIDENCE = 0.6
MIN_LETTERS = 10
# A Chinese character (or a Thai letter) tells more than a Latin letter: "我需要律师" (5 characters, "I need a
# lawyer") says its language as surely as ten Latin letters do, so each counts as this many letters.
UNSPACED_LETTER_WEIGHT = 3
_UNSPACED = re.compile(UNSPACED_LETTER)
# Close languages are easily taken for each other; moving a person from one to the other, against what
# their app says, takes stronger evidence.
CLOSE_LANGUAGES = (frozenset({"es", "pt"}), frozenset({"ru", "uk"}))
MIN_CONFIDENCE_CLOSE = 0.8
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ɏ]")
# People whose app is in one of these often type their language in Latin letters ("kak nayti advokata",
# "3ayz a7ki m3 7ad"), which a detector reads as English or French: Latin text never switches them.
# People whose app is in Vietnamese often type it without tone marks ("toi can giup do"), which a detector
# reads as French, Romanian or English: their Latin text is only ever detected as Vietnamese.
UNMARKED_TYPING = frozenset({"vi"})
# Vietnamese typed without marks, known by its commonest words that are not words of the other Latin-script
# languages ("em", "nao", "mot", "sao" are Portuguese or French too): enough of them make the text Vietnamese.
_UNMARKED_VIETNAMESE_WORDS = """
toi khong ko hok duoc dc nguoi cua minh muon giup gi bi voi roi phai nhung cung tien viec luat nuoc thi chu
vay nhe giay chong nhot tuoi xin cam bay gio dau biet hoi lam co nay nha anh ong dang duong cho nhu nhieu vao
thoi khi neu ngay canh cong toan ngu benh vien tre nam thang tuan dinh nguy hiem khach luong chieu giu xoa
nhan khac tieng viet chuyen ngon mien phong cuu danh theo doa giet chet duoi nho thay dieu giai thich trong
ngoai quyen phap dong
"""
_UNMARKED_VIETNAMESE = frozenset(_UNMARKED_VIETNAMESE_WORDS.split())
MIN_UNMARKED_VIETNAMESE = 2
NON_LATIN_SCRIPT = frozenset({"ru", "uk", "ar", "zh", "th", "ti"})
# Languages lingua does not know, told by their script alone: of the supported languages only Tigrinya is
# written in Ge'ez (Amharic, also Ge'ez, is not supported), so text mostly in Ge'ez letters is Tigrinya.
# A Ge'ez letter is a whole syllable ("ሓ" is "ha"): it weighs as much as an unspaced letter, so "ሓገዝ
# passport" (help, passport) is Tigrinya while one Ge'ez word in a long English sentence is not.
# Tigrinya typed in Latin letters ("hagez deleye") is not detected: it never switches anyone (and a person
# whose app is in Tigrinya keeps it, as for the other non-Latin scripts).
SCRIPT_LOCALES = {"ti": re.compile(GEEZ_LETTER)}
SCRIPT_LETTER_WEIGHT = UNSPACED_LETTER_WEIGHT
MIN_SCRIPT_LETTERS = 3  # one short word ("ሰላም", hello): no other supported language writes Ge'ez
# Tigrinya typed in Latin letters, which a detector takes for Albanian or Romanian, is known by its words:
# those of the Latin-typed Tigrinya training examples (nlu/ti.yml) that are no word of another language's
# training data, and are not English, Turkish or Polish words ("bet", "kara", "waga"). Such text is not
# detected at all, so it switches nobody (the person keeps their language).
_LATIN_TIGRINYA_WORDS = """
abay abey adey aleka aleki aleku alekum alena aleni alewu amakari amesegn amesginekum ameta ameto amlaki
ane aney anta arakbeni arieyeni ataliloni atfio atsiyomni axiyomuni aydelen ayfal ayfalen ayfekdulen
ayfeqedeleyn ayhbunin aykefelunin aykeflun aykonen aywesdenin bejaka bejaki bejakum bnakfa bnexa bota
bserah btgrinya bzey bzuh chaw dbey deala dehan dehar delala deleye deliye delye demoz demozey demsis
demsiso deqey derfi dhanuni dima diyom diyu dma dqas ebeki edeli efrh enta entay equba erefti eshi ewe ewwe
eyom eyu ezi fqad fqri gdai gdayat gebenawi gedifom genzeb genzebey geza gezay gezza godena goyta gual
hadega hadirka hagez hagezi hagz hakim hamime hbtey hdru hgawi hgdi hgzuna hgzuni hizom hizomwa hizomwo
hizu hji hkmna hlewa hlifu hqegna hrai hray hrsha ikel kabey kabzi kahsa kaleh kdqs kedeqs kemay kemey
kflet kgebruni khadr kidekis kideqes kideqis kifelt kifli kigoduu kihatit kihbr kijenih kikefleni kikeyd
kikeyr kikseso kimeles kiqetleni kiqetluni kireki kisguguni kishetuni kisi kitehgzeni kitihgezeni kiwexe
kixihf kkewn kmeles kmelesley kndey konetat koynu kqetleni kqexuni ktgebr kthgzeni kuaso kulu kunu kzareb
lebey lomi maserti medhanit mehaza mekobi menberi mesel meselat mexie mezgeb mflat mistir mkuaney mserah
mshet mskr msmer mzmaz nafiqe nefarit nexa neyre ngereni nishto nsa nsom nsu ntebeqa pasportey qalsi qeyr
qolea qolu qwanqwa sdetegna sdrai sebeyti selam selamat serahtegna slam smey teasire teawitu tebeka tebeqa
teferide tehabie tehabiteni tehabitu tenexigeni tenkyu tewqe tfeltu tgebr tgrinya thti tkel tmhrti tnusa
tsbuq ukba waza wedey wedi wehabey wehabi wereqet wereqetey wesidom wesidu wiilkum wuhus xbah xbuq
xihafeley yanbbo yblenu yblo ybluni yebleyn yedliyeni yedlyeni yekenyeley yekenyelkum yelen yeleyn yelon
yeqenyeley yeqenyelna yfelet yfrarhuni ygded yhatet yhgez yhgzuni yiharmuni yikun ykelen yliekeni yrieyo
yrkeb yserh yserhu yseubuni ywesdu zerebeni zeytekefle zrzr ztey zwwur zxhafkwo zzarebeni
"""
_LATIN_TIGRINYA = frozenset(_LATIN_TIGRINYA_WORDS.split())
MIN_LATIN_TIGRINYA = 2
# Filipinos write Taglish: Tagalog and English in one message ("kailangan ko ng lawyer pls"), in text-speak
# ("san ako pwede matulog tonight"), which a detector may read as English or Spanish. Tagalog's commonest
# words that are not words of the other supported languages ("po", "na", "sa", "ko", "ano", "para" are
# Albanian, Slavic, Vietnamese, Spanish or Portuguese too) make such a text Tagalog when there are enough.
_TAGALOG_WORDS = """
ng ang mga ako akong ikaw siya sya nila niya nya hindi kasi ksi lang naman nmn pwede puwede pwd kailangan
kelangan kylangan saan dito d2 yung ung iyong ito nito paano pano bakit wala walang meron mayroon gusto ayoko
ayaw salamat opo ninyo nyo niyo kami namin tayo natin sila amo sahod ngayon ngaun talaga nang tulong tulungan
bahay tao anak kapatid pamilya matulog makauwi umuwi pinas pilipinas papeles burahin magsumbong
"""
_TAGALOG = frozenset(_TAGALOG_WORDS.split())
MIN_TAGALOG = 2
# A person whose app is in Tagalog and who writes a message in English is code-switching, not asking for
# English: their app's language is kept (they can still pick English with /language).
CODE_SWITCHING = {"tl": "en"}
# Tagalog is written in plain Latin letters, so a detector also reads transliterated Russian or Arabic as
# Tagalog ("drugaya strana", "ma3 salama"): without its words, Tagalog needs the stronger confidence.
PLAIN_LATIN = frozenset({"tl"})


class LocaleSource(IntEnum):
    """Where a locale came from; a higher value is a stronger signal."""

    DEFAULT = 0
    CLIENT = 1
    DETECTED = 2
    EXPLICIT = 3


@dataclass(frozen=True)
class LocaleChoice:
    """The locale a person is answered in, and how it was chosen."""

    locale: str
    source: LocaleSource


class LanguageDetector:
    """Lingua, restricted to the supported languages, loaded once per process."""

    def __init__(
        self,
        locales: Sequence[str] = SUPPORTED_LOCALES,
        min_confidence: float = MIN_CONFIDENCE,
        min_letters: int = MIN_LETTERS,
    ) -> None:
        self._codes = {
            locale: IsoCode639_1.from_str(locale) for locale in locales if locale not in SCRIPT_LOCALES
        }
        self._by_script = {locale: SCRIPT_LOCALES[locale] for locale in locales if locale in SCRIPT_LOCALES}
        self._locales = {code: locale for locale, code in self._codes.items()}
        self._min_confidence = min_confidence
        self._min_letters = min_letters

    @cached_property
    def _lingua(self) -> _Lingua:
        return (
            LanguageDetectorBuilder.from_iso_codes_639_1(*self._codes.values())
            .with_preloaded_language_models()
            .build()
        )

    def warm_up(self) -> None:
        """Load the language models now rather than on a survivor's first message."""
        self._lingua.compute_language_confidence_values("hello")

    def confidences(self, text: str) -> list[tuple[str, float]]:
        """Each supported locale with lingua's confidence that the text is in it, best first."""
        values = self._lingua.compute_language_confidence_values(text)
        return [(self._locales[value.language.iso_code_639_1], value.value) for value in values]

    def detect(self, text: str, hint: str | None = None) -> str | None:
        """The locale the text is confidently written in, or None when it is too short or unclear.

        `hint` is the app's or browser's language: Latin text from someone whose app is in a language
        written in another script is taken as transliteration, not detected.
        """
        letters = _LETTER.findall(text)
        unspaced = sum(1 for letter in letters if _UNSPACED.match(letter))
        weight = len(letters) + (UNSPACED_LETTER_WEIGHT - 1) * unspaced
        by_script = self._script_locale(letters, weight)
        if by_script is not None or weight < self._min_letters:
            return by_script
        latin = sum(1 for letter in letters if _LATIN_LETTER.match(letter))
        if hint in NON_LATIN_SCRIPT and latin * 2 > weight:
            return None
        if "vi" in self._codes and _is_unmarked_vietnamese(text):
            return "vi"
        if "ti" in self._by_script and _is_latin_tigrinya(text):
            return None
        if "tl" in self._codes and _is_tagalog(text):
            return "tl"
        values = self.confidences(text)
        if not values:
            return None
        locale, confidence = values[0]
        if locale not in PLAIN_LATIN and not _tagalog_words(text):
            # Tagalog's plain letters draw a share of the confidence from any Latin text ("my boss took my
            # passport" is 64 % English, 26 % Tagalog); without a Tagalog word that share is set aside.
            plain = sum(value for code, value in values if code in PLAIN_LATIN)
            confidence = confidence / (1 - plain) if plain < 1 else confidence
        if hint in UNMARKED_TYPING and locale != hint and latin * 2 > len(letters):
            return None
        if hint is not None and CODE_SWITCHING.get(hint) == locale:
            return None
        close = frozenset({locale, hint}) in CLOSE_LANGUAGES
        strict = close or locale in PLAIN_LATIN
        needed = max(self._min_confidence, MIN_CONFIDENCE_CLOSE) if strict else self._min_confidence
        return locale if confidence >= needed else None

    def script_locale(self, text: str) -> str | None:
        """The locale a text's script alone tells (Ge'ez: Tigrinya), or None; lingua is not asked."""
        letters = _LETTER.findall(text)
        unspaced = sum(1 for letter in letters if _UNSPACED.match(letter))
        return self._script_locale(letters, len(letters) + (UNSPACED_LETTER_WEIGHT - 1) * unspaced)

    def _script_locale(self, letters: Sequence[str], weight: int) -> str | None:
        """The locale whose script (Ge'ez) most of the weighed letters are in, if it has enough of them."""
        for locale, script in self._by_script.items():
            count = sum(1 for letter in letters if script.match(letter))
            total = weight + (SCRIPT_LETTER_WEIGHT - 1) * count
            if count >= MIN_SCRIPT_LETTERS and count * SCRIPT_LETTER_WEIGHT * 2 > total:
                return locale
        return None


def _is_unmarked_vietnamese(text: str) -> bool:
    """Vietnamese typed without tone marks: a third of its words, two different ones at least, are common."""
    words = re.findall(r"\w+", text.casefold())
    known = [word for word in words if word in _UNMARKED_VIETNAMESE]
    return len(set(known)) >= MIN_UNMARKED_VIETNAMESE and len(known) * 3 >= len(words)


def _is_latin_tigrinya(text: str) -> bool:
    """Tigrinya typed in Latin letters: a third of its words, two different ones at least, are common."""
    words = re.findall(r"[\w']+", text.casefold())
    known = [word for word in words if word in _LATIN_TIGRINYA]
    return len(set(known)) >= MIN_LATIN_TIGRINYA and len(known) * 3 >= len(words)


def _tagalog_words(text: str) -> list[str]:
    """The text's words that are common Tagalog words (not words of the other supported languages)."""
    return [word for word in re.findall(r"\w+", text.casefold()) if word in _TAGALOG]


def _is_tagalog(text: str) -> bool:
    """Tagalog or Taglish: a third of its words, two different ones at least, are common Tagalog words."""
    known = _tagalog_words(text)
    return len(set(known)) >= MIN_TAGALOG and len(known) * 3 >= len(re.findall(r"\w+", text))


def is_free_text(text: str) -> bool:
    """Something the person wrote, not a button payload or a command."""
    return not text.lstrip().startswith("/")


def choose(
    current: LocaleChoice | None,
    client_locale: str | None,
    text: str,
    detector: LanguageDetector | None,
    supported: Sequence[str] = SUPPORTED_LOCALES,
) -> LocaleChoice:
    """The locale for this turn, given what was chosen before and what this message says."""
    picked = locale_from_payload(text, supported)
    if picked:
        return LocaleChoice(picked, LocaleSource.EXPLICIT)
    choice = current or LocaleChoice(DEFAULT_LOCALE, LocaleSource.DEFAULT)
    if client_locale and choice.source <= LocaleSource.CLIENT:
        choice = LocaleChoice(client_locale, LocaleSource.CLIENT)
    if detector is not None and choice.source < LocaleSource.DETECTED and is_free_text(text):
        detected = detector.detect(text, hint=client_locale)
        if detected:
            choice = LocaleChoice(detected, LocaleSource.DETECTED)
    return choice
