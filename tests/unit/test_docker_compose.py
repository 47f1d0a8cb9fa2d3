"""docker-compose.yml agrees with the settings: services, ports and variable names."""

from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def known_variables() -> set[str]:
    names: set[str] = set()
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        names.add(f"{prefix}{name}".upper())
        alias = field.validation_alias
        if alias is not None:
            names.update(str(choice) for choice in getattr(alias, "choices", [alias]))
    return names


def test_every_part_of_the_helpline_is_a_service() -> None:
    assert {"redis", "rasa", "actions", "web", "gateway"} <= set(compose()["services"])


def test_rasa_runs_the_official_3_6_21_image_with_the_api_protected() -> None:
    rasa = compose()["services"]["rasa"]
    assert rasa["image"] == "rasa/rasa:3.6.21-full"
    assert "--enable-api" in rasa["command"] and "--auth-token" in rasa["command"]


def test_redis_keeps_an_append_only_file() -> None:
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_app_services_use_only_variables_the_settings_know() -> None:
    services = compose()["services"]
    known = known_variables()
    for name in ("actions", "web", "gateway"):
        unknown = set(services[name]["environment"]) - known
        assert not unknown, f"{name} sets variables the app does not read: {unknown}"


def test_ports_agree_with_the_settings() -> None:
    services = compose()["services"]
    defaults = Settings()
    assert services["web"]["environment"]["HELPLINE_PORT"] == str(defaults.port)
    assert services["web"]["ports"] == [f"127.0.0.1:{defaults.port}:{defaults.port}"]
    assert services["actions"]["environment"]["HELPLINE_ACTIONS_PORT"] == str(defaults.actions_port)
    assert (
        services["rasa"]["environment"]["HELPLINE_ACTIONS_URL"]
        == f"http://actions:{defaults.actions_port}/webhook"
    )
    assert services["web"]["environment"]["HELPLINE_RASA_URL"] == "http://rasa:5005"
    assert "5005" in services["rasa"]["command"]
    gateway = services["gateway"]["environment"]
    assert gateway["HELPLINE_TELEGRAM_WEBHOOK_PORT"] == str(defaults.telegram_webhook_port)


def test_rasa_finds_the_action_server_through_the_variables_compose_sets() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["url"] == "${HELPLINE_ACTIONS_URL}"
    assert endpoints["nlg"]["url"] == "${HELPLINE_NLG_URL}"
