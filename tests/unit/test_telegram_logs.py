"""python-telegram-bot's loggers never print what an update says (issue 14), in webhook and polling mode:
their records keep the fixed message and the error's class; arguments, error messages and tracebacks go."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from bot.logs import TELEGRAM_LOGGER, WithoutContents, configure_logging, quiet_telegram_logs

WORDS = "they took my passport"
CHAT_ID = "700000123"


@pytest.fixture
def telegram_logs() -> Iterator[None]:
    """Telegram's loggers as configured in a test, undone afterwards (loggers are process-wide)."""
    logger = logging.getLogger(TELEGRAM_LOGGER)
    yield
    logger.handlers, logger.propagate = [], True
    logger.setLevel(logging.NOTSET)


@pytest.mark.usefixtures("telegram_logs")
def test_a_malformed_update_logged_at_critical_shows_no_text(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    quiet_telegram_logs(logging.INFO)  # writes to this test's (captured) stderr
    data = {"update_id": 5, "message": {"text": WORDS, "chat": {"id": int(CHAT_ID)}}}
    try:
        raise KeyError(f"date missing in {data!r}")
    except KeyError as error:
        # What python-telegram-bot's webhook handler logs (telegram/ext/_utils/webhookhandler.py).
        logging.getLogger("telegram.ext._utils.webhookhandler").critical(
            "Something went wrong processing the data received from Telegram. "
            "Received data was *not* processed! Received data was: %r",
            data,
            exc_info=error,
        )
    written = "".join(capfd.readouterr()) + caplog.text
    assert "Something went wrong processing the data received from Telegram" in written
    assert "KeyError" in written
    assert WORDS not in written and CHAT_ID not in written and "Traceback" not in written


@pytest.mark.usefixtures("telegram_logs")
def test_a_polling_error_shows_its_class_not_its_message(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    quiet_telegram_logs(logging.INFO)
    try:
        raise ValueError(f"could not parse {WORDS}")
    except ValueError:
        logging.getLogger("telegram.ext.Updater").exception("Exception happened while polling for updates.")
    logging.getLogger("telegram.ext.Application").error(ValueError(WORDS))  # an exception as the message
    written = "".join(capfd.readouterr()) + caplog.text
    assert "Exception happened while polling for updates. [error: ValueError]" in written
    assert WORDS not in written


def test_numbers_stay_and_anything_else_is_withheld() -> None:
    def filtered(message: str, *args: object) -> str:
        record = logging.LogRecord("telegram.ext.Updater", logging.WARNING, __file__, 1, message, args, None)
        WithoutContents().filter(record)
        return record.getMessage()

    assert filtered("Received Update with ID %d on Webhook", 41) == "Received Update with ID 41 on Webhook"
    assert WORDS not in filtered("Webhook received data: %s", WORDS)
    assert CHAT_ID not in filtered("Chat %s, update %d", CHAT_ID, 3)


@pytest.mark.usefixtures("telegram_logs")
def test_every_process_routes_telegram_through_the_filter() -> None:
    """configure_logging (every `helpline` command, polling gateway included) installs it."""
    logger = logging.getLogger(TELEGRAM_LOGGER)
    structlog_config = structlog.get_config()
    try:
        configure_logging("DEBUG")
    finally:
        structlog.configure(**structlog_config)
    assert logger.propagate is False
    assert [type(f) for handler in logger.handlers for f in handler.filters] == [WithoutContents]
    assert logger.level == logging.WARNING  # debug logs would include whole updates


def test_websocket_frames_are_never_logged_even_at_debug() -> None:
    """uvicorn logs every WebSocket frame at DEBUG, the web chat's and the console's texts included."""
    frames = [logging.getLogger(name) for name in ("uvicorn.error", "websockets")]
    structlog_config = structlog.get_config()
    try:
        configure_logging("DEBUG")
        assert [logger.level for logger in frames] == [logging.INFO, logging.INFO]
    finally:
        structlog.configure(**structlog_config)
        for logger in frames:
            logger.setLevel(logging.NOTSET)
