"""docker-compose.yml agrees with the settings (services, ports, variable names) and keeps Rasa and Redis
private (issue 14): Redis has a password that is not in the file, Rasa and the action server are on internal
networks only, and no token or password is on a command line."""

import re
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


def command_line(service: dict[str, Any]) -> str:
    """Everything a service's process is started with: entrypoint and command, as one string."""
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts += [value] if isinstance(value, str) else [str(part) for part in value]
    return " ".join(parts)


def test_rasa_runs_the_official_3_6_21_image_with_the_api_protected_through_the_launcher() -> None:
    rasa = compose()["services"]["rasa"]
    assert rasa["image"] == "rasa/rasa:3.6.21-full"
    assert rasa["entrypoint"] == ["python", "-m", "helpline_rasa.serve"]
    assert "--enable-api" in rasa["command"]
    assert rasa["environment"]["HELPLINE_RASA_TOKEN"].startswith("${HELPLINE_RASA_TOKEN")


def test_no_token_secret_or_password_is_on_any_command_line() -> None:
    for name, service in compose()["services"].items():
        started_with = command_line(service)
        assert "--auth-token" not in started_with and "--requirepass" not in started_with, name
        # Only the container's shell may expand a variable ($$NAME), at run time into a config on stdin.
        assert not re.search(r"(?<!\$)\$\{?[A-Z_]*(TOKEN|SECRET|PASSWORD|KEY)", started_with), name


def test_redis_requires_a_password_that_is_not_written_in_the_file() -> None:
    redis = compose()["services"]["redis"]
    script = command_line(redis)
    assert re.search(r"^requirepass \$\$REDIS_PASSWORD$", script, re.MULTILINE)  # config on stdin
    assert re.search(r"exec redis-server - ", script)
    assert redis["environment"]["REDIS_PASSWORD"] == "${REDIS_PASSWORD:?set REDIS_PASSWORD}"


def test_every_redis_url_carries_the_password() -> None:
    services = compose()["services"]
    urls = {name: services[name]["environment"]["REDIS_URL"] for name in ("actions", "web", "gateway")}
    urls["rasa"] = services["rasa"]["environment"]["HELPLINE_REDIS_URL"]
    for name, url in urls.items():
        assert url == "redis://:${REDIS_PASSWORD:?set REDIS_PASSWORD}@redis:6379/0", name


def test_redis_keeps_an_append_only_file() -> None:
    assert "--appendonly yes" in command_line(compose()["services"]["redis"])


def test_rasa_redis_and_the_action_server_are_private() -> None:
    loaded = compose()
    services, networks = loaded["services"], loaded["networks"]
    for name in ("rasa", "actions", "redis", "postgres"):
        assert "ports" not in services[name], f"{name} publishes a port"
        assert all(networks[network].get("internal") for network in services[name]["networks"]), name

    def reach(name: str) -> set[str]:
        """The services that share a network with `name`."""
        own = set(services[name]["networks"])
        return {other for other, found in services.items() if other != name and own & set(found["networks"])}

    assert reach("rasa") == {"web", "gateway", "actions", "redis"}  # rasa → actions and its trackers
    assert {"web", "gateway", "actions", "rasa"} <= reach("redis")
    assert "rasa" not in reach("postgres")
    for name in ("web", "gateway"):
        assert not networks[services[name]["networks"][0]].get("internal"), f"{name} reaches out"


def test_app_services_use_only_variables_the_settings_know() -> None:
    services = compose()["services"]
    known = known_variables() | {"FORWARDED_ALLOW_IPS"}  # uvicorn's own: whose X-Forwarded-For to trust
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
