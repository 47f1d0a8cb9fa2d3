"""Rasa's conversation trackers in Redis, encrypted and expiring: message texts are never kept in clear.

Rasa loads this class by path from endpoints.yml (`tracker_store.type`). It runs inside Rasa's own
environment (Python 3.10), so it imports only what Rasa ships: rasa, redis, cryptography. Its settings
come from the environment the helpline gives Rasa:

- the endpoint's `url` (`${HELPLINE_REDIS_URL}`), or `HELPLINE_REDIS_URL`: the Redis that holds them, with
  `HELPLINE_REDIS_PASSWORD` as its password when the URL has none;
- `HELPLINE_TRANSCRIPT_KEY`: Fernet key(s), comma-separated; the first encrypts, all decrypt (rotation);
- `HELPLINE_TRACKER_RETENTION_H` (default 24): a tracker expires this long after its last change.

The URL, password and key may be given as files instead: `<NAME>_FILE` (helpline_rasa/secret_files.py).

Saving a tracker without events deletes it: that is how the helpline erases a conversation through
Rasa's API (`PUT /conversations/{id}/tracker/events` with `[]`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import redis
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from helpline_rasa.secret_files import TRANSCRIPT_KEY, redis_url, secret

logger = logging.getLogger(__name__)

KEY_PREFIX = "helpline:tracker:"
DEFAULT_RETENTION_H = 24.0


def fernet_from(keys: str) -> MultiFernet:
    """The cipher of comma-separated Fernet keys; never echoes a key in an error."""
    parts = [part.strip() for part in keys.split(",") if part.strip()]
    if not parts:
        raise ValueError("HELPLINE_TRANSCRIPT_KEY is not set: trackers cannot be encrypted")
    try:
        return MultiFernet([Fernet(part.encode()) for part in parts])
    except ValueError:
        raise ValueError("HELPLINE_TRANSCRIPT_KEY holds a value that is not a Fernet key") from None


class EncryptedRedisTrackerStore(TrackerStore, SerializedTrackerAsText):
    """Each tracker is one Redis string: a Fernet token of the serialised tracker, with an expiry."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        key_prefix: str = KEY_PREFIX,
        **kwargs: Any,
    ) -> None:
        url = redis_url(host)  # Rasa passes the endpoint's url as host
        if not url:
            raise ValueError("HELPLINE_REDIS_URL is not set: no Redis for the trackers")
        self.red = redis.Redis.from_url(url)
        self.key_prefix = key_prefix
        self._fernet = fernet_from(secret(TRANSCRIPT_KEY) or "")
        hours = float(os.environ.get("HELPLINE_TRACKER_RETENTION_H") or DEFAULT_RETENTION_H)
        self.record_exp = max(1, round(hours * 3600))
        super().__init__(domain, event_broker, **kwargs)
        logger.info("Trackers are kept encrypted in Redis for %s s after their last change.", self.record_exp)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Keep the tracker, encrypted, until it has been idle for the retention period."""
        await self.stream_events(tracker)
        key = self.key_prefix + tracker.sender_id
        if not tracker.events:
            self.red.delete(key)
            return
        token = self._fernet.encrypt(self.serialise_tracker(tracker).encode())
        self.red.set(key, token, ex=self.record_exp)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the latest conversation session."""
        return self._retrieve(sender_id, fetch_all_sessions=False)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker with every session still kept."""
        return self._retrieve(sender_id, fetch_all_sessions=True)

    async def keys(self) -> Iterable[str]:
        """The conversation ids (pseudonyms) with a tracker."""
        prefix = self.key_prefix.encode()
        return [key[len(prefix) :].decode() for key in self.red.scan_iter(match=self.key_prefix + "*")]

    def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        token = self.red.get(self.key_prefix + sender_id)
        if token is None:
            return None
        try:
            serialised = self._fernet.decrypt(token).decode()
        except InvalidToken:
            # A dropped key or an altered value: the conversation starts afresh rather than failing.
            logger.warning("A tracker could not be decrypted with the configured keys; starting afresh.")
            return None
        tracker = self.deserialise_tracker(sender_id, serialised)
        if tracker is None or fetch_all_sessions:
            return tracker
        sessions = get_trackers_for_conversation_sessions(tracker)
        return tracker if len(sessions) <= 1 else sessions[-1]
