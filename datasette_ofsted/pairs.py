"""The lasting names of what a comparison is about: an inspection, a pair of inspections, an improvement.

Each is spelled here once, for the route, the pages, the stored comparisons, the reviews and ingest:
- an inspection id: the authority's slug, then the first day of the inspection (`sutton-2013-05-13`);
- a pair: two inspection ids of one authority, earlier first, joined by "..." (`Pair`); its id names the stored
  comparison and its URL the compare page;
- an improvement's key (`improvement_key`): what stays the same when ofsted.db is rebuilt from the same reports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .text import normalise

if TYPE_CHECKING:
    from datasette.app import Datasette


# An authority's slug (ingest/reference.py makes it from the authority's name).
AUTHORITY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# An inspection: the authority's slug, then the inspection's first day.
INSPECTION_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-\d{4}-\d{2}-\d{2}$")
# The longest inspection id read from a URL: the longest authority name is under 60 characters.
MAX_ID = 120
# What joins a pair's two ids: an inspection id holds no dot, so the pair splits back in one way.
PAIR_MARK = "..."
# Where the comparison of a pair is served, and its reviews as a gold file.
COMPARE_PATH = "/-/ofsted/compare"
GOLD_PATH = "/-/ofsted/reviews"
# Hex digits of the text's SHA-256 kept in an improvement's key: 64 bits, no collision among an archive's findings.
KEY_DIGITS = 16


class InvalidPair(ValueError):
    """A pair that names no two inspections: the message says what a pair looks like."""


@dataclass(frozen=True, order=True)
class Pair:
    """Two inspections of one authority compared, earlier first (its id: `<earlier>...<later>`)."""

    earlier: str
    later: str

    @classmethod
    def parse(cls, text: str) -> Pair:
        """The pair a URL or a stored id names; InvalidPair, saying why, for anything else."""
        if len(text) > 2 * MAX_ID + len(PAIR_MARK):
            raise InvalidPair("That comparison URL is too long: it should name two inspection ids, earlier first.")
        if PAIR_MARK not in text:
            raise InvalidPair(
                f"A comparison names two inspections: {COMPARE_PATH}/<earlier id>...<later id>, "
                f"for example {COMPARE_PATH}/sutton-2013-05-13...sutton-2018-06-26."
            )
        earlier, later = text.split(PAIR_MARK, 1)
        return cls.of(earlier, later)

    @classmethod
    def of(cls, earlier: str, later: str) -> Pair:
        """The pair of two inspection ids, each checked (a form's two fields)."""
        for inspection_id in (earlier, later):
            if not INSPECTION_ID.fullmatch(inspection_id):
                raise InvalidPair(
                    f"{inspection_id[:80]!r} is not an inspection id: ids look like 'sutton-2013-05-13' "
                    "(the authority, then the first day of the inspection)."
                )
        return cls(earlier, later)

    @property
    def id(self) -> str:
        return f"{self.earlier}{PAIR_MARK}{self.later}"

    def __str__(self) -> str:
        return self.id

    def __iter__(self) -> Iterator[str]:  # earlier_id, later_id = pair
        return iter((self.earlier, self.later))

    def reversed(self) -> Pair:
        return Pair(self.later, self.earlier)

    def path(self, tail: str = "") -> str:
        """The compare page's path (before Datasette's base_url), `tail` after the id: ".json", "/reviews"."""
        return f"{COMPARE_PATH}/{self.id}{tail}"

    def url(self, datasette: Datasette, tail: str = "") -> str:
        """The compare page's URL as Datasette serves it (its base_url)."""
        return datasette.urls.path(self.path(tail))

    def gold_url(self, datasette: Datasette) -> str:
        """Where the pair's reviews are exported as a gold alignment."""
        return datasette.urls.path(f"{GOLD_PATH}/{self.id}.json")


def pair_id(earlier_id: str, later_id: str) -> str:
    """The id of the pair (earlier, later): the stored comparison's id."""
    return Pair(earlier_id, later_id).id


def improvement_key(finding: dict) -> str:
    """The key of an improvement that survives a rerun, a new engine and a rebuild of ofsted.db: its document's id (the
    authority, the inspection's first day and the document's kind, all read from the report's content) and a digest
    of its normalised words, so it lapses if the text read from the report changes.

    Finding ids and rowids are not used: they follow the order the parser and the ingest took. Two identical items
    in one document share a key (and so a review): they say the same thing.
    """
    digest = hashlib.sha256(normalise(finding["text"]).encode("utf-8")).hexdigest()[:KEY_DIGITS]
    return f"{finding['document_id']}:{digest}"
