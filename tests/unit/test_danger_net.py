"""The danger net catches imminent harm in every language, leaves ordinary questions alone, and refuses
a lexicon it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content.danger import DangerNet, DangerSignal, LexiconError, lexicon_problems
from bot.content.danger_patterns import PatternError, compile_pattern, normalise
from bot.i18n import SUPPORTED_LOCALES

DANGER_DIR = Path(__file__).resolve().parents[2] / "content" / "danger"

# The four messages issue 13 found understood as `describe_situation`, written naturally in each
# language: locked in without food or water; followed and about to be put in a van; a death threat from
# someone in the next room; locked in and not let out ("m-au închis în cameră și nu mă lasă să ies").
ISSUE_EXAMPLES: dict[str, list[str]] = {
    "en": [
        "they locked me in the room and there is no food or water",
        "the man is following me and wants to put me in the van",
        "the owner threatens to kill me, he is in the next room",
        "they locked me in the room and won't let me out",
    ],
    "es": [
        "me encerraron en la habitación y no hay comida ni agua",
        "el hombre me está siguiendo y quiere meterme en la furgoneta",
        "el dueño amenaza con matarme, está en la habitación de al lado",
        "me encerraron en el cuarto y no me dejan salir",
    ],
    "fr": [
        "ils m'ont enfermée dans la chambre et il n'y a ni eau ni nourriture",
        "l'homme me suit et veut me faire monter dans la camionnette",
        "le patron menace de me tuer, il est dans la pièce à côté",
        "ils m'ont enfermé dans la chambre et ne me laissent pas sortir",
    ],
    "pt": [
        "fecharam-me no quarto e não há comida nem água",
        "o homem está a seguir-me e quer meter-me na carrinha",
        "o patrão ameaça matar-me, está no quarto ao lado",
        "trancaram-me no quarto e não me deixam sair",
    ],
    "ro": [
        "m-au închis în cameră și nu am nici mâncare, nici apă",
        "bărbatul mă urmărește și vrea să mă bage în dubă",
        "patronul amenință că mă omoară, e în camera de alături",
        "m-au închis în cameră și nu mă lasă să ies",
    ],
    "ru": [
        "меня заперли в комнате, и нет ни еды, ни воды",
        "мужчина идёт за мной и хочет затащить меня в фургон",
        "хозяин угрожает убить меня, он в соседней комнате",
        "меня закрыли в комнате и не выпускают",
    ],
    "uk": [
        "мене замкнули в кімнаті, і немає ні їжі, ні води",
        "чоловік іде за мною і хоче запхати мене в бус",
        "хазяїн погрожує мене вбити, він у сусідній кімнаті",
        "мене зачинили в кімнаті і не випускають",
    ],
    "ar": [
        "حبسوني في الغرفة ولا يوجد طعام ولا ماء",
        "الرجل يلاحقني ويريد أن يدخلني في الشاحنة",
        "صاحب العمل يهددني بالقتل، وهو في الغرفة المجاورة",
        "قفلوا علي باب الغرفة وما بيخلوني اطلع",
    ],
    "sq": [
        "më mbyllën në dhomë dhe nuk ka as ushqim as ujë",
        "burri po më ndjek dhe do të më fusë në furgon",
        "pronari kërcënon se do më vrasë, është në dhomën ngjitur",
        "më mbyllën në dhomë dhe nuk më lënë të dal",
    ],
    "vi": [
        "họ nhốt tôi trong phòng, không có đồ ăn cũng không có nước uống",
        "người đàn ông đang đi theo tôi và muốn đẩy tôi lên xe",
        "ông chủ dọa giết tôi, hắn đang ở phòng bên cạnh",
        "họ khóa cửa nhốt tôi trong phòng và không cho tôi ra ngoài",
    ],
    "zh": [
        "他们把我锁在房间里，没有吃的也没有水",
        "那个男的一直跟着我，想把我塞进面包车",
        "老板威胁要杀了我，他就在隔壁房间",
        "他们把我关在房间里，不让我出去",
    ],
    "th": [
        "พวกมันขังฉันไว้ในห้อง ไม่มีข้าวไม่มีน้ำเลย",
        "ผู้ชายคนนั้นตามหนูมา จะจับหนูขึ้นรถตู้",
        "เถ้าแก่ขู่จะฆ่าหนู ตอนนี้เขาอยู่ห้องข้างๆ",
        "เขาขังหนูไว้ในห้องแล้วไม่ยอมปล่อยให้ออกไปไหนเลยค่ะ",
    ],
    "ti": [
        "ኣብ ክፍሊ ዓጽዮምኒ መግቢ ወይ ማይ የለን",
        "እቲ ሰብኣይ ይስዕበኒ ኣሎ ናብ መኪና ከእትወኒ ይደሊ",
        "ወሃብ ስራሕ ክቐትለኒ እዩ ይብል፣ ሕጂ ኣብ ጎድኒ ክፍሊ ኣሎ",
        "ኣብ ክፍሊ ዓጽዮምኒ ክወጽእ ኣይፈቕዱለይን",
    ],
    "tl": [
        "kinulong nila ako sa kwarto at walang pagkain o tubig",
        "sinusundan ako ng lalaki at gusto niya akong isakay sa van",
        "pinagbantaan ako ng amo na papatayin ako, nasa kabilang kwarto siya",
        "kinulong nila ako sa kwarto at ayaw nila akong palabasin",
    ],
}

# The way many people type on a phone: no diacritics, no apostrophes, SMS spelling.
PLAIN_TYPING: dict[str, list[str]] = {
    "en": [
        "im locked in the room n theres no food pls help",
        "some guy is folowing me, wants 2 put me in his van",
    ],
    "es": [
        "me encerraron en la habitacion y no hay comida ni agua",
        "el dueno amenaza con matarme esta al lado",
    ],
    "fr": [
        "ils m ont enfermee dans la chambre, il n y a ni eau ni nourriture",
        "le patron menace de me tuer",
    ],
    "pt": [
        "fecharam me no quarto e nao ha comida nem agua",
        "o patrao ameaca matar me, esta no quarto ao lado",
    ],
    "ro": [
        "m-au inchis in camera si nu ma lasa sa ies",
        "patronul ameninta ca ma omoara, e in camera de alaturi",
    ],
    "ru": ["мужчина идет за мной и хочет затащить меня в фургон", "menya zaperli v komnate, pomogite"],
    "uk": ["хазяїн погрожує мене вбити він у сусідній кімнаті", "mene zamknuly v kimnati, ratuyte"],
    "ar": ["الرجل يلاحقني ويريد ان يدخلني في الشاحنه", "حَبَسُوني في الغُرفة ولا يوجَد طعام ولا ماء"],
    "sq": ["me kan mbyll ne dhom e sme lene te dal", "shefi tha qe do me vras, esht ktu jasht"],
    # Vietnamese is very often typed without tone marks, with đ as d, and in teencode (k = không).
    "vi": ["ho nhot em trong phong k cho an uong gi ca", "ong chu doa giet em, dang o phong ben, cuu em voi"],
    "zh": ["他们把我锁在房间里没吃的 救命", "老闆說要殺了我 他在隔壁", "有个男的一直跟着我 要把我拉上车"],
    "th": ["ชวยดวย เขาขงหนไวในหอง", "นายจางจะฆาผม ตอนนเขาอยหนาหอง"],
    # Tigrinya typed in Latin letters, and Ge'ez with the Ethiopic wordspace and full stop.
    "ti": [
        "axiyomuni ab kifli mgbi yelen hgzuni",
        "goyta kiqetleni eyu ilu hji ab kifli alo",
        "ዓጽዮምኒ፡ኣብ፡ክፍሊ።",
    ],
    # Tagalog is typed in text-speak and Taglish: aq = ako, d2 = dito, nla = nila, d = hindi.
    "tl": [
        "kinulong nla aq d2 sa kwarto d aq makalabas",
        "panganib",  # the word the welcome tells people to write
        "papatayin daw ako ng amo ko, andito sya sa labas pls",
    ],
}

# Ordinary messages, including the two the issue names as not danger by themselves: a passport kept by
# the boss (describe_situation) and the fear of being deported; a past that is over; a "what if".
NOT_DANGER: dict[str, list[str]] = {
    "en": [
        "what are my rights",
        "my boss took my passport",
        "I'm scared of being deported",
        "can I get a free lawyer",
        "where can I sleep tonight",
        "is this chat private",
        "do I have to go to the police",
        "they locked me in a flat two years ago, what can I do now?",
        "how do I get my unpaid wages back",
        "what if my boss threatens me",
    ],
    "es": [
        "cuáles son mis derechos",
        "mi jefe me quitó el pasaporte",
        "tengo miedo de que me deporten",
        "cómo consigo un abogado gratis",
        "dónde puedo dormir esta noche",
        "este chat es privado",
        "tengo que ir a la policía",
        "hace dos años me encerraron en un piso, qué puedo hacer ahora",
        "no me pagan el sueldo",
        "quiero volver a mi país con mi familia",
    ],
    "fr": [
        "quels sont mes droits",
        "mon patron a pris mon passeport",
        "j'ai peur d'être expulsée",
        "comment avoir un avocat gratuit",
        "où dormir ce soir",
        "est-ce que cette conversation est privée",
        "est-ce que je dois aller à la police",
        "il y a deux ans ils m'ont enfermée, que puis-je faire maintenant",
        "on ne me paie pas mon salaire",
        "je veux rentrer chez moi",
    ],
    "pt": [
        "quais são os meus direitos",
        "o meu patrão ficou com o meu passaporte",
        "tenho medo de ser deportada",
        "como arranjo um advogado gratuito",
        "onde posso dormir esta noite",
        "esta conversa é privada?",
        "tenho de ir à polícia?",
        "há dois anos fecharam-me num apartamento, o que posso fazer agora",
        "não me pagam o salário",
        "encerrar conversa",
    ],
    "ro": [
        "care sunt drepturile mele",
        "șeful mi-a luat pașaportul",
        "mi-e frică să nu fiu expulzată",
        "cum găsesc un avocat gratuit",
        "unde pot dormi diseară",
        "conversația asta e privată?",
        "trebuie să merg la poliție?",
        "acum doi ani m-au închis într-un apartament, ce pot face acum",
        "nu mi-au plătit salariul",
        "e închis magazinul duminica?",
    ],
    "ru": [
        "какие у меня права",
        "хозяин забрал мой паспорт",
        "я боюсь, что меня депортируют",
        "как найти бесплатного адвоката",
        "где мне переночевать сегодня",
        "этот чат анонимный?",
        "мне обязательно идти в полицию",
        "два года назад меня держали взаперти, что мне делать",
        "мне не платят зарплату",
        "магазин закрыт в воскресенье?",
    ],
    "uk": [
        "які в мене права",
        "хазяїн забрав мій паспорт",
        "я боюся, що мене депортують",
        "як знайти безкоштовного адвоката",
        "де мені переночувати сьогодні",
        "цей чат анонімний?",
        "чи треба мені йти в поліцію",
        "два роки тому мене тримали під замком, що мені робити",
        "мені не платять зарплату",
        "хочу повернутися додому",
    ],
    "ar": [
        "ما هي حقوقي",
        "صاحب العمل أخذ جواز سفري",
        "أنا خائفة من الترحيل",
        "كيف أحصل على محامي مجاني",
        "وين بقدر نام الليلة",
        "هل هذه المحادثة سرية",
        "هل لازم أروح على الشرطة",
        "قبل سنتين حبسوني في شقة، شو بقدر أعمل",
        "ما بيدفعولي راتبي",
        "السكينة والهدوء مهمان",
    ],
    "sq": [
        "cilat jane te drejtat e mia",
        "shefi ma mori pasaportën",
        "kam frikë se do më deportojnë",
        "si te gjej nje avokat falas",
        "ku mund të fle sonte",
        "a eshte private kjo bisede",
        "a duhet te shkoj ne polici?",
        "para dy vitesh me mbyllen ne nje apartament, cfare mund te bej tani",
        "nuk ma paguan rrogen",
        "a eshte i mbyllur dyqani te dielen?",
        "nuk mund te iki ne shtepi se s kam leter",
        "e mbylli telefonin dhe nuk me foli me",
    ],
    "vi": [
        "quyền của tôi là gì",
        "ông chủ giữ hộ chiếu của em",
        "tôi sợ bị trục xuất",
        "lam sao co luat su mien phi",
        "toi nay ngu o dau",
        "cuộc trò chuyện này có bí mật không",
        "bao cong an co nguy hiem khong",
        "hai năm trước họ nhốt tôi trong một căn hộ, giờ tôi làm gì được",
        "ho khong tra luong cho toi",
        "toi nay ban toi den don",  # "bạn tôi" (my friend), not "bán tôi" (sell me)
        "ho khong cho toi di ra ngoai mot minh",  # not free to go out alone: describe_situation
    ],
    "zh": [
        "我有什么权利",
        "老板拿走了我的护照",
        "我怕被遣返",
        "怎么找免费律师",
        "今晚我能睡哪里",
        "这个聊天是私密的吗",
        "我必须去报警吗",
        "两年前他们把我关在一个公寓里，我现在能做什么",
        "他们不给我工资",
        "商店周日关门吗？",
        "如果老板威胁我怎么办",
    ],
    "th": [
        "หนูมีสิทธิอะไรบ้างคะ",
        "นายจ้างยึดพาสปอร์ตผมไป",
        "กลัวโดนส่งกลับประเทศค่ะ",
        "หาทนายฟรีได้ที่ไหนครับ",
        "คืนนี้จะไปนอนที่ไหนได้บ้าง",
        "แชทนี้เป็นความลับไหมคะ",
        "ต้องไปแจ้งตำรวจไหมครับ",
        "เมื่อสองปีก่อนเคยโดนขังในห้อง ตอนนี้ทำอะไรได้บ้าง",
        "เขาไม่จ่ายเงินเดือนหนูเลย",
        "ร้านเปิดวันอาทิตย์ไหม 555",
    ],
    "ti": [
        "መሰላተይ እንታይ እዮም",
        "ወሃብ ስራሕ ፓስፖርተይ ወሲዱ",
        "ከይስጎጉኒ እፈርሕ",
        "ናጻ ጠበቓ ብኸመይ ይርከብ",
        "ሎሚ ምሸት ኣበይ ክድቅስ",
        "እዚ ዕላል ምስጢራዊ ድዩ",
        "ናብ ፖሊስ ክኸይድ ኣለኒ ድየ",
        "ቅድሚ ክልተ ዓመት ኣብ ገዛ ዓጽዮምኒ ነይሮም፣ ሕጂ እንታይ ክገብር",
        "ደሞዝ ኣይከፈሉንን",
        "ጠበቓ ንምርካብ ሓግዙኒ",
        "ተኣሲረ ነይረ ብሰንኪ እቲ ዘገደዱኒ",  # arrested, not held
        "ezi chat mistirawi diyu",
    ],
    "tl": [
        "ano ang mga karapatan ko",
        "kinuha ng amo ko ang passport ko",
        "takot ako na ma-deport",
        "paano makakuha ng libreng abogado",
        "san ako pwede matulog tonight",
        "private ba tong chat?",
        "kailangan ko bang pumunta sa pulis?",
        "dalawang taon na ang nakaraan kinulong nila ako sa apartment, ano pwede ko gawin ngayon",
        "hindi binabayaran ang sahod ko",
        "hindi ako makauwi sa amin kasi wala akong papeles",
        "pinatay niya ang phone at hindi na ako kinausap",
        "kailangan ko ng tulong sa papeles",
    ],
}


# Danger as people in the four newer languages type it (2026-12-03, machine-drafted, to be reviewed by
# native speakers): scam compounds (shocks for a missed quota, sold on to another company), fishing boats,
# domestic work, ransom on the way to Libya; Tagalog infixes and text-speak, Tigrinya in Ge'ez and Latin
# letters, Vietnamese without tone marks and in teencode, Thai with particles.
EVERYDAY_DANGER: dict[str, list[str]] = {
    "tl": [
        "tulong po kinulong ako ni madam sa bodega",  # kinulong: kulong with the -in- infix
        "ni-lock ako ni sir sa kwarto, wala pang kain since kahapon",
        "kinukuryente nila kami pag di naabot ang quota",
        "papatayin daw nila pamilya ko sa pinas pag tumakas ako",
        "ibebenta daw nila ako sa ibang compound bukas",
        "itatapon daw nila ako sa dagat pag nagsumbong ako",
        "d aq mkalabas nkalock ung gate",
        "andito na xa sa labas ng kwarto",
        "nasa panganib po kami dito sa barko",
        "gusto ko nang mamatay",
    ],
    "ti": [
        "ገንዘብ እንተዘይከፊልኩም ክቐትሉኒ እዮም ይብሉ",  # ransom: "if you don't pay, they will kill me"
        "ብኮረንቲ ይሃርሙና ኣለዉ ሓግዙና",
        "ንስድራይ ኣብ ዓዲ ክቐትልዎም እዮም ኢሎም",
        "ጃልባና ማይ ይኣቱ ኣሎ ድሓኑና",
        "ሰለስተ መዓልቲ ኣይበላዕናን ማይ የለን",
        "ጓለይ ወሲዶማ ሕጂ",
        "genzeb entezeykefelkum kiqetluni eyom",
        "ab hadega ina hgzuna",
    ],
    "vi": [
        "khong dat chi tieu la bi chich dien, cuu em voi",
        "em bi ban sang cong ty khac o myanmar toi nay",
        "bon no doi gia dinh gui tien chuoc, khong thi giet em",
        "cua so bi dong dinh het, em khong ra duoc",
        "neu bo tron la giet ca nha o que",  # a threat, not a "what if"
        "ho nhot em trong phong, cho em hoi phai lam sao",  # "hoi" (ask) is not "back then"
        "no dang danh e, cuu e voi",
        "k bt e dang o dau, xe chay ca dem",
        "thuyen dang chim, cuu voi",
    ],
    "th": [
        "ยอดไม่ถึงโดนช็อตไฟฟ้า ช่วยด้วย",
        "ทำยอดไม่ได้โดนซ้อม ตอนนี้เพื่อนสลบ",  # "could not make it", not "was not beaten"
        "มีการ์ดถือปืนเฝ้าตึก หนีไปไหนไม่ได้",
        "จะขายหนูไปอีกบริษัทคืนนี้",
        "ไต๋เรือขู่จะโยนลงทะเลถ้าไม่ทำงาน",
        "มันขู่ว่าถ้าหนีจะฆ่า",
        "บังคับให้หนูรับแขกคืนนี้ หนูไม่อยากไป",
        "เลือดไหลไม่หยุด กำลังจะตายแล้ว",
    ],
}

# What looks like them but is not danger now: figures of speech, a harm that is over, a "what if".
LOOK_ALIKES: dict[str, list[str]] = {
    "tl": [
        "mamamatay na ako sa gutom, ano masarap na ulam",
        "gusto ko nang mamatay sa kakatawa haha",
        "patay na battery ko kaya di ako nakareply",
        "pinatay ko na yung app kanina",
        "binugbog ako ng amo ko noong isang taon, pwede pa ba ako magreklamo",
        "paano kung ikulong nila ako, ano gagawin ko",
        "naka lock ako sa fb account ko",
        "nakulong ako dahil sa ginawa ng amo ko",
        "hindi ako pinapalabas ng amo kapag day off",
    ],
    "ti": [
        "ጥሜት ቀቲሉኒ እንታይ ክበልዕ",  # "hunger has killed me": I am starving
        "ስሓቕ ቀቲሉኒ",
        "ቅድሚ ክልተ ዓመት ኣብ ሊብያ ይወቕዑና ነይሮም፣ ሕጂ ኣብ ጀርመን እየ",
        "እንተ ዓጽዮምኒ እንታይ ክገብር",
        "ባትሪ ስልከይ ሞይቱ",
        "ጠበቓ ንምርካብ ሓግዙና",
        "ንእሽቶ ሓወይ ወሲዶምዎ",  # a child taken, asked about: the model answers it
    ],
    "vi": [
        "doi bung qua an gi bay gio",
        "cuoi chet mat",
        "giet thoi gian bang cach xem phim",
        "giet chet con muoi roi",
        "dien thoai het pin roi",
        "nam ngoai ong chu danh em, gio em doi boi thuong duoc khong",
        "neu ho nhot em thi sao",
        "giup em voi, em muon hoi ve visa",
        "khat nuoc qua",
    ],
    "th": [
        "หิวจะตายแล้ว กินอะไรดี",
        "เหนื่อยจะตายอยู่แล้ว ทำงานทั้งวัน",
        "แบตจะตายแล้ว เดี๋ยวคุยต่อ",
        "ขำจะตายแล้ว 555",
        "ไปฆ่าเวลาที่ห้าง",
        "หนี้ไม่ได้ลดเลย ทำยังไงดี",  # หนี้ (debt) and หนี (run away) are one word without marks
        "ปีที่แล้วโดนตบ ตอนนี้ปลอดภัยแล้ว",
        "ถ้าหนีจะโดนจับไหม",
        "แจ้งตำรวจที่ยุโรปยังไง",
    ],
}


def cases(by_language: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(lang, text) for lang, texts in by_language.items() for text in texts]


@pytest.fixture(scope="module")
def net() -> DangerNet:
    return DangerNet.load(DANGER_DIR)


def write_lexicon(directory: Path, locale: str = "en", **fields: object) -> Path:
    data: dict[str, object] = {
        "locale": locale,
        "reviewed": "2026-12-02",
        "sources": [{"title": "Helpline team (conversation design)"}],
        "cues": {"locked_in": ["locked in"]},
    }
    data.update(fields)
    text = yaml.safe_dump(data, allow_unicode=True).replace("'2026-12-02'", "2026-12-02")
    (directory / f"{locale}.yml").write_text(text, encoding="utf-8")
    return directory


def net_of(tmp_path: Path, **fields: object) -> DangerNet:
    return DangerNet.load(write_lexicon(tmp_path, **fields))


@pytest.mark.parametrize(("lang", "text"), cases(ISSUE_EXAMPLES))
def test_the_issues_danger_examples_are_caught_in_every_language(
    net: DangerNet, lang: str, text: str
) -> None:
    assert net.assess(text) is not None


@pytest.mark.parametrize(("lang", "text"), cases(PLAIN_TYPING))
def test_danger_typed_without_diacritics_or_in_sms_style_is_caught(
    net: DangerNet, lang: str, text: str
) -> None:
    assert net.assess(text) is not None


@pytest.mark.parametrize(("lang", "text"), cases(NOT_DANGER))
def test_ordinary_questions_raise_no_alarm(net: DangerNet, lang: str, text: str) -> None:
    assert net.assess(text) is None


@pytest.mark.parametrize(("lang", "text"), cases(EVERYDAY_DANGER))
def test_danger_as_people_in_the_newer_languages_type_it_is_caught(
    net: DangerNet, lang: str, text: str
) -> None:
    assert net.assess(text) is not None


@pytest.mark.parametrize(("lang", "text"), cases(LOOK_ALIKES))
def test_figures_of_speech_past_harm_and_what_ifs_raise_no_alarm(
    net: DangerNet, lang: str, text: str
) -> None:
    assert net.assess(text) is None


def test_every_language_has_examples_of_both_kinds() -> None:
    for examples in (ISSUE_EXAMPLES, PLAIN_TYPING, NOT_DANGER):
        assert set(examples) == set(SUPPORTED_LOCALES)
    assert all(len(texts) >= 8 for texts in NOT_DANGER.values())


def test_the_signal_names_the_language_and_the_cue_never_the_text(net: DangerNet) -> None:
    signal = net.assess("the owner threatens to kill me, he is in the next room")
    assert signal == DangerSignal(locale="en", cue="death_threat")
    assert "kill" not in repr(signal)


def test_every_language_is_read_on_every_message(net: DangerNet) -> None:
    # A Spanish speaker whose chat is in English, and Russian typed in Latin letters.
    assert net.assess("hello, me encerraron en el cuarto") == DangerSignal("es", "locked_in")
    assert net.assess("pomogite") == DangerSignal("ru", "in_danger")


def test_a_harm_that_is_over_is_no_alarm_unless_it_is_happening_again(net: DangerNet) -> None:
    assert net.assess("he beat me two years ago, can I get compensation") is None
    assert net.assess("he beat me two years ago and he is outside right now") is not None


def test_a_threat_said_with_if_or_asked_as_a_question_is_still_an_alarm(net: DangerNet) -> None:
    assert net.assess("他说如果我跑了就杀了我") is not None  # "he said if I run he will kill me"
    assert net.assess("他们会不会杀了我") is not None  # "will they kill me?"
    assert net.assess("你可以帮我报警吗") is not None  # "can you call the police for me?"
    assert net.assess("可以快点来救我吗") is not None
    assert net.assess("万一他回来打我怎么办") is None  # "what if he comes back and hits me"


def test_confinement_that_still_lasts_is_an_alarm(net: DangerNet) -> None:
    assert net.assess("they have kept me locked in this room for two months") is not None
    assert net.assess("hace dos meses que estoy encerrada") is not None


def test_strange_or_empty_messages_are_assessed_without_error(net: DangerNet) -> None:
    for text in ("", "   ", "🙂🙂", "?!", "a" * 5000, "x " * 3000):
        assert net.assess(text) is None


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("M-au închis în cameră și nu mă lasă să ies", " m au inchis in camera si nu ma lasa sa ies "),
        ("Ş ş Ţ ţ ș ț", " s s t t s t "),
        ("Não há água, ça", " nao ha agua ca "),
        ("Ёлка, йод, їжак, ґанок, б'ють", " елка йод їжак ганок б ють "),
        ("أَنا مُحْتَجَزَةٌ فـــي الغرفة إلى آخر ٱلله ١١٢", " انا محتجزه في الغرفه الي اخر الله 112 "),
        ("I'm   LOCKED-in!!", " i m locked in "),
        ("Họ nhốt tôi, ĐỪNG để nó biết", " ho nhot toi dung de no biet "),  # đ is typed as d
        ("", " "),
    ],
)
def test_messages_are_normalised_before_matching(text: str, normal: str) -> None:
    assert normalise(text) == normal


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("lock* (me|us) in", "they locked me in", "they lock the office"),
        ("fol*ow* me", "he is folowing me", "follow the rules"),
        ("*قتل*", "راح يقتلني", "قتال"),
        (
            "threat* ... kill",
            "he threatens to come and kill",
            "he threatens them all day long and does not kill",
        ),
        ("(is|s)? outside the door", "outside the door", "outside the house"),
        ("no water !(in the shelter|at the shelter)", "no water here", "no water in the shelter"),
        ("^ (sos|help) $", "sos", "sos please"),
        ("@me locked", "she is locked", "he is locked"),
    ],
)
def test_the_pattern_syntax(tmp_path: Path, pattern: str, matches: str, misses: str) -> None:
    net = net_of(tmp_path, sets={"me": ["she is", "we are"]}, cues={"test": [pattern]})
    assert net.assess(matches) == DangerSignal("en", "test")
    assert net.assess(misses) is None


def test_pattern_words_are_normalised_like_the_text(tmp_path: Path) -> None:
    net = net_of(tmp_path, locale="ro", cues={"locked_in": ["m-au închis"]})
    assert net.assess("m au inchis") is not None
    assert net.assess("M-AU ÎNCHIS") is not None


@pytest.mark.parametrize("pattern", ["(a|b", "a)", "@nowhere", "re: (unclosed", "x?", "...", "!a"])
def test_a_pattern_that_cannot_be_compiled_is_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern, {})


def test_a_bad_lexicon_is_refused_with_every_problem_listed(tmp_path: Path) -> None:
    write_lexicon(
        tmp_path,
        locale="fr",
        reviewed="soon",
        sources=[],
        sets={"me": ["moi", True]},
        cues={"locked_in": ["(enferm*"], "followed": [], "hiding": ["@nobody"]},
        colour="blue",
    )
    with pytest.raises(LexiconError) as refused:
        DangerNet.load(tmp_path)
    message = str(refused.value)
    for words in (
        "colour: unknown field",
        "sources: required",
        "reviewed: must be a date",
        "sets.me",
        "cues.locked_in[0]",
        "cues.followed",
        "cues.hiding[0]",
        "no set named '@nobody'",
    ):
        assert words in message


def test_a_lexicon_named_after_another_language_is_refused(tmp_path: Path) -> None:
    write_lexicon(tmp_path, locale="en")
    (tmp_path / "en.yml").rename(tmp_path / "es.yml")
    with pytest.raises(LexiconError, match="locale"):
        DangerNet.load(tmp_path)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"no \.yml file"):
        DangerNet.load(tmp_path)


def test_the_content_check_sees_a_missing_language(tmp_path: Path) -> None:
    write_lexicon(tmp_path, locale="en")
    assert [str(problem) for problem in lexicon_problems(tmp_path, ["en", "uk"])] == [
        f"{tmp_path.name}/uk.yml: missing: every language needs a danger lexicon"
    ]


def test_the_real_lexicons_have_no_problem_and_cover_every_language(net: DangerNet) -> None:
    assert lexicon_problems(DANGER_DIR) == []
    assert sorted(net.locales) == sorted(SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_lexicon_is_reviewed_sourced_and_marked_when_drafted(locale: str) -> None:
    data = yaml.safe_load((DANGER_DIR / f"{locale}.yml").read_text(encoding="utf-8"))
    titles = " ".join(source["title"] for source in data["sources"])
    assert "Helpline team (conversation design)" in titles
    assert "rarely" in titles  # people rarely use legal words: content-facts.md
    assert data["reviewed"]
    if locale != "en":
        assert data["drafted_by"] == "project team (LLM-assisted), to be reviewed by a native speaker"
