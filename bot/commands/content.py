"""`helpline content check`, `show` and `drafts`: staff and translator tools for the content pack."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bot.content.drafts import content_drafts, drafts_summary
from bot.content.library import ContentError, ContentLibrary, RenderedReply
from bot.content.review import check_content
from bot.content.schema import CONTRACT_INTENTS, CORE_ACTIONS
from bot.i18n import SUPPORTED_LOCALES


def add_content_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `check`, `show` and `drafts` to the `content` command's subparsers."""
    check = subparsers.add_parser("check", help="validate the content pack (exit 1 on any error)")
    _add_content_dir(check)
    check.add_argument(
        "--lang",
        default=",".join(SUPPORTED_LOCALES),
        help="comma-separated locales every entry must be written in (English always is)",
    )
    check.set_defaults(func=run_check)

    show = subparsers.add_parser("show", help="preview the reply a person would read")
    _add_content_dir(show)
    show.add_argument(
        "topic", metavar="TOPIC_OR_INTENT", help="an entry id (shelter) or an intent (ask_shelter)"
    )
    show.add_argument("--lang", default="en", help="locale to render, e.g. en")
    show.add_argument("--country", default=None, help="ISO 3166 country code (RO, US, GB) or EU")
    show.set_defaults(func=run_show)

    drafts = subparsers.add_parser(
        "drafts", help="list the machine-drafted translations a native speaker should review"
    )
    _add_content_dir(drafts)
    drafts.add_argument("--lang", default=None, help="only this locale, e.g. uk")
    drafts.set_defaults(func=run_drafts)


def run_check(args: argparse.Namespace) -> int:
    """Print every problem; 1 if any is an error, else 0."""
    locales = [locale.strip() for locale in str(args.lang).split(",") if locale.strip()]
    problems = check_content(_content_dir(args), locales, date.today(), (*CONTRACT_INTENTS, *CORE_ACTIONS))
    for problem in problems:
        print(f"{problem.severity:<7} {problem}")
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    content_dir = _content_dir(args)
    drafts = content_drafts(content_dir)
    for line in drafts_summary(
        {locale: drafts.get(locale, []) for locale in locales if locale in drafts}, True
    ):
        print(f"{'info':<7} {line}")
    print(f"{errors} error(s), {warnings} warning(s)" if problems else "content OK")
    return 1 if errors else 0


def run_drafts(args: argparse.Namespace) -> int:
    """Print each machine-drafted file, the danger lexicon first, one a line, by locale; always 0."""
    content_dir = _content_dir(args)
    drafts = content_drafts(content_dir)
    if args.lang is not None:
        drafts = {locale: names for locale, names in drafts.items() if locale == args.lang}
    for line, files in zip(drafts_summary(drafts), drafts.values(), strict=False):
        print(line)
        print("".join(f"  {file}\n" for file in files), end="")
    if not drafts:
        print(drafts_summary({})[0])
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print the rendered text, buttons, sources and review date of one entry or intent."""
    try:
        library = ContentLibrary.load(_content_dir(args))
    except ContentError as error:
        print(f"the content pack has errors; run `helpline content check`:\n{error}")
        return 1
    topic = str(args.topic)
    if topic in library.intents():
        reply = library.reply_for_intent(topic, args.lang, args.country)
    else:
        try:
            reply = library.reply(topic, args.lang, args.country)
        except KeyError:
            print(f"no entry or intent called '{topic}'")
            return 1
    print(_format(library, reply, requested_locale=str(args.lang)))
    return 0


def _format(library: ContentLibrary, reply: RenderedReply, requested_locale: str) -> str:
    variant = library.variant(reply.entry_id, reply.jurisdiction)
    lines = [f"== {reply.entry_id} · {reply.jurisdiction} · {reply.locale}"]
    if reply.fallback_locale:
        lines.append(f"(not written in '{requested_locale}' yet: a person would read English)")
    lines += ["", reply.text, ""]
    lines += [f"[ {button.title} ]  {button.payload}" for button in reply.buttons] or ["(no buttons)"]
    lines += ["", f"reviewed {variant.reviewed.isoformat()}; sources:"]
    lines += [f"- {source.title}" + (f" <{source.url}>" if source.url else "") for source in variant.sources]
    return "\n".join(lines)


def _add_content_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content-dir", type=Path, default=None, help="default: the settings' content_dir")


def _content_dir(args: argparse.Namespace) -> Path:
    if args.content_dir is not None:
        return Path(args.content_dir)
    from bot.settings import Settings  # read the environment only when no directory is given

    return Settings().content_dir
