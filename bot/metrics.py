"""The helpline's Prometheus metrics: one registry per process, counted where things happen.

Labels are small fixed sets (a channel, a kind of reply, a part, an error class): never a pseudonym, a
text, a chat or ticket id or an address, so /metrics can show nothing about a person.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.private_files import private_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST
RESTARTS_FILE = "restarts.json"  # in the supervisor's log dir, read by the web app on each scrape
# Replies of a turn in the conversation core (web and gateway processes).
REPLY_KINDS = ("answer", "degraded", "apology", "empty", "danger_first", "blocked")
# Answers of the action server's NLG endpoint: "fallback" is the "not understood" entry.
NLG_KINDS = ("answer", "fallback")
RESUME_EVENTS = ("issued", "restored", "unknown", "locked")
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")


def safe_label(value: str) -> str:
    """An error class or part name as a label; anything else (a message, an address) becomes `other`."""
    return value if _LABEL.fullmatch(value) else "other"


class Metrics:
    """The metric objects of one process, in its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.turns = Counter("helpline_turns", "Survivor turns answered.", ["channel"], registry=r)
        self.turn_seconds = Histogram(
            "helpline_turn_seconds",
            "Time to answer a turn.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30),
            registry=r,
        )
        self.replies = Counter("helpline_replies", "Turns by the kind of their reply.", ["kind"], registry=r)
        self.nlg_replies = Counter(
            "helpline_nlg_replies", "NLG answers by kind (fallback: not understood).", ["kind"], registry=r
        )
        self.resume_codes = Counter(
            "helpline_resume_codes",
            "Resume codes by event (issued, restored, unknown, locked); never a code.",
            ["event", "channel"],
            registry=r,
        )
        self.engine_errors = Counter(
            "helpline_engine_errors", "Turns the engine did not answer, by error.", ["error"], registry=r
        )
        # Unlabelled figures are made by the process that has them (a 0 elsewhere would be misleading).
        self._engine: tuple[Counter, Gauge] | None = None
        self._queue: tuple[Gauge, Gauge] | None = None
        self.deliveries = Counter(
            "helpline_deliveries", "Outbound messages delivered to survivors.", ["channel"], registry=r
        )
        self.delivery_retries = Counter(
            "helpline_delivery_retries",
            "Deliveries that could not reach the person now and stay pending.",
            ["channel"],
            registry=r,
        )
        self.delivery_drops = Counter(
            "helpline_delivery_drops",
            "Outbound messages dropped (expired or unreadable).",
            ["channel", "reason"],
            registry=r,
        )
        self.delivery_errors = Counter(
            "helpline_delivery_errors", "Delivery loop errors.", ["channel", "error"], registry=r
        )
        self.provider_statuses = Counter(
            "helpline_provider_statuses",
            "Delivery statuses a channel's provider reported (sent, delivered, read, failed), by class.",
            ["channel", "status"],
            registry=r,
        )
        self.outbound_pending = Gauge(
            "helpline_outbound_pending", "Outbound messages not delivered yet.", ["channel"], registry=r
        )
        self.part_restarts = Gauge(
            "helpline_part_restarts", "Restarts of a part after it died.", ["part"], registry=r
        )
        self.scrape_errors = Counter(
            "helpline_scrape_errors", "Scrapes whose live figures could not be read.", ["error"], registry=r
        )

    def turn(self, channel: str, seconds: float) -> None:
        """One survivor turn answered on `channel`."""
        self.turns.labels(channel).inc()
        self.turn_seconds.labels(channel).observe(seconds)

    def reply(self, kind: str) -> None:
        """One turn answered with a reply of this kind (`REPLY_KINDS`)."""
        self.replies.labels(kind if kind in REPLY_KINDS else "other").inc()

    def resume_code(self, event: str, channel: str) -> None:
        """A resume code was issued, used, not known, or refused for too many attempts (`RESUME_EVENTS`)."""
        self.resume_codes.labels(event if event in RESUME_EVENTS else "other", safe_label(channel)).inc()

    def nlg_reply(self, kind: str) -> None:
        """One NLG answer of this kind (`NLG_KINDS`)."""
        self.nlg_replies.labels(kind if kind in NLG_KINDS else "other").inc()

    def engine_error(self, error_class: str) -> None:
        """One turn the engine could not answer."""
        self.engine_errors.labels(safe_label(error_class)).inc()

    def watch_engine(self) -> tuple[Counter, Gauge]:
        """Turns that waited for the engine, and whether it is down (web and gateway have an engine)."""
        if self._engine is None:
            self._engine = (
                Counter(
                    "helpline_engine_waits",
                    "Turns that waited for a starting engine.",
                    registry=self.registry,
                ),
                Gauge("helpline_engine_down", "1 while the engine counts as down.", registry=self.registry),
            )
        return self._engine

    def engine_waited(self) -> None:
        """One turn waited for an engine that was starting."""
        self.watch_engine()[0].inc()

    def engine_is_down(self, down: bool) -> None:
        """The engine went down (a wait ran out) or came back."""
        self.watch_engine()[1].set(1 if down else 0)

    def set_queue(self, waiting: int, longest_wait_s: float) -> None:
        """The handoff queue as read on a scrape (the web app reads it)."""
        if self._queue is None:
            self._queue = (
                Gauge("helpline_queue_waiting", "Tickets waiting for a counsellor.", registry=self.registry),
                Gauge(
                    "helpline_queue_longest_wait_seconds", "The longest current wait.", registry=self.registry
                ),
            )
        self._queue[0].set(waiting)
        self._queue[1].set(longest_wait_s)

    def delivered(self, channel: str) -> None:
        """One outbound message reached the person."""
        self.deliveries.labels(channel).inc()

    def delivery_retry(self, channel: str) -> None:
        """One delivery could not reach the person now; it stays pending."""
        self.delivery_retries.labels(channel).inc()

    def delivery_dropped(self, channel: str, reason: str) -> None:
        """One outbound message dropped: `expired` or `unreadable`."""
        self.delivery_drops.labels(channel, safe_label(reason)).inc()

    def delivery_error(self, channel: str, error_class: str) -> None:
        """The delivery loop failed once (Redis restarting)."""
        self.delivery_errors.labels(channel, safe_label(error_class)).inc()

    def provider_status(self, channel: str, status: str) -> None:
        """The provider reported a message's status (WhatsApp: sent, delivered, read, failed_<class>)."""
        self.provider_statuses.labels(channel, safe_label(status)).inc()

    def set_restarts(self, counts: Mapping[str, int]) -> None:
        """The supervisor's restart counts, as last written."""
        for part, count in counts.items():
            self.part_restarts.labels(safe_label(part)).set(count)

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format."""
        return generate_latest(self.registry)


def write_restarts(log_dir: Path, counts: Mapping[str, int]) -> None:
    """Write the restart counts where the web app reads them (replaced at once, never half written)."""
    private_dir(log_dir)
    target = log_dir / RESTARTS_FILE
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(dict(counts)), encoding="utf-8")
    os.replace(temporary, target)


def read_restarts(log_dir: Path) -> dict[str, int]:
    """The restart counts the supervisor wrote; empty when it wrote none (not run by `helpline run`)."""
    try:
        raw = json.loads((log_dir / RESTARTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(part): count for part, count in raw.items() if isinstance(count, int)}
