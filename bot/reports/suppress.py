"""Small-count suppression: no figure in a report may single a person out.

A count of 1 to 4 is shown as "< 5" (its value is not given anywhere); 0 and counts of 5 or more are
shown as they are. A total (the sum of a table's cells, of a day, of a channel) is rounded to the nearest
5, and shown as "< 5" under 5, so that subtracting the cells shown from a total, or one table's total from
another's, does not give back a hidden count.
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 5  # counts below it (but above 0) are suppressed
ROUND_TOTALS_TO = 5
SUPPRESSED = "< 5"


@dataclass(frozen=True)
class Figure:
    """A count as a report may show it: its value, or None when suppressed."""

    value: int | None
    rounded: bool = False  # a total, rounded to the nearest ROUND_TOTALS_TO

    @property
    def text(self) -> str:
        """As the page and the CSV show it: "12", "0" or "< 5"."""
        return SUPPRESSED if self.value is None else str(self.value)

    @property
    def exported(self) -> int | str:
        """As JSON holds it: the number, or the string "< 5"."""
        return SUPPRESSED if self.value is None else self.value

    @property
    def suppressed(self) -> bool:
        """True when the count is hidden."""
        return self.value is None


def cell(count: int) -> Figure:
    """One cell of a table: its count, unless it is 1 to 4."""
    count = max(0, count)
    return Figure(None if 0 < count < THRESHOLD else count)


def total(count: int) -> Figure:
    """A sum of cells: rounded to the nearest 5 (halves up), "< 5" under 5, 0 when nothing happened."""
    count = max(0, count)
    if 0 < count < THRESHOLD:
        return Figure(None, rounded=True)
    return Figure(((count + ROUND_TOTALS_TO // 2) // ROUND_TOTALS_TO) * ROUND_TOTALS_TO, rounded=True)
