"""Conversations as people write them: right topic and right country in the last reply, per language.

Each file `tests/conversations/<lang>.yml` lists conversations (messages written the way people type:
several clauses, a country or a city anywhere, country-only follow-ups, fear words beside a practical need,
typos) and what the LAST reply must be: the content entry answering `intent`, for `country` (null: the
person has named none, so the answer asks for it); after a short follow-up ("and if I have no papers?"),
`follow_up` names what it asks, and the reply must say that note first (bot/actions/nlg.py). A message
asking for two things lists `intents` instead: the last turn's replies must hold each entry, in that order
(the more urgent first).

The script starts the whole helpline on free ports (tests/stack.py: Rasa on the trained model, the action
server that renders every reply from content/), and sends every conversation through the real conversation
core (danger net included) with the real Rasa, as a new person. A conversation is right when one reply of
its last turn contains the entry exactly as the content library renders it for that language and country.

    python bench/conversations.py [--sets tests/conversations] [--out bench/results.json]
                                  [--heldout tests/nlu]

Writes per-language accuracy (no texts) under "conversation_accuracy" in bench/results.json, keeping the
other keys, and prints each miss with what the last reply was instead. Under "two_needs" it writes, per
language, how many single-need messages of the held-out split (tests/nlu/) would be answered with two
topics (false splits) and how many two-need conversations got both answers in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval import heldout_examples  # noqa: E402
from bot.actions.nlg import with_follow_up  # noqa: E402
from bot.actions.turn import Turn  # noqa: E402
from bot.content import ContentLibrary  # noqa: E402
from bot.content.danger import DangerNet  # noqa: E402
from bot.content.needs import NEEDS_FILE, NeedWords  # noqa: E402
from bot.conversation.core import ConversationCore  # noqa: E402
from bot.conversation.danger_first import DangerFirst  # noqa: E402
from bot.conversation.language import LanguageDetector  # noqa: E402
from bot.conversation.two_needs import needs_in  # noqa: E402
from bot.engine.rasa import RasaClient  # noqa: E402
from bot.messages import Channel, IncomingMessage, Reply  # noqa: E402
from bot.store.conversations import ConversationStore  # noqa: E402
from bot.store.database import create_database_engine, upgrade_database  # noqa: E402
from tests.stack import running_helpline  # noqa: E402

TARGET = 0.90
CONTENT = ROOT / "content"


@dataclass(frozen=True)
class Conversation:
    lang: str
    name: str
    turns: tuple[str, ...]
    intent: str
    country: str | None
    follow_up: str | None = None
    intents: tuple[str, ...] = ()  # two needs: every entry, in this order


def conversations(directory: Path) -> list[Conversation]:
    """Every conversation of every language file."""
    found = []
    for path in sorted(directory.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")).get("conversations", []):
            turns = tuple(str(turn) for turn in case["turns"])
            intents = tuple(str(intent) for intent in case.get("intents") or ())
            intent = str(case.get("intent") or intents[0])
            found.append(
                Conversation(
                    path.stem,
                    str(case["name"]),
                    turns,
                    intent,
                    case.get("country"),
                    follow_up=case.get("follow_up"),
                    intents=intents,
                )
            )
    return found


def is_answer(
    replies: list[Reply],
    content: ContentLibrary,
    intent: str,
    lang: str,
    country: str | None,
    follow_up: str | None = None,
) -> bool:
    """Whether one of the replies holds the entry of `intent` as rendered for this language and country
    (after what a follow-up asks, when it asks something)."""
    expected = content.reply_for_intent(intent, lang, country)
    if follow_up:
        expected = with_follow_up(expected, Turn(intent, lang, country, follow_up=(follow_up,)), content)
    return any(expected.text in reply.text for reply in replies)


def answers_in_order(
    replies: list[Reply], content: ContentLibrary, intents: tuple[str, ...], lang: str, country: str | None
) -> bool:
    """Whether the replies hold the entry of each intent, each in a later reply than the one before."""
    after = -1
    for intent in intents:
        expected = content.reply_for_intent(intent, lang, country).text
        found = [index for index, reply in enumerate(replies) if index > after and expected in reply.text]
        if not found:
            return False
        after = found[0]
    return True


def what_it_was(replies: list[Reply], content: ContentLibrary, lang: str) -> str:
    """Which topics and countries the replies hold instead, for the report."""
    found = []
    for intent in sorted(content.intents()):
        for country in (*content.countries(), None):
            if is_answer(replies, content, intent, lang, country):
                found.append(f"{intent}/{country}")
                break
    return " + ".join(found) or "(no topic)"


async def run(
    cases: list[Conversation], rasa_url: str, token: str, store: ConversationStore
) -> dict[str, list[tuple[Conversation, str]]]:
    """Every conversation through the core; per language, each case with "" (right) or what it got."""
    content = ContentLibrary.load(CONTENT)
    rasa = RasaClient([rasa_url], token, timeout_s=60)
    core = ConversationCore(
        rasa,
        store,
        CONTENT / "locale",
        LanguageDetector(),
        danger=DangerFirst(DangerNet.load(CONTENT / "danger"), content),
    )
    results: dict[str, list[tuple[Conversation, str]]] = {}
    try:
        for case in cases:
            pseudonym = uuid.uuid4().hex * 2
            replies: list[Reply] = []
            for turn in case.turns:
                message = IncomingMessage(pseudonym, Channel.WEBCHAT, turn, case.lang)
                replies = await core.handle(message)
            right = (
                answers_in_order(replies, content, case.intents, case.lang, case.country)
                if case.intents
                else is_answer(replies, content, case.intent, case.lang, case.country, case.follow_up)
            )
            results.setdefault(case.lang, []).append(
                (case, "" if right else what_it_was(replies, content, case.lang))
            )
        await core.drain()
    finally:
        await rasa.aclose()
    return results


async def held_out_splits(rasa_url: str, token: str, heldout: Path) -> dict[str, tuple[int, int, int]]:
    """Per language: held-out (single-need) messages, how many the core would answer with two topics, and
    how many it would answer with one topic other than the labelled one (a story's closing question)."""
    words = NeedWords.load(CONTENT / NEEDS_FILE)
    rasa = RasaClient([rasa_url], token, timeout_s=60)
    counts: dict[str, tuple[int, int, int]] = {}
    try:
        for lang, pairs in heldout_examples(heldout).items():
            answered = [(await needs_in(text, lang, rasa, words), intent) for text, intent in pairs]
            two = sum(1 for needs, _ in answered if len(needs) > 1)
            other = sum(1 for needs, intent in answered if len(needs) == 1 and needs[0] != intent)
            counts[lang] = (len(pairs), two, other)
    finally:
        await rasa.aclose()
    return counts


def two_needs_summary(
    results: dict[str, list[tuple[Conversation, str]]], splits: dict[str, tuple[int, int, int]]
) -> dict[str, object]:
    """What goes under "two_needs" in bench/results.json (no texts)."""
    summary: dict[str, object] = {}
    for lang, (messages, two, other) in sorted(splits.items()):
        cases = [got for case, got in results.get(lang, []) if case.intents]
        summary[lang] = {
            "heldout_messages": messages,
            "false_splits": two,
            "false_split_rate": round(two / messages, 4) if messages else 0.0,
            "closing_question_other_topic": other,
            "two_need_conversations": len(cases),
            "both_answered_in_order": sum(1 for got in cases if not got),
        }
        print(
            f"{lang}: false splits {two}/{messages}; both answered {summary[lang]['both_answered_in_order']}"
            f"/{len(cases)}"
        )
    rates = [float(row["false_split_rate"]) for row in summary.values() if isinstance(row, dict)]
    summary["max_false_split_rate"] = max(rates, default=0.0)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", type=Path, default=ROOT / "tests" / "conversations")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--heldout", type=Path, default=ROOT / "tests" / "nlu")
    args = parser.parse_args()
    cases = conversations(args.sets)
    with tempfile.TemporaryDirectory(prefix="conversations-") as scratch:
        data = Path(scratch) / "data"
        data.mkdir()
        # The real conversation store (locale, country and pending question per person) on its own SQLite.
        database = f"sqlite:///{scratch}/conversations.db"
        upgrade_database(database)
        store = ConversationStore(create_database_engine(database))
        with running_helpline(data) as helpline:
            results = asyncio.run(run(cases, helpline.rasa_url, helpline.rasa_token, store))
            splits = asyncio.run(held_out_splits(helpline.rasa_url, helpline.rasa_token, args.heldout))
    accuracy = {}
    for lang, scored in sorted(results.items()):
        right = sum(1 for _, got in scored if not got)
        accuracy[lang] = {"conversations": len(scored), "accuracy": round(right / len(scored), 4)}
        print(f"{lang}: {right}/{len(scored)} = {right / len(scored):.3f}")
        for case, got in scored:
            if got:
                expected = " + ".join(case.intents or (case.intent,))
                print(f"   miss [{case.name}]: expected {expected}/{case.country}, got {got}")
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    existing["conversation_accuracy"] = accuracy
    existing["two_needs"] = two_needs_summary(results, splits)
    args.out.write_text(json.dumps(existing, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    below = [lang for lang, score in accuracy.items() if float(score["accuracy"]) < TARGET]
    print(f"below {TARGET}: {', '.join(below) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
