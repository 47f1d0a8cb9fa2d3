"""Structured logs: event names, pseudonyms, timings and error classes; never message text."""

from __future__ import annotations

import logging
import sys

import structlog

# python-telegram-bot logs what it could not handle with the data it was handling (an update's text, a
# chat id); its records go through their own handler, which keeps only the static message and error class.
TELEGRAM_LOGGER = "telegram"


class WithoutContents(logging.Filter):
    """Keeps a library's record to its fixed message and the class of its error: arguments that are not
    numbers (an update, a text, an id as text), exception messages and tracebacks are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Strip the record in place; it is always kept."""
        if not isinstance(record.msg, str):
            record.msg = f"<{type(record.msg).__name__}>"
        arguments = record.args if isinstance(record.args, tuple) else ()
        if not all(isinstance(value, (int, float)) for value in arguments):
            record.msg, record.args = f"{record.msg} (details withheld)", ()
        elif not isinstance(record.args, tuple):
            record.args = ()
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.msg} [error: {record.exc_info[0].__name__}]"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def quiet_telegram_logs(level: int, formatter: logging.Formatter | None = None) -> None:
    """python-telegram-bot's loggers write through one filtered handler and never reach the others."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter or logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(WithoutContents())
    telegram = logging.getLogger(TELEGRAM_LOGGER)
    telegram.handlers = [handler]
    telegram.propagate = False
    telegram.setLevel(max(level, logging.WARNING))


def _renderer(json: bool) -> structlog.types.Processor:
    return structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)


def stdlib_formatter(json: bool) -> logging.Formatter:
    """Renders standard-library records (uvicorn, SQLAlchemy, Alembic, telegram) as structlog renders its
    own: one JSON object a line in JSON mode, with the event, level, logger and time."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # a traceback as one string field, never loose lines
            _renderer(json),
        ],
    )


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    """Send structlog and stdlib logs to stderr at `level`; in JSON mode, every line is JSON."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(stdlib_formatter(json))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    # Third-party request logs can carry URLs, addresses or payloads; keep them at warnings.
    for noisy in ("httpx", "httpcore", "apscheduler", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    # At DEBUG, uvicorn's WebSocket protocol logs every frame it sends and receives ("> TEXT '{…}'"), through
    # "uvicorn.error": what people and counsellors write. Never below INFO (found by the WhatsApp privacy
    # test: a counsellor's words at the end of a console frame, where the log's elision did not hide them).
    for chatty in ("uvicorn.error", "websockets"):
        logging.getLogger(chatty).setLevel(max(numeric, logging.INFO))
    quiet_telegram_logs(numeric, stdlib_formatter(json))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _renderer(json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
