"""`helpline nlu predict`: run any evaluation set through the live bot's model and routing.

Reads `lang<TAB>text` lines on stdin and prints one JSON line per input, in order:
`{"lang": "uk", "text": "...", "intent": "ask_shelter", "confidence": 0.97, "danger": 0.01}` ("danger": the
model's score for `immediate_danger`). It asks the Rasa server the helpline uses (`HELPLINE_RASA_URL`);
when none answers, it starts one on the trained model for the run. All languages go to the one
multilingual model, exactly as live turns do (docs/decisions.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from bot.engine.base import EngineUnavailable
from bot.engine.rasa import RasaClient
from bot.privacy.secrets import rasa_token
from bot.settings import PROJECT_ROOT, Settings
from bot.supervisor import PartFailed, Supervisor
from bot.wiring.helpline import rasa_part

CONCURRENCY = 8


def add_nlu_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`helpline nlu predict`."""
    predict = commands.add_parser("predict", help="read lang<TAB>text lines on stdin, print JSON predictions")
    predict.add_argument(
        "--rasa", default=str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), help="rasa executable"
    )
    predict.set_defaults(func=run_predict)


def parse_line(line: str) -> tuple[str, str] | None:
    """(lang, text) of one input line, or None for a blank line or one without a tab."""
    lang, tab, text = line.rstrip("\r\n").partition("\t")
    if not tab or not text.strip():
        return None
    return lang.strip(), text.strip()


async def predict(
    inputs: Iterable[tuple[str, str]], client: RasaClient, out: IO[str], concurrency: int = CONCURRENCY
) -> None:
    """Predict every input and print the results in input order (a few at a time)."""
    pending: list[tuple[str, str]] = []

    async def flush() -> None:
        results = await asyncio.gather(*(client.parse(text) for _, text in pending))
        for (lang, text), understood in zip(pending, results, strict=True):
            line = {
                "lang": lang,
                "text": text,
                "intent": understood.intent,
                "confidence": round(understood.confidence, 4),
                # The model's score for danger, even when another intent won (the danger net uses it).
                "danger": round(understood.ranking.get("immediate_danger", 0.0), 4),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        pending.clear()

    for item in inputs:
        pending.append(item)
        if len(pending) >= concurrency:
            await flush()
    if pending:
        await flush()


def run_predict(args: argparse.Namespace) -> int:
    """The command: use the running Rasa, or start one for the duration of the run."""
    settings = Settings()
    token = rasa_token(settings)
    if asyncio.run(_ready(settings.rasa_urls, token)):
        return _predict_stdin(settings.rasa_urls[:1], token)
    if not any(settings.model_path.glob("*.tar.gz")):
        print(f"No trained model in {settings.model_path}: run `make train`.", file=sys.stderr)
        return 1
    supervisor = Supervisor(settings.data_dir / "logs", out=sys.stderr)
    # Parsing needs no NLG, actions or trackers; the endpoints file still names them.
    env = {
        "HELPLINE_NLG_URL": "http://127.0.0.1:9/nlg",
        "HELPLINE_ACTIONS_URL": "http://127.0.0.1:9/webhook",
        "HELPLINE_REDIS_URL": "redis://127.0.0.1:9",
    }
    part = rasa_part(settings, Path(args.rasa), 0, token, env)
    try:
        supervisor.spawn(part)
        supervisor.wait_ready(part.name)
        return _predict_stdin([f"http://127.0.0.1:{settings.rasa_port}"], token)
    except PartFailed as failure:
        print(f"Rasa did not start: {failure.reason} (log: {failure.log_file})", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()


async def _ready(urls: list[str], token: str) -> bool:
    client = RasaClient(urls, token, timeout_s=2)
    try:
        return await client.ready()
    finally:
        await client.aclose()


def _predict_stdin(urls: list[str], token: str) -> int:
    async def main() -> int:
        client = RasaClient(urls, token, timeout_s=30)
        try:
            await predict(_lines(sys.stdin), client, sys.stdout)
        except EngineUnavailable as error:
            print(f"Rasa stopped answering: {error}", file=sys.stderr)
            return 1
        finally:
            await client.aclose()
        return 0

    return asyncio.run(main())


def _lines(stream: IO[str]) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(stream, start=1):
        parsed = parse_line(line)
        if parsed is None:
            if line.strip():
                print(f"line {number}: expected lang<TAB>text, skipped", file=sys.stderr)
            continue
        yield parsed
