"""Every English authority's codes, and finding which one a report is about.

The lookup is data/la_lookup.csv (Data to Insight ILACS scrape tool, MIT licence), shipped
inside the package so that the command works without the repository's data folder.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .text import slugify


@dataclass(frozen=True)
class Authority:
    id: str
    name: str
    urn: str
    la_code: str
    ons_code: str
    region: str
    la_type: str
    statistical_neighbours: str
    population_0_25: str


def _short_name(ons_name: str) -> str:
    """'Bristol, City of' -> 'Bristol'; 'Herefordshire, County of' -> 'Herefordshire'."""
    return re.sub(r",\s*(?:City|County) of$", "", ons_name).strip()


@lru_cache(maxsize=1)
def authorities() -> dict[str, Authority]:
    text = resources.files("ingest").joinpath("la_lookup.csv").read_text(encoding="utf-8-sig")
    found: dict[str, Authority] = {}
    for row in csv.DictReader(text.splitlines()):
        name = _short_name(row["local_authority_ons_name"] or row["utla23nm"])
        if not name:
            continue
        authority = Authority(
            id=slugify(name),
            name=name,
            urn=row["urn"],
            la_code=row["la_code"],
            ons_code=row["la_code_new"],
            region=row["region_name"],
            la_type=row["ons_la_type"],
            statistical_neighbours=row["stat_neighbours"],
            population_0_25=row.get("ons_population_0-25", ""),
        )
        found.setdefault(authority.id, authority)
    return found


@lru_cache(maxsize=1)
def _name_pattern() -> tuple[re.Pattern, dict[str, str]]:
    names: dict[str, str] = {}
    for authority in authorities().values():
        names[authority.name.lower()] = authority.id
        names[authority.name.lower().replace("&", "and")] = authority.id
        if authority.name.startswith("St. "):
            names[authority.name.lower().replace("st. ", "st ")] = authority.id
    alternatives = sorted(names, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in alternatives) + r")\b", re.I)
    return pattern, names


def find_authority(text: str) -> str | None:
    """The id of the first authority named in the text (the caller removes address lines)."""
    pattern, names = _name_pattern()
    match = pattern.search(text)
    return names[match.group(1).lower()] if match else None
