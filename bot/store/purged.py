"""What a retention purge removed (or, on a dry run, would remove): counts per table, for the audit line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PurgeCounts:
    """How many rows a purge removed (or, on a dry run, would remove)."""

    handoffs: int
    transcript_messages: int
    audit_events: int
    conversations: int
    dry_run: bool

    def summary(self) -> str:
        """The counts in a line, as the audit trail keeps them."""
        return (
            f"handoffs {self.handoffs}, transcript messages {self.transcript_messages}, "
            f"audit events {self.audit_events}, conversations {self.conversations}"
        )
