"""Re-encrypting the database's tokens with the first transcript key (`helpline rekey`).

Only transcript messages are kept encrypted in the database (canned replies are staff text, the audit trail
never holds message text). Rows are read in pages by id and each is updated only if its token is still the
one that was read, so the helpline can go on writing (new rows, erasures, the purge) while this runs; a row
already under the first key is left alone, so a second run, or one after an interruption, finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, select, update

from bot.cipher import UnreadableText
from bot.store.models import TranscriptMessage

PAGE = 500


class Rekeys(Protocol):
    """Re-encrypts a token with the first key (bot.privacy.crypto.TranscriptCipher)."""

    def rekeyed(self, token: bytes) -> bytes | None:
        """The token under the first key; None if it already is; `UnreadableText` if no key opens it."""
        ...


@dataclass
class RekeyCount:
    """What `helpline rekey` found in one place: counts only, never a text."""

    place: str
    current: int = 0  # already under the first key
    rekeyed: int = 0  # re-encrypted now (on a dry run: would be)
    unreadable: int = 0  # no configured key opens it
    changed: int = 0  # rewritten, erased or expired while this ran (by the helpline, with the first key)


def rekey_transcripts(engine: Engine, cipher: Rekeys, dry_run: bool, page: int = PAGE) -> RekeyCount:
    """Re-encrypt every transcript message with the first key, one short transaction per page."""
    count = RekeyCount("transcript messages (database)")
    after = 0
    while True:
        query = (
            select(TranscriptMessage.id, TranscriptMessage.body)
            .where(TranscriptMessage.id > after)
            .order_by(TranscriptMessage.id)
            .limit(page)
        )
        with engine.begin() as connection:
            rows = connection.execute(query).all()
            for row in rows:
                try:
                    token = cipher.rekeyed(bytes(row.body))
                except UnreadableText:
                    count.unreadable += 1
                    continue
                if token is None:
                    count.current += 1
                elif dry_run:
                    count.rekeyed += 1
                else:
                    replaced = connection.execute(
                        update(TranscriptMessage)
                        .where(TranscriptMessage.id == row.id, TranscriptMessage.body == row.body)
                        .values(body=token)
                    ).rowcount
                    count.rekeyed += replaced
                    count.changed += 1 - replaced
        if len(rows) < page:
            return count
        after = rows[-1].id
