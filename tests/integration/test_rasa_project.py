"""The Rasa project (domain, NLU data, stories, rules, config) passes Rasa's own validation."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.stack import ROOT

pytestmark = pytest.mark.integration


def test_rasa_data_validate_passes_without_warnings() -> None:
    result = subprocess.run(
        [
            str(ROOT / ".venv-rasa" / "bin" / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--data",
            "nlu",
            "stories",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "UserWarning" not in result.stdout + result.stderr
