"""docker-compose.yml is sealed (issue 15) and agrees with the settings (issue 14).

Sealed: every secret comes from a compose secret file, never from the environment, .env or a command line;
every part has a healthcheck and starts only when what it needs is healthy, after a one-shot migration;
Rasa mounts only its model and code, read-only, on private networks; every container has a read-only root,
no new privileges and no capabilities; .env and the secrets are kept out of git and out of the image.
There is no Docker engine here: these tests read the YAML; `docker compose config` runs when it exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.secret_files import file_settings
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)
ONE_SHOTS = {"migrate"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def long_running() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services().items() if name not in ONE_SHOTS}


def known_variables() -> set[str]:
    names: set[str] = set()
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        variables = {str(choice) for choice in getattr(alias, "choices", [alias])} if alias else set()
        variables = variables or {f"{prefix}{name}".upper()}
        names |= variables
        if name in file_settings(Settings):
            names |= {f"{variable}_FILE" for variable in variables}
    return names


def command_line(service: dict[str, Any]) -> str:
    """Everything a service's process is started with: entrypoint and command, as one string."""
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts += [value] if isinstance(value, str) else [str(part) for part in value]
    return " ".join(parts)


def healthcheck_line(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def test_every_part_of_the_helpline_is_a_service() -> None:
    assert set(services()) == {"redis", "postgres", "migrate", "rasa", "actions", "web", "gateway"}


# Secrets: files, never literals, never on a command line.


def test_every_secret_is_a_compose_secret_file_in_the_ignored_secrets_folder() -> None:
    declared = compose()["secrets"]
    assert declared, "no compose secrets"
    for name, secret in declared.items():
        assert secret == {"file": f"./secrets/{name}"}, name


def test_no_environment_value_holds_a_secret() -> None:
    for name, service in services().items():
        mounted = set(service.get("secrets", []))
        for variable, value in (service.get("environment") or {}).items():
            value = str(value)
            assert not re.search(r"://[^/@\s]*:[^/@\s]*@", value), (
                f"{name}: {variable} has a password in a URL"
            )
            if SECRETISH.search(variable) and variable not in ("POSTGRES_USER",):
                assert variable.endswith("_FILE"), f"{name}: {variable} is a secret given as a value"
                secret = value.removeprefix("/run/secrets/")
                assert value == f"/run/secrets/{secret}" and secret in mounted, f"{name}: {variable}"


def strings(node: Any) -> list[str]:
    """Every string value in a loaded YAML document (what compose interpolates; comments are not)."""
    if isinstance(node, dict):
        return [found for value in node.values() for found in strings(value)]
    if isinstance(node, list):
        return [found for value in node for found in strings(value)]
    return [node] if isinstance(node, str) else []


def test_the_file_never_reads_a_secret_from_the_environment_or_dotenv() -> None:
    interpolated = [
        name for value in strings(compose()) for name in re.findall(r"(?<!\$)\$\{?([A-Z_]+)", value)
    ]
    assert "TELEGRAM_WEBHOOK_URL" in interpolated, "the test no longer sees interpolations"
    assert not [name for name in interpolated if SECRETISH.search(name)]


def test_each_service_is_given_only_the_secrets_it_reads() -> None:
    for name, service in services().items():
        uses = " ".join(map(str, (service.get("environment") or {}).values()))
        uses += command_line(service) + (healthcheck_line(service) if "healthcheck" in service else "")
        for secret in service.get("secrets", []):
            assert f"/run/secrets/{secret}" in uses, f"{name} is given {secret} and never reads it"
    assert "telegram_bot_token" not in services()["web"].get("secrets", [])
    # The action server reads the database only to add to the reports' daily counters (never who).
    assert services()["actions"]["secrets"] == ["redis_password", "postgres_password"]
    assert services()["migrate"]["secrets"] == ["postgres_password"]


def test_no_token_secret_or_password_is_on_any_command_line() -> None:
    for name, service in services().items():
        for started_with in [command_line(service)] + (
            [healthcheck_line(service)] if "healthcheck" in service else []
        ):
            assert "--auth-token" not in started_with and "--requirepass" not in started_with, name
            assert " -a " not in started_with and "--pass" not in started_with, (
                name
            )  # redis-cli's password flags
            # Only the container's shell may expand anything ($$), into a config on stdin or an environment.
            assert not re.search(r"(?<!\$)\$\{?[A-Z_]*(TOKEN|SECRET|PASSWORD|KEY)", started_with), name


def test_redis_requires_the_password_from_its_secret_file_given_on_standard_input() -> None:
    redis = services()["redis"]
    script = command_line(redis)
    assert re.search(r"^requirepass \$\$\(cat /run/secrets/redis_password\)$", script, re.MULTILINE)
    assert re.search(r"exec redis-server - ", script)
    assert "environment" not in redis
    assert 'REDISCLI_AUTH="$$(cat /run/secrets/redis_password)" redis-cli ping' in healthcheck_line(redis)


def test_every_redis_url_gets_the_password_from_the_secret_file() -> None:
    found = services()
    for name in ("actions", "web", "gateway"):
        environment = found[name]["environment"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0", name
        assert environment["REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password", name
    rasa = found["rasa"]["environment"]
    assert rasa["HELPLINE_REDIS_URL"] == "redis://redis:6379/0"
    assert rasa["HELPLINE_REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password"


def test_postgres_and_the_app_share_one_password_file() -> None:
    found = services()
    assert found["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    for name in ("migrate", "web", "gateway"):
        assert found[name]["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password", name


def test_redis_keeps_an_append_only_file() -> None:
    assert "--appendonly yes" in command_line(services()["redis"])


# Health and start order.


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in long_running().items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name


def test_healthchecks_ask_the_health_endpoints() -> None:
    found = services()
    assert "pg_isready" in healthcheck_line(found["postgres"])
    assert "http://127.0.0.1:5005/'" in healthcheck_line(found["rasa"])  # GET / needs no token
    assert "http://127.0.0.1:5055/healthz" in healthcheck_line(found["actions"])
    assert "http://127.0.0.1:8000/healthz" in healthcheck_line(found["web"])
    assert "http://127.0.0.1:8002/healthz" in healthcheck_line(found["gateway"])


def test_every_dependency_waits_for_health_or_for_the_migration_to_succeed() -> None:
    for name, service in services().items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for other, how in depends.items():
            wanted = "service_completed_successfully" if other in ONE_SHOTS else "service_healthy"
            assert how == {"condition": wanted}, f"{name} → {other}"


def test_a_one_shot_migration_runs_before_web_and_gateway_and_nothing_else_migrates() -> None:
    found = services()
    migrate = found["migrate"]
    assert command_line(migrate) == "helpline db upgrade" and migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "gateway"):
        assert found[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert command_line(found["web"]) == "helpline web"
    assert [name for name, service in found.items() if "upgrade" in command_line(service)] == ["migrate"]


# Confinement.


def test_rasa_mounts_only_its_model_and_code_read_only() -> None:
    volumes = services()["rasa"]["volumes"]
    assert sorted(volumes) == sorted(
        [
            "./models:/app/models:ro",
            "./helpline_rasa:/app/helpline_rasa:ro",
            "./endpoints.yml:/app/endpoints.yml:ro",
            "./credentials.yml:/app/credentials.yml:ro",
        ]
    )


def test_no_service_mounts_the_checkout() -> None:
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            assert source not in (".", "./", ".."), f"{name} mounts the whole checkout (and its .env)"


def test_every_container_is_sealed() -> None:
    for name, service in services().items():
        assert service.get("read_only") is True, f"{name}: writable root filesystem"
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("cap_drop") == ["ALL"], name
        assert "cap_add" not in service and not service.get("privileged"), name
        assert "/tmp" in service.get("tmpfs", []), f"{name}: no scratch space"
        assert service.get("logging", {}).get("options", {}).get("max-size"), f"{name}: logs kept forever"
    assert services()["redis"]["user"] == "redis" and services()["postgres"]["user"] == "postgres"


def test_rasa_redis_postgres_and_the_action_server_are_private() -> None:
    loaded = compose()
    found, networks = loaded["services"], loaded["networks"]
    for name in ("rasa", "actions", "redis", "postgres", "migrate"):
        assert "ports" not in found[name], f"{name} publishes a port"
        assert all(networks[network].get("internal") for network in found[name]["networks"]), name

    def reach(name: str) -> set[str]:
        """The services that share a network with `name`."""
        own = set(found[name]["networks"])
        return {other for other, service in found.items() if other != name and own & set(service["networks"])}

    assert reach("rasa") == {"web", "gateway", "actions", "redis"}  # rasa → actions and its trackers
    assert {"web", "gateway", "actions", "rasa"} <= reach("redis")
    assert "rasa" not in reach("postgres")
    for name in ("web", "gateway"):
        assert not networks[found[name]["networks"][0]].get("internal"), f"{name} reaches out"
        assert all(port.startswith("127.0.0.1:") for port in found[name]["ports"]), name


def test_dotenv_and_secrets_stay_out_of_git_and_out_of_the_image() -> None:
    gitignore = (ROOT / ".gitignore").read_text().split("\n")
    dockerignore = (ROOT / ".dockerignore").read_text().split("\n")
    assert {".env", ".env.*", "/secrets/"} <= set(gitignore)
    assert {".env", ".env.*", "secrets"} <= set(dockerignore)
    assert "COPY . ." in (ROOT / "Dockerfile").read_text()  # which is why .dockerignore matters


# Agreement with the settings.


def test_app_services_use_only_variables_the_settings_know() -> None:
    known = known_variables() | {"FORWARDED_ALLOW_IPS"}  # uvicorn's own: whose X-Forwarded-For to trust
    for name in ("migrate", "actions", "web", "gateway"):
        unknown = set(services()[name]["environment"]) - known
        assert not unknown, f"{name} sets variables the app does not read: {unknown}"


def test_ports_agree_with_the_settings() -> None:
    found = services()
    defaults = Settings()
    assert found["web"]["environment"]["HELPLINE_PORT"] == str(defaults.port)
    assert found["web"]["ports"] == [f"127.0.0.1:{defaults.port}:{defaults.port}"]
    assert found["actions"]["environment"]["HELPLINE_ACTIONS_PORT"] == str(defaults.actions_port)
    assert (
        found["rasa"]["environment"]["HELPLINE_ACTIONS_URL"]
        == f"http://actions:{defaults.actions_port}/webhook"
    )
    assert found["web"]["environment"]["HELPLINE_RASA_URL"] == "http://rasa:5005"
    assert "5005" in found["rasa"]["command"]
    gateway = found["gateway"]["environment"]
    assert gateway["HELPLINE_TELEGRAM_WEBHOOK_PORT"] == str(defaults.telegram_webhook_port)
    assert gateway["HELPLINE_GATEWAY_HEALTH_PORT"] == str(defaults.gateway_health_port)
    assert "8002" in healthcheck_line(found["gateway"]) and "gateway_health_port" in Settings.model_fields
    assert found["web"]["environment"]["HELPLINE_GATEWAY_HEALTH_URL"] == "http://gateway:8002"


def test_rasa_runs_the_official_3_6_21_image_through_the_launcher_with_its_token_from_a_file() -> None:
    rasa = services()["rasa"]
    assert rasa["image"] == "rasa/rasa:3.6.21-full"
    assert rasa["entrypoint"] == ["python", "-m", "helpline_rasa.serve"]
    assert "--enable-api" in rasa["command"]
    assert rasa["environment"]["HELPLINE_RASA_TOKEN_FILE"] == "/run/secrets/rasa_token"


def test_rasa_finds_the_action_server_through_the_variables_compose_sets() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["url"] == "${HELPLINE_ACTIONS_URL}"
    assert endpoints["nlg"]["url"] == "${HELPLINE_NLG_URL}"


# The secrets themselves.


def test_make_secrets_makes_every_compose_secret_once_private_and_never_replaces_one(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    script = str(ROOT / "scripts" / "make-secrets")
    subprocess.run(
        [script, str(folder)], input="123456:bot-token\n", text=True, check=True, capture_output=True
    )
    assert {path.name for path in folder.iterdir()} == set(compose()["secrets"])
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(path.stat().st_mode & 0o777 == 0o444 for path in folder.iterdir())
    from cryptography.fernet import Fernet

    Fernet((folder / "transcript_key").read_text().strip().encode())  # a valid Fernet key
    assert (folder / "telegram_bot_token").read_text() == "123456:bot-token\n"
    before = {path.name: path.read_text() for path in folder.iterdir()}
    subprocess.run([script, str(folder)], input="", text=True, check=True, capture_output=True)
    assert {path.name: path.read_text() for path in folder.iterdir()} == before


def compose_command() -> list[str] | None:
    """`docker compose` (v2) or `docker-compose` (v1.29, Debian's package), whichever is installed."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.parametrize(
    "files", [["docker-compose.yml"], ["docker-compose.yml", "deploy/docker-compose.proxy.yml"]]
)
def test_docker_compose_accepts_the_files_when_it_is_installed(files: list[str]) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither docker compose nor docker-compose is installed here")
    options = [option for name in files for option in ("-f", name)]
    result = subprocess.run([*command, *options, "config", "--quiet"], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
