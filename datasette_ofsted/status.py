"""The four statuses of an improvement in a comparison: the one place each is named, ordered, labelled and coloured.

The engine, the stored comparisons, the reviews, the pages, the templates and the charts all read this enum.
It is a `str` Enum, so a status compares equal to the string stored in SQLite ('recurring', 'resolved',
'not_revisited', 'new') and goes into JSON and SQL parameters as that string.

Adding a status means a member here (its place in the order, label, help, the sides it applies to and its
colour in ofsted.css), a migration for stored comparisons, and its tests.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

EARLIER = "from"  # the earlier report's side of a pair
LATER = "to"  # the later report's side


class Status(str, Enum):
    """An improvement's status, in the order a reader takes them: what needs action first."""

    RECURRING = "recurring"
    RESOLVED = "resolved"
    NEW = "new"
    NOT_REVISITED = "not_revisited"

    def __str__(self) -> str:  # the stored string, also in f-strings and templates
        return self.value

    @property
    def label(self) -> str:
        return _TRAITS[self].label

    @property
    def words(self) -> str:
        """The status inside a sentence ("it could also be raised again")."""
        return _TRAITS[self].words

    @property
    def help(self) -> str:
        """What the status means, as the compare page explains it."""
        return _TRAITS[self].help

    @property
    def colour(self) -> str:
        """Its colour in the plugin's palette: the suffix of ofsted.css's badge-*, bar-* and cell-* classes."""
        return self.value

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides of a pair whose improvements can have this status (gold/README.md): an earlier report's item is
        raised again, resolved or not revisited; a later report's is raised again or new."""
        return _TRAITS[self].sides

    @property
    def silent(self) -> bool:
        """The other report says nothing on it: such a row has no evidence from the other side."""
        return self in (Status.NOT_REVISITED, Status.NEW)


class _Traits(NamedTuple):
    label: str
    words: str
    help: str
    sides: tuple[str, ...]


_TRAITS = {
    Status.RECURRING: _Traits(
        "Recurring",
        "raised again",
        "raised again: the other report states the same concern as an improvement or a weakness",
        (EARLIER, LATER),
    ),
    Status.RESOLVED: _Traits(
        "Resolved", "resolved", "the later report gives positive evidence on the same matter", (EARLIER,)
    ),
    Status.NEW: _Traits("New", "new", "not raised by the earlier report", (LATER,)),
    Status.NOT_REVISITED: _Traits(
        "Not revisited",
        "not revisited",
        "the later report is silent on it (a focused visit looks at a narrow area)",
        (EARLIER,),
    ),
}

# Every status's stored string, in reading order: for a `status in STATUSES` check, a count per status, an error.
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
LABELS: dict[str, str] = {s.value: s.label for s in Status}
HELP: dict[str, str] = {s.value: s.help for s in Status}
# The statuses an improvement of each side can have, in reading order, which is the order the engine's fitted model
# lists its classes (decision.json): the earlier side's recurring, resolved, not revisited; the later side's recurring, new.
EARLIER_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if EARLIER in s.sides)
LATER_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if LATER in s.sides)
SIDE_STATUSES: dict[str, tuple[str, ...]] = {EARLIER: EARLIER_STATUSES, LATER: LATER_STATUSES}


def zero_counts() -> dict[str, int]:
    """A count of 0 for each status, in reading order."""
    return dict.fromkeys(STATUSES, 0)


def status_sql_list() -> str:
    """The statuses as a SQL list literal, for a CHECK constraint or an `in (...)` (they are fixed identifiers)."""
    return ", ".join(f"'{s}'" for s in STATUSES)
