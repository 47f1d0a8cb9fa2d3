"""Two needs in one message: the message is cut at its joining words, each part is read alone, and two
clear topics are both answered, the more urgent first; a long story's closing question is answered;
single needs, fear beside a need, and danger go to the engine as written."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.needs import NEEDS_FILE, NeedWords, needs_problems
from bot.conversation.core import ConversationCore
from bot.conversation.two_needs import needs_in, together, two_needs
from bot.engine.base import EngineUnavailable
from bot.engine.waiting import WaitingEngine
from bot.messages import Button, Channel, IncomingMessage, Reply
from tests.unit.test_core_routing import FakeConversationLog

CONTENT = Path(__file__).resolve().parents[2] / "content"
WORDS = NeedWords.load(CONTENT / NEEDS_FILE)
MARIA = "d" * 64


@dataclass(frozen=True)
class Read:
    intent: str
    confidence: float = 1.0


@dataclass
class ReadingEngine:
    """Reads texts as the model would (a fixed table) and answers each command with its topic's name."""

    readings: dict[str, Read]
    asked: list[str] = field(default_factory=list)

    async def parse(self, text: str) -> Read:
        return self.readings.get(text, Read("nlu_fallback", 0.5))

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        self.asked.append(text)
        return [Reply(text=text.removeprefix("/"))]


def answers(engine: ReadingEngine, text: str, locale: str = "en") -> list[str]:
    core = ConversationCore(engine, FakeConversationLog(), CONTENT / "locale")
    replies = asyncio.run(core.handle(IncomingMessage(MARIA, Channel.WEBCHAT, text, locale)))
    return [reply.text for reply in replies]


def test_a_message_is_cut_at_its_joining_words_in_every_script() -> None:
    assert WORDS.parts("I need a free lawyer and a place to sleep tonight", "en") == (
        "I need a free lawyer",
        "a place to sleep tonight",
    )
    assert WORDS.parts("necesito un abogado y también un médico", "es") == (
        "necesito un abogado",
        "un médico",
    )
    assert WORDS.parts("أحتاج محامي مجاني ومكان آمن للنوم", "ar") == ("أحتاج محامي مجاني", "مكان آمن للنوم")
    assert WORDS.parts("我需要一个免费的律师，还需要今晚睡觉的地方", "zh") == (
        "我需要一个免费的律师",
        "今晚睡觉的地方",
    )


def test_words_that_only_contain_a_joining_word_do_not_cut() -> None:
    assert WORDS.parts("I understand, Andrew", "en") == ("I understand, Andrew",)
    assert WORDS.parts("o que é isso", "pt") == ("o que é isso",)  # "é" is "is", not "e" ("and")
    assert WORDS.parts("وين أنام الليلة", "ar") == ("وين أنام الليلة",)  # "where": و and two letters


def test_two_clear_needs_are_both_answered_the_more_urgent_first() -> None:
    whole, parts = Read("ask_legal_aid", 0.77), [Read("ask_legal_aid"), Read("ask_shelter", 0.99)]
    assert two_needs(whole, parts, WORDS) == ("ask_shelter", "ask_legal_aid")


def test_the_urgency_order_is_the_reviewed_one() -> None:
    assert WORDS.most_urgent_first(["ask_legal_aid", "ask_health_support", "ask_shelter"]) == [
        "ask_shelter",
        "ask_health_support",
        "ask_legal_aid",
    ]
    child_first = WORDS.most_urgent_first(["ask_residence_permit", "ask_child_protection"])
    assert child_first[0] == "ask_child_protection"


def test_a_vague_part_fear_alone_or_a_third_reading_gives_one_answer() -> None:
    scared = [Read("ask_health_support", 0.6), Read("ask_shelter")]
    assert two_needs(Read("ask_shelter"), scared, WORDS) == ()
    not_topics = [Read("describe_situation"), Read("ask_shelter")]
    assert two_needs(Read("ask_shelter"), not_topics, WORDS) == ()
    both = [Read("ask_legal_aid"), Read("ask_shelter")]
    assert two_needs(Read("immediate_danger", 0.9), both, WORDS) == ()  # danger goes as written
    assert two_needs(Read("ask_asylum"), both, WORDS) == ()


