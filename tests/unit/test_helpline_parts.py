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


def scaled_settings(tmp_path: Path, **more: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        rasa_token=TOKEN,
        redis_url="redis://127.0.0.1:1",
        port=9000,
        rasa_port=9100,
        actions_port=9200,
        gateway_health_port=9300,
        telegram_webhook_port=9400,
        web_workers=2,
        actions_workers=2,
        rasa_workers=2,
        gateway_workers=2,
        telegram_bot_token="1:T",
        **more,
    )


def test_scaled_out_each_kind_of_part_runs_twice_on_its_own_ports(tmp_path: Path) -> None:
    settings = scaled_settings(tmp_path, telegram_webhook_url="https://example.org/telegram")
    parts = {part.name: part for part in helpline_parts(settings, RASA)}
    assert set(parts) == {
        *("actions-1", "actions-2", "rasa-1", "rasa-2", "web-1", "web-2"),
        *("gateway-1", "gateway-2", "balancer"),
    }
    assert [parts[f"web-{n}"].env["HELPLINE_PORT"] for n in (1, 2)] == ["9000", "9001"]
    assert [parts[f"actions-{n}"].env["HELPLINE_ACTIONS_PORT"] for n in (1, 2)] == ["9200", "9201"]
    assert [parts[f"rasa-{n}"].env["HELPLINE_ACTIONS_URL"] for n in (1, 2)] == [
        "http://127.0.0.1:9200/webhook",
        "http://127.0.0.1:9201/webhook",
    ], "each Rasa asks its own action server"
    assert [parts[f"gateway-{n}"].env["HELPLINE_TELEGRAM_WEBHOOK_PORT"] for n in (1, 2)] == ["9401", "9402"]
    assert [parts[f"gateway-{n}"].env["HELPLINE_GATEWAY_HEALTH_PORT"] for n in (1, 2)] == ["9300", "9301"]
    balancer = parts["balancer"].env
    assert balancer["HELPLINE_BALANCER_PORT"] == "9400"
    assert balancer["HELPLINE_BALANCER_BACKENDS"] == "http://127.0.0.1:9401,http://127.0.0.1:9402"
    assert {part.env["HELPLINE_RASA_URL"] for part in parts.values()} == {
        "http://127.0.0.1:9100,http://127.0.0.1:9101"
    }


def test_long_polling_runs_one_gateway_whatever_the_setting(tmp_path: Path) -> None:
    names = [part.name for part in helpline_parts(scaled_settings(tmp_path), RASA)]
    assert "gateway" in names and "balancer" not in names and "gateway-2" not in names
