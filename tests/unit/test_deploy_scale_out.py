"""deploy/docker-compose.scale-out.yml: two of each part over one Redis and PostgreSQL, each conversation
pinned to one named Rasa (docs/operations.md, "Scale-out")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


class ComposeLoader(yaml.SafeLoader):
    """YAML as compose reads it: `!reset` empties what the base file set."""


ComposeLoader.add_constructor("!reset", lambda loader, node: [])


def override() -> dict[str, Any]:
    text = (ROOT / "deploy" / "docker-compose.scale-out.yml").read_text()
    services: dict[str, Any] = yaml.load(text, Loader=ComposeLoader)["services"]
    return services


def test_stateless_parts_run_twice_and_publish_no_loopback_port_twice() -> None:
    services = override()
    assert {name: services[name]["deploy"]["replicas"] for name in ("web", "gateway", "actions")} == {
        "web": 2,
        "gateway": 2,
        "actions": 2,
    }
    assert services["web"]["ports"] == [] and services["gateway"]["ports"] == []


def test_each_rasa_has_its_own_name_and_web_and_gateway_pin_conversations_over_both() -> None:
    services = override()
    assert services["rasa-2"]["extends"] == {"file": "../docker-compose.yml", "service": "rasa"}
    for name in ("web", "gateway"):
        assert services[name]["environment"]["HELPLINE_RASA_URL"] == "http://rasa:5005,http://rasa-2:5005"
        assert services[name]["depends_on"]["rasa-2"] == {"condition": "service_healthy"}
    base = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert base["rasa"]["environment"]["HELPLINE_REDIS_URL"], "trackers in Redis"
