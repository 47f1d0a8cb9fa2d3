"""The ways people name countries, per language, that Babel does not know: data read by bot/countries.py.

Aliases ("UK", "Inglaterra"), names also written in another script, countries' own names, names that are
everyday words, and how names change when declined. Reviewed like content: add a language's lines here.
"""

from __future__ import annotations

# Ways people name countries that Babel does not list, per language (the language's own spelling).
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "GB": ("UK", "U.K.", "England", "Scotland", "Wales", "Britain", "Great Britain", "Northern Ireland"),
        "US": ("USA", "US", "U.S.", "U.S.A.", "America", "United States of America"),
        "NL": ("Holland", "The Netherlands"),
        "CZ": ("Czech Republic",),
        "TR": ("Turkey",),
        "HK": ("Hong Kong",),
        "BA": ("Bosnia",),
        "CI": ("Ivory Coast",),
    },
    "es": {
        "GB": ("Inglaterra", "Gran Bretaña", "Escocia", "Gales", "Irlanda del Norte"),
        "US": ("EEUU", "EE.UU.", "EE. UU.", "USA", "Estados Unidos de América"),
        "NL": ("Holanda",),
        "CZ": ("República Checa",),
        "HK": ("Hong Kong",),
    },
    "fr": {
        "GB": ("Angleterre", "Grande-Bretagne", "Écosse", "Pays de Galles", "Irlande du Nord"),
        "US": ("Etats-Unis", "USA", "Amérique"),
        "NL": ("Hollande",),
        "CZ": ("République tchèque",),
        "HK": ("Hong Kong",),
    },
    "pt": {
        "GB": ("Inglaterra", "Grã-Bretanha", "Escócia", "País de Gales"),
        "US": ("EUA", "USA", "América"),
        "NL": ("Holanda",),
        "CZ": ("República Tcheca", "Chéquia"),
        "PL": ("Polónia",),
        "RO": ("Roménia",),
    },
    "ro": {
        "GB": ("Anglia", "Marea Britanie", "Scoția"),
        "US": ("SUA", "Statele Unite", "America"),
        "NL": ("Olanda",),
        "CZ": ("Republica Cehă",),
        "MD": ("Moldova",),
        "HK": ("Hong Kong",),
    },
    "ru": {
        "GB": ("Англия", "Британия", "Шотландия", "Соединенное Королевство"),
        "US": ("США", "Штаты", "Америка"),
        "NL": ("Голландия",),
        "CZ": ("Чешская Республика",),
        "MD": ("Молдавия",),
    },
    "uk": {
        "GB": ("Англія", "Британія", "Шотландія", "Сполучене Королівство"),
        "US": ("США", "Штати", "Америка"),
        "NL": ("Голландія",),
        "CZ": ("Чеська Республіка",),
    },
    "ar": {
        "GB": ("بريطانيا", "إنجلترا", "انكلترا", "اسكتلندا"),
        "US": ("أمريكا", "أميركا", "الولايات المتحدة الأمريكية"),
        "NL": ("هولندا",),
    },
    "sq": {
        "GB": ("Angli", "Britani", "Britania e Madhe", "Mbretëria e Bashkuar", "UK", "Skoci"),
        "US": ("Amerikë", "Shtetet e Bashkuara", "USA"),
        "NL": ("Hollandë", "Vendet e Ulëta"),
        "MK": ("Maqedoni",),
        "CZ": ("Republika Çeke",),
    },
    # Short names that are everyday words alone (Anh "you", Mỹ, Ý "idea") only with "nước" (country);
    # đ is a letter of its own, so names typed without it are listed too.
    "vi": {
        "GB": ("Nước Anh", "Anh Quốc", "Anh Quoc", "England"),
        "US": ("Nước Mỹ", "Nuoc My", "USA", "America"),
        "IT": ("Nước Ý", "Nuoc Y", "Italia"),
        "DE": ("Duc", "Nuoc Duc", "CHLB Đức"),
        "PT": ("Bo Dao Nha",),
        "NL": ("Holland",),
        "VN": ("Vietnam", "VN"),
        "RU": ("Nước Nga", "Nuoc Nga", "ở Nga", "bên Nga", "sang Nga", "Liên bang Nga"),
    },
    "zh": {
        "GB": ("英格兰", "英格蘭", "苏格兰", "蘇格蘭", "威尔士", "大不列颠", "北爱尔兰", "联合王国"),
        "US": ("美利坚", "美利堅", "美利坚合众国"),
        "CZ": ("捷克共和国",),
        "HK": ("香港",),
        "MO": ("澳门", "澳門"),
        "TW": ("臺灣",),
        "KR": ("南韩",),
        "AE": ("阿联酋",),
        "SA": ("沙特",),
        "BA": ("波黑",),
        "RU": ("俄国",),
    },
    "th": {
        "GB": ("อังกฤษ", "ประเทศอังกฤษ", "เกาะอังกฤษ", "บริเตน", "สกอตแลนด์", "ยูเค"),
        "US": ("อเมริกา", "สหรัฐ", "สหรัฐฯ", "สหรัฐอเมริกา", "เมกา", "ยูเอส"),
        "DE": ("เยอรมัน", "เยอรมันนี", "ประเทศเยอรมัน"),
        "NL": ("ฮอลแลนด์", "ฮอลันดา"),
        "KR": ("เกาหลี",),
        "MM": ("พม่า", "เมียนมา", "เมียนมาร์"),
        "MY": ("มาเลย์",),
    },
    # Tigrinya: Babel's names (ኢጣልያ, ኔዘርላንድ) are the formal ones; people say ጥልያን, ሆላንድ, እንግሊዝ, and
    # often type the names in Latin letters as they sound in Tigrinya.
    "ti": {
        "GB": ("ዓባይ ብሪጣንያ", "ብሪታንያ", "እንግሊዝ", "ኢንግላንድ", "ስኮትላንድ", "ዩኬ", "Engliz", "Ingliz"),
        "US": ("ኣሜሪካ", "ሕቡራት መንግስታት ኣመሪካ", "ሕቡራት መንግስታት ኣሜሪካ", "ዩኤስኤ", "Amerika"),
        "IT": ("ጥልያን", "ጣልያን", "ኢጣሊያ", "Tilyan", "Tlyan", "Talyan"),
        "DE": ("ጀርመኒ", "Jermen"),
        "NL": ("ሆላንድ", "ሆላንዳ", "ኔዘርላንድስ", "Holand", "Hollanda"),
        "FR": ("ፈረንሳይ", "Ferensa", "Feransa"),
        "ES": ("ስፓኛ", "ስፔን", "እስፓኛ", "Spagna"),
        "PL": ("ፖሎኛ", "ፖሎንያ"),
        "GR": ("ግሪክ", "Grik"),
        "RO": ("ሮማንያ",),
        "UA": ("ዩክረይን",),
        "SA": ("ሳዑዲ", "ሳዑዲ ዓረብ", "ስዑዲ"),
        "AE": ("ዱባይ", "ኢማራት"),
        "ER": ("Eritrea", "Ertra"),
    },
    # Filipino names (CLDR's Filipino mostly uses the English ones, which are found anyway); "Hapon" (Japan)
    # is also "afternoon", so it is left out.
    "tl": {
        "ES": ("Espanya", "Espana"),
        "IT": ("Italya", "Italia"),
        "DE": ("Alemanya", "Alemania"),
        "FR": ("Pransya", "Pransiya", "Francia"),
        "GR": ("Gresya", "Grecia"),
        "GB": ("Inglatera", "UK", "England", "Britanya", "Eskosya"),
        "US": ("Estados Unidos", "Amerika", "USA", "US", "Estados Unidos ng Amerika"),
        "NL": ("Olanda", "Holland", "Netherlands"),
        "PL": ("Polonya", "Polonia"),
        "PT": ("Portugal",),
        "RO": ("Rumanya", "Rumania"),
        "UA": ("Ukranya", "Ukrania"),
        "PH": ("Pilipinas", "Pinas"),
        "CN": ("Tsina",),
        "RU": ("Rusya",),
        "SA": ("Saudi", "Saudi Arabya"),
        "AE": ("UAE",),
        "KR": ("Korea", "South Korea", "Timog Korea"),
        "CH": ("Suwisa",),
        "CY": ("Tsipre",),
    },
}
# Babel locales whose names people of a language also write: Chinese readers often type traditional forms.
ALSO_NAMED_IN: dict[str, tuple[str, ...]] = {"zh": ("zh_Hant",)}

