"""Re-encrypting every token Redis keeps with the first transcript key (`helpline rekey`).

Where Redis keeps Fernet tokens, each in the store that owns the key family: Rasa's trackers (strings,
`helpline_rasa/tracker_store.py`), routes to people (strings, `RouteStore`), the ids of a chat's messages
(sorted-set members, `ChatLedger`), handoff chats and outbound messages (a stream field, `Relay`). Each
token is replaced only if it is still the one that was read (a Lua script per key), so the helpline can run
meanwhile; a token already under the first key is left alone, so the work can be run again, or resumed. A
stream entry cannot be changed: the stream is rebuilt in one script, with the same ids, groups, pending
entries and expiry (see `lua/rekey_stream.lua`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from redis.asyncio import Redis

from bot.cipher import UnreadableText
from bot.engine.rasa import TRACKER_KEY_PREFIX
from bot.handoff.relay import Relay
from bot.handoff.routes import RouteStore
from bot.privacy.ledger import ChatLedger
from bot.redis_client import as_bytes, glob_escape, stream_fields
from bot.store.rekey import RekeyCount, Rekeys

LUA_DIR = Path(__file__).resolve().parent / "lua"
Kind = Literal["string", "zset", "stream"]


@dataclass(frozen=True)
class Place:
    """One family of Redis keys holding tokens: what to call it, its SCAN pattern, how the token is kept."""

    name: str
    pattern: str
    kind: Kind


def redis_places(
    relay: Relay, routes: RouteStore, ledger: ChatLedger, trackers: str = TRACKER_KEY_PREFIX
) -> list[Place]:
    """Every place Redis keeps a Fernet token, asked of the stores that own them (`trackers`: Rasa's)."""
    return [
        Place("Rasa trackers (Redis)", glob_escape(trackers) + "*", "string"),
        Place("routes to people (Redis)", routes.pattern(), "string"),
        Place("chat message ids (Redis)", ledger.messages_pattern(), "zset"),
        Place("handoff chats (Redis)", glob_escape(relay.chat_key("")) + "*", "stream"),
        Place("outbound messages (Redis)", glob_escape(relay.outbound_key("")) + "*", "stream"),
    ]


class RedisRekey:
    """Re-encrypts (or, on a dry run, counts) the tokens of each place, key by key."""

    def __init__(self, redis: Redis, cipher: Rekeys) -> None:
        self._redis = redis
        self._cipher = cipher
        self._string = redis.register_script((LUA_DIR / "rekey_string.lua").read_text())
        self._member = redis.register_script((LUA_DIR / "rekey_member.lua").read_text())
        self._stream = redis.register_script((LUA_DIR / "rekey_stream.lua").read_text())

    async def place(self, place: Place, dry_run: bool) -> RekeyCount:
        """Every token of one place under the first key; the counts."""
        count = RekeyCount(place.name)
        async for key in self._redis.scan_iter(match=place.pattern, count=500, _type=place.kind):
            if place.kind == "string":
                await self._strings(key, count, dry_run)
            elif place.kind == "zset":
                await self._members(key, count, dry_run)
            else:
                await self._entries(key, count, dry_run)
        return count

    async def _strings(self, key: bytes, count: RekeyCount, dry_run: bool) -> None:
        token: Any = await self._redis.get(key)
        if token is None:
            count.changed += 1  # expired or erased since the scan
            return
        new = self._rekeyed(as_bytes(token), count)
        if new is not None:
            await self._apply(self._string, key, [token, new], 1, count, dry_run)

    async def _members(self, key: bytes, count: RekeyCount, dry_run: bool) -> None:
        members: Any = await self._redis.zrange(key, 0, -1)
        for member in members:
            new = self._rekeyed(as_bytes(member), count)
            if new is not None:
                await self._apply(self._member, key, [member, new], 1, count, dry_run)

    async def _entries(self, key: bytes, count: RekeyCount, dry_run: bool) -> None:
        entries: Any = await self._redis.xrange(key)
        swaps: list[Any] = []
        for entry_id, raw in entries:
            token = stream_fields(raw).get("text")
            if token is None:
                continue
            new = self._rekeyed(token, count)
            if new is not None:
                swaps += [entry_id, token, new]
        if swaps:
            await self._apply(self._stream, key, ["text", *swaps], len(swaps) // 3, count, dry_run)

    def _rekeyed(self, token: bytes, count: RekeyCount) -> bytes | None:
        """The token under the first key, None if it already is (counted) or no key opens it (counted)."""
        try:
            new = self._cipher.rekeyed(token)
        except UnreadableText:
            count.unreadable += 1
            return None
        if new is None:
            count.current += 1
        return new

    async def _apply(
        self, script: Any, key: bytes, args: list[Any], wanted: int, count: RekeyCount, dry_run: bool
    ) -> None:
        if dry_run:
            count.rekeyed += wanted
            return
        replaced = int(await script(keys=[key], args=args))
        count.rekeyed += replaced
        count.changed += wanted - replaced
