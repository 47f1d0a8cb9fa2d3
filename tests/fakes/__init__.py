"""Fakes of outside services the tests cannot reach (only Telegram's Bot API)."""