# Countries' own names, which people abroad often type whatever language they chat in.
ENDONYMS: dict[str, tuple[str, ...]] = {
    "DE": ("Deutschland",),
    "AT": ("Österreich",),
    "CH": ("Schweiz",),
    "NL": ("Nederland",),
    "BE": ("België",),
    "PL": ("Polska",),
    "CZ": ("Česko",),
    "HU": ("Magyarország",),
    "GR": ("Ελλάδα",),
    "HR": ("Hrvatska",),
    "RS": ("Srbija", "Србија"),
    "BG": ("България",),
}

# Country names that are also everyday words ("того" = "of that", "малі" = "small", "مالي" = "my money"),
# Vietnamese "Nga" (Russia) is Albanian "from" ("nga Shqipëria"): Russia only with "nước", "ở"...;
# or that are inside everyday Chinese words (多哥哥 "many brothers", 沿海地区 "coastal area").
EVERYDAY_WORDS = frozenset({"того", "малі", "مالي", "多哥", "海地", "黑山", "nga"})

# Only the capitalised "US" is the country; "us" is a pronoun.
CAPITALISED_ONLY = frozenset({"US"})

# How a name's last letters change when it is declined, per language: the first ending that fits applies.
# The replacements are the endings of the cases people use after "in", "from", "to" (Румыния -> в Румынии).
CYRILLIC_CONSONANT = ""  # marker for "the name ends in a consonant": the endings are appended
ENDINGS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "ru": (
        ("ия", ("ии", "ию", "ией")),
        ("ая", ("ой", "ую", "ою")),
        ("ые", ("ых", "ым", "ыми")),
        ("ое", ("ом", "ого")),
        ("ый", ("ом", "ого", "ому")),
        ("ка", ("ке", "ки", "ку", "кой")),
        ("а", ("ы", "и", "е", "у", "ой", "ою")),
        ("я", ("и", "е", "ю", "ей", "ею")),
        ("ы", ("ах", "ов", "ам", "ами")),
        ("ь", ("е", "и", "я", "ю")),
        ("й", ("е", "я", "ю")),
        ("во", ("ве",)),
        (CYRILLIC_CONSONANT, ("е", "а", "у", "ом")),
    ),
    "uk": (
        ("ія", ("ії", "ію", "ією")),
        ("ка", ("ці", "ки", "ку", "кою")),
        ("а", ("і", "и", "у", "ою", "ій", "ої")),
        ("я", ("ї", "ю", "ею")),
        ("ий", ("ому", "ого", "ім")),
        ("і", ("их", "им", "ими")),
        ("и", ("ах", "ів", "ам", "ами")),
        ("е", ("ому", "ого", "ім")),
        ("ь", ("і", "ю", "я")),
        ("й", ("ї", "ю", "я")),
        ("во", ("ві",)),
        (CYRILLIC_CONSONANT, ("і", "у", "а", "ом", "ові")),
    ),
    # Albanian, folded ("Italinë" is "italine"): the definite, accusative and genitive forms people write
    # after "në", "nga", "te" (Itali -> Italia, Italinë, Italisë; Spanjë -> Spanja, Spanjën, Spanjës).
    "sq": (
        ("i", ("ia", "ine", "ise", "in")),
        ("e", ("a", "en", "es")),
        ("a", ("en", "es", "ne", "se")),
    ),
    "ro": (
        ("ia", ("iei",)),
        ("ie", ("iei", "ii")),
        ("ea", ("ei", "ii")),
        ("ca", ("cii", "cei")),
        ("a", ("ei",)),
        ("le", ("lor",)),
        ("ul", ("ului",)),
    ),
}
