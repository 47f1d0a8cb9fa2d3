"""`helpline run` starts Rasa through helpline_rasa.serve: the API token travels in the environment, never on
a command line, which every user of the machine can read in /proc (issue 14)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings
from bot.wiring.helpline import helpline_parts

TOKEN = "rasa-token-for-this-test-only"
RASA = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"


def test_no_part_has_the_rasa_token_on_its_command_line(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rasa_token=TOKEN, rasa_workers=2, redis_url="redis://127.0.0.1:1")
    parts = helpline_parts(settings, RASA)
    assert all(TOKEN not in " ".join(part.argv) for part in parts)
    rasas = [part for part in parts if part.name.startswith("rasa")]
    assert len(rasas) == 2
    for rasa in rasas:
        assert rasa.argv[:3] == [str(RASA.with_name("python")), "-m", "helpline_rasa.serve"]
        assert "--enable-api" in rasa.argv and "--auth-token" not in rasa.argv
        assert rasa.env["HELPLINE_RASA_TOKEN"] == TOKEN
