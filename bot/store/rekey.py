"""Re-encrypting the database's tokens with the first transcript key (`helpline rekey`).

Two columns are kept encrypted in the database: transcript messages and the staff's second-factor
secrets (canned replies are staff text, the audit trail never holds message text). Rows are read in pages
by id and each is updated only if its token is still the one that was read, so the helpline can go on
writing (new rows, erasures, the purge) while this runs; a row already under the first key is left alone,
so a second run, or one after an interruption, finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, select, update

from bot.cipher import UnreadableText
from bot.store.models import Counsellor, TranscriptMessage

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
    return _rekey_column(
        engine,
        cipher,
        dry_run,
        page,
        "transcript messages (database)",
        TranscriptMessage.id,
        TranscriptMessage.body,
    )


def rekey_second_factors(engine: Engine, cipher: Rekeys, dry_run: bool, page: int = PAGE) -> RekeyCount:
    """Re-encrypt every counsellor's TOTP secret with the first key."""
    return _rekey_column(
        engine,
        cipher,
        dry_run,
        page,
        "second-factor secrets (database)",
        Counsellor.id,
        Counsellor.totp_secret,
    )


def _rekey_column(
    engine: Engine,
    cipher: Rekeys,
    dry_run: bool,
    page: int,
    place: str,
    key: Any,
    sealed: Any,
) -> RekeyCount:
    """Re-encrypt the tokens of one column (`sealed`, rows found by their integer `key`)."""
    count = RekeyCount(place)
    table = key.class_
    after = 0
    while True:
        query = select(key, sealed).where(key > after, sealed.is_not(None)).order_by(key).limit(page)
        with engine.begin() as connection:
            rows = connection.execute(query).all()
            for row_id, body in rows:
                try:
                    token = cipher.rekeyed(bytes(body))
                except UnreadableText:
                    count.unreadable += 1
                    continue
                if token is None:
                    count.current += 1
                elif dry_run:
                    count.rekeyed += 1
                else:
                    replaced = connection.execute(
                        update(table).where(key == row_id, sealed == body).values({sealed.key: token})
                    ).rowcount
                    count.rekeyed += replaced
                    count.changed += 1 - replaced
        if len(rows) < page:
            return count
        after = rows[-1][0]
