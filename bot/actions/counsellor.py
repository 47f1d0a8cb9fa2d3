"""Asking for a person: offer a counsellor (with consent) when one can answer, else the helplines."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_location
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.counting import TurnCounts, cell_for
from bot.actions.nlg import log_answer, utter
from bot.actions.turn import turn_from_message
from bot.content import ContentLibrary
from bot.content.schema import DANGER_INTENT
from bot.handoff.availability import Availability
from bot.handoff.offers import ASK_AGAIN, accept_payload
from bot.handoff.queue import Priority
from bot.i18n import Translator, _

OFFER_ENTRY = "handoff_offer"
YES = _("✅ Yes, connect me")
NO = _("No, thanks")
CLOSED_UNTIL = _("Our counsellors can chat with you here again from {when}. Until then, a helpline can help:")
NOBODY_FREE = _("No counsellor can chat here right now. A helpline can help:")


class AvailabilitySource(Protocol):
    """Where the action learns whether a counsellor can take a chat."""

    @property
    def timezone(self) -> str:
        """The zone opening times are told in."""
        ...

    async def now(self) -> Availability:
        """Open hours and counsellors online now."""
        ...


class OfferIssuer(Protocol):
    """Where an offer's one-time token comes from (bot.handoff.offers.OfferBook)."""

    async def issue(self, pseudonym: str, priority: Priority, topic: str | None) -> str:
        """A new token for an offer made to this person."""
        ...


class ActionOfferCounsellor(Action):
    """request_human: ask for consent to hand the chat to a counsellor, or give the helplines.

    A person is offered a counsellor only when the helpline is staffed and someone has the console open;
    the consent button carries only a one-time token; the priority (urgent after a danger message) and
    the topic asked before are kept with it on the server.
    """

    def __init__(
        self,
        content: ContentLibrary,
        availability: AvailabilitySource | None,
        catalog_dir: Path,
        offers: OfferIssuer | None = None,
        counts: TurnCounts | None = None,
    ) -> None:
        self._content = content
        self._counts = counts or TurnCounts(None)
        self._availability = availability
        self._catalog_dir = catalog_dir
        self._offers = offers

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_offer_counsellor"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Offer a counsellor, or say when they are back and give the country's helplines."""
        started = time.perf_counter()
        turn = turn_from_message(tracker.latest_message)
        translate = Translator(self._catalog_dir, turn.locale).gettext
        state = await self._availability.now() if self._availability else None
        if tracker.latest_message.get("text") != ASK_AGAIN:  # a consent that queued nobody: the same request
            await self._counts.add(cell_for(turn, "handoff", "requested"))
        if state is not None and state.can_offer and self._offers is not None:
            offer = self._content.reply(OFFER_ENTRY, turn.locale, turn.country)
            intents = _user_intents(tracker.events)
            priority: Priority = "urgent" if DANGER_INTENT in intents else "normal"
            topic = next((intent for intent in reversed(intents) if intent.startswith("ask_")), None)
            token = await self._offers.issue(tracker.sender_id, priority, topic)  # the pseudonym
            buttons = [
                {"title": translate(YES), "payload": accept_payload(token)},
                {"title": translate(NO), "payload": "/deny"},
            ]
            dispatcher.utter_message(text=offer.text, buttons=buttons)
            log_answer("counsellor_offered", offer, started)
            await self._counts.add(cell_for(turn, "handoff", "offered"))
            return []
        reply = self._content.reply_for_intent("request_human", turn.locale, turn.country)
        text = f"{self._why_not(state, turn.locale, translate)}\n\n{reply.text}"
        utter(dispatcher, dataclasses.replace(reply, text=text))
        log_answer("counsellor_not_available", reply, started)
        return []

    def _why_not(self, state: Availability | None, locale: str, translate: Any) -> str:
        if state is None or state.next_opening is None or self._availability is None:
            return str(translate(NOBODY_FREE))
        zone = ZoneInfo(self._availability.timezone)
        when = format_datetime(state.next_opening, "EEEE HH:mm", tzinfo=zone, locale=locale)
        where = get_timezone_location(zone, locale=locale)
        return str(translate(CLOSED_UNTIL)).format(when=f"{when} ({where})")


def _user_intents(events: Sequence[dict[str, Any]]) -> list[str]:
    """The intents of the person's messages in this session, oldest first."""
    intents: list[str] = []
    for event in events:
        if event.get("event") == "session_started":
            intents = []
        elif event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if name:
                intents.append(str(name))
    return intents
