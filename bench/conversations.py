"""Conversations as people write them: right topic and right country in the last reply, per language.

Each file `tests/conversations/<lang>.yml` lists conversations (messages written the way people type:
several clauses, a country or a city anywhere, country-only follow-ups, fear words beside a practical need,
typos) and what the LAST reply must be: the content entry answering `intent`, for `country` (null: the
person has named none, so the answer asks for it); after a short follow-up ("and if I have no papers?"),
`follow_up` names what it asks, and the reply must say that note first (bot/actions/nlg.py).

The script starts the whole helpline on free ports (tests/stack.py: Rasa on the trained model, the action
server that renders every reply from content/), and sends every conversation through the real conversation
core (danger net included) with the real Rasa, as a new person. A conversation is right when one reply of
its last turn contains the entry exactly as the content library renders it for that language and country.

    python bench/conversations.py [--sets tests/conversations] [--out bench/results.json]

Writes per-language accuracy (no texts) under "conversation_accuracy" in bench/results.json, keeping the
other keys, and prints each miss with what the last reply was instead.
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

from bot.actions.nlg import with_follow_up  # noqa: E402
from bot.actions.turn import Turn  # noqa: E402
from bot.content import ContentLibrary  # noqa: E402
from bot.content.danger import DangerNet  # noqa: E402
from bot.conversation.core import ConversationCore  # noqa: E402
from bot.conversation.danger_first import DangerFirst  # noqa: E402
from bot.conversation.language import LanguageDetector  # noqa: E402
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


def conversations(directory: Path) -> list[Conversation]:
    """Every conversation of every language file."""
    found = []
    for path in sorted(directory.glob("*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")).get("conversations", []):
            turns = tuple(str(turn) for turn in case["turns"])
            found.append(
                Conversation(
                    path.stem,
                    str(case["name"]),
                    turns,
                    case["intent"],
                    case.get("country"),
                    case.get("follow_up"),
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


def what_it_was(replies: list[Reply], content: ContentLibrary, lang: str) -> str:
    """Which topic and country the replies hold instead, for the report."""
    for intent in sorted(content.intents()):
        for country in (*content.countries(), None):
            if is_answer(replies, content, intent, lang, country):
                return f"{intent}/{country}"
    return "(no topic)"


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
            right = is_answer(replies, content, case.intent, case.lang, case.country, case.follow_up)
            results.setdefault(case.lang, []).append(
                (case, "" if right else what_it_was(replies, content, case.lang))
            )
        await core.drain()
    finally:
        await rasa.aclose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", type=Path, default=ROOT / "tests" / "conversations")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
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
    accuracy = {}
    for lang, scored in sorted(results.items()):
        right = sum(1 for _, got in scored if not got)
        accuracy[lang] = {"conversations": len(scored), "accuracy": round(right / len(scored), 4)}
        print(f"{lang}: {right}/{len(scored)} = {right / len(scored):.3f}")
        for case, got in scored:
            if got:
                print(f"   miss [{case.name}]: expected {case.intent}/{case.country}, got {got}")
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    existing["conversation_accuracy"] = accuracy
    args.out.write_text(json.dumps(existing, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    below = [lang for lang, score in accuracy.items() if float(score["accuracy"]) < TARGET]
    print(f"below {TARGET}: {', '.join(below) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