def test_a_message_the_model_finds_ambiguous_can_still_hold_two_needs() -> None:
    both = [Read("ask_health_support"), Read("ask_residence_permit")]
    assert two_needs(Read("nlu_fallback", 0.5), both, WORDS) == ("ask_health_support", "ask_residence_permit")


def test_the_core_sends_both_topics_as_commands_in_urgency_order() -> None:
    engine = ReadingEngine(
        {
            "necesito un abogado y también un médico": Read("ask_legal_aid", 0.79),
            "necesito un abogado": Read("ask_legal_aid"),
            "un médico": Read("ask_health_support"),
        }
    )
    assert answers(engine, "necesito un abogado y también un médico", "es") == [
        "ask_health_support",
        "ask_legal_aid",
    ]
    assert engine.asked == ["/ask_health_support", "/ask_legal_aid"]


def test_one_need_goes_to_the_engine_as_written() -> None:
    engine = ReadingEngine({"I need a lawyer": Read("ask_legal_aid")})
    answers(engine, "I need a lawyer")
    answers(engine, "I am in Spain and I need a lawyer")
    assert engine.asked == ["I need a lawyer", "I am in Spain and I need a lawyer"]


def test_a_long_story_ending_in_a_question_answers_the_question() -> None:
    story = "my boss took my passport and never pays me. can i get my money back?"
    engine = ReadingEngine(
        {story: Read("describe_situation", 0.99), "can i get my money back?": Read("ask_compensation")}
    )
    assert asyncio.run(needs_in(story, "en", engine, WORDS)) == ("ask_compensation",)
    thai = "นายจ้างยึดพาสปอร์ตไปแล้ว ไม่เคยจ่ายเงินเลย จะได้เงินคืนไหมคะ"
    assert WORDS.closing_question(thai, "th") == "จะได้เงินคืนไหมคะ"


def test_geez_punctuation_ends_sentences_and_questions() -> None:
    # "My employer took my passport. Can I get my wages back?" with the Ethiopic full stop and question mark.
    story = "ወሃብ ስራሕ ፓስፖርተይ ወሲዱ። ደሞዘይ ክምለሰለይ ይኽእል ድዩ፧"
    assert WORDS.closing_question(story, "ti") == "ደሞዘይ ክምለሰለይ ይኽእል ድዩ፧"
    assert all(not part.endswith("፣") for part in WORDS.parts("ጠበቓ የድልየኒ፣ ከምኡውን መደቀሲ የድልየኒ፣", "ti"))


def test_a_question_that_is_the_whole_message_is_left_to_the_model() -> None:
    assert WORDS.closing_question("can i get my money back?", "en") is None
    assert WORDS.closing_question("my boss took my passport. I work every day.", "en") is None


def test_the_country_buttons_stay_under_the_first_answer_only() -> None:
    country = Button("🇪🇸 Spain", "/country_es_ask_shelter")
    first = [Reply("shelter: which country?", (country,))]
    second = [Reply("lawyer: which country?", (Button("🇪🇸 Spain", "/country_es_ask_legal_aid"),))]
    joined = together([first, second])
    assert [reply.buttons for reply in joined] == [(country,), ()]


def test_the_needs_file_orders_every_topic_and_names_no_other() -> None:
    topics = set(WORDS.urgency)
    assert needs_problems(CONTENT / NEEDS_FILE, topics, ["en"]) == []
    problems = needs_problems(CONTENT / NEEDS_FILE, topics | {"ask_new_topic"}, ["en"])
    assert [problem.message for problem in problems] == ["topic 'ask_new_topic' has no place in the order"]


def test_the_waiting_engine_passes_the_reading_through_and_never_waits_for_it() -> None:
    engine = ReadingEngine({"a free lawyer": Read("ask_legal_aid")})
    waiting = WaitingEngine(engine)
    assert asyncio.run(waiting.parse("a free lawyer")) == Read("ask_legal_aid")
    try:
        asyncio.run(WaitingEngine(FakeConversationLog()).parse("a free lawyer"))  # type: ignore[arg-type]
    except EngineUnavailable:
        pass
    else:
        raise AssertionError("an engine that cannot read texts must say so")
