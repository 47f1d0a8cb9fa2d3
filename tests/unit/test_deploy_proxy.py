"""deploy/: the example nginx in front of the helpline keeps what the app relies on (issue 15): TLS and HSTS,
small bodies, the visitor's address SET (never appended to) in X-Forwarded-For, WebSockets for the web chat
and the console, no access logs (they would keep IP addresses), health and metrics for monitoring only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "deploy" / "nginx" / "helpline.conf").read_text()
CONFIG = "\n".join(line.split("#", 1)[0] for line in NGINX.splitlines())  # directives, without comments


def location(path: str) -> str:
    """The body of `location <path> { ... }` (no nested blocks in this file)."""
    found = re.search(r"location\s+" + re.escape(path) + r"\s*\{([^}]*)\}", CONFIG)
    assert found, f"no location {path}"
    return found.group(1)


def test_tls_hsts_and_a_one_megabyte_body_limit() -> None:
    assert re.search(r"listen 8443 ssl;", CONFIG) and "ssl_certificate_key" in CONFIG
    assert re.search(r"ssl_protocols TLSv1\.2 TLSv1\.3;", CONFIG)
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d+" always;', CONFIG)
    assert "client_max_body_size 1m;" in CONFIG
    assert "return 301 https://$host$request_uri;" in CONFIG


def test_x_forwarded_for_is_set_to_the_visitor_never_appended() -> None:
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in CONFIG
    assert "$proxy_add_x_forwarded_for" not in CONFIG
    # A location with a proxy_set_header of its own would drop the server's, X-Forwarded-For with them.
    assert not re.search(r"location[^{]*\{[^}]*proxy_set_header", CONFIG)


def test_websockets_upgrade_for_the_web_chat_and_the_console() -> None:
    assert "proxy_set_header Upgrade $http_upgrade;" in CONFIG
    assert "proxy_set_header Connection $connection_upgrade;" in CONFIG
    assert "proxy_http_version 1.1;" in CONFIG
    assert "proxy_read_timeout 1h;" in location("= /chat/ws")
    assert "proxy_read_timeout 1h;" in location("/console/")  # /console/live, /console/chats/<ticket>/live


def test_no_access_log_keeps_an_address() -> None:
    assert re.search(r"^access_log off;", CONFIG, re.MULTILINE)
    assert len(re.findall(r"access_log", CONFIG)) == 1


def test_metrics_and_readiness_answer_the_monitoring_network_only() -> None:
    for path in ("= /metrics", "= /readyz"):
        body = location(path)
        assert "allow" in body and body.strip().split(";")[-2].strip() != "allow all", path
        assert re.search(r"deny all;", body), path


def test_telegrams_webhook_goes_to_the_gateway() -> None:
    assert "proxy_pass http://helpline_gateway;" in location("= /telegram")
    assert "server gateway:8443;" in CONFIG and "server web:8000;" in CONFIG


def test_the_proxy_service_is_sealed_and_starts_after_a_healthy_helpline() -> None:
    override: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "docker-compose.proxy.yml").read_text())
    proxy = override["services"]["proxy"]
    assert proxy["read_only"] is True and proxy["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in proxy["security_opt"] and "cap_add" not in proxy
    assert proxy["healthcheck"]["test"]
    assert proxy["depends_on"] == {name: {"condition": "service_healthy"} for name in ("web", "gateway")}
    assert "./deploy/nginx/helpline.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert all(volume.endswith(":ro") for volume in proxy["volumes"])
    assert proxy["networks"] == ["public"]
