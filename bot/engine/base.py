"""What the conversation core needs from a dialogue engine, whichever engine it is (today Rasa)."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply


class EngineUnavailable(Exception):
    """The engine did not answer in time or answered with an error.

    `not_reached` says the message never reached the engine (nothing listened: it is starting or
    restarting), so sending it again cannot answer it twice.
    """

    def __init__(self, reason: str, not_reached: bool = False) -> None:
        super().__init__(reason)
        self.not_reached = not_reached


class Engine(Protocol):
    """The dialogue engine: one survivor turn in, the bot's replies out."""

    async def send(self, pseudonym: str, text: str, metadata: dict[str, object]) -> list[Reply]:
        """Answer one turn; raises `EngineUnavailable` when the engine cannot."""
        ...
