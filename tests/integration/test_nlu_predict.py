"""`helpline nlu predict` runs any evaluation set through the live model: lang<TAB>text in, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.stack import ROOT, Helpline

pytestmark = pytest.mark.integration


def predict(helpline: Helpline, lines: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HELPLINE_RASA_URL": helpline.rasa_url,
        "HELPLINE_RASA_TOKEN": helpline.rasa_token,
        "HELPLINE_DATA_DIR": str(helpline.data_dir),
    }
    command = [sys.executable, "-m", "bot.cli", "nlu", "predict"]
    return subprocess.run(
        command, input=lines, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_each_line_gets_one_json_prediction_in_order(helpline: Helpline) -> None:
    lines = (
        "uk\tде можна безпечно переночувати сьогодні\n"
        "es\tcomo consigo un abogado gratis\n"
        "\n"
        "ar\tأحتاج إلى مكان آمن أنام فيه الليلة\n"
        "vi\ttoi can cho ngu an toan dem nay\n"
    )
    result = predict(helpline, lines)
    assert result.returncode == 0, result.stderr
    predictions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["lang"], p["intent"]) for p in predictions] == [
        ("uk", "ask_shelter"),
        ("es", "ask_legal_aid"),
        ("ar", "ask_shelter"),
        ("vi", "ask_shelter"),
    ]
    assert predictions[1]["text"] == "como consigo un abogado gratis"
    assert all(0.0 < p["confidence"] <= 1.0 for p in predictions)


def test_a_line_without_a_tab_is_skipped_and_said_so(helpline: Helpline) -> None:
    result = predict(helpline, "no tab here\nen\thello\n")
    assert result.returncode == 0
    assert [json.loads(line)["lang"] for line in result.stdout.splitlines()] == ["en"]
    assert "line 1: expected lang<TAB>text" in result.stderr
