"""Every English authority's codes, and finding which one a report is about.

The lookup is ingest/la_lookup.csv (Data to Insight ILACS scrape tool, MIT licence; see
LA_LOOKUP_README.md beside it), shipped
inside the package so that the command works without the repository's data folder.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from datasette_ofsted.text import slugify


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


def _rows() -> list[dict[str, str]]:
    text = resources.files("ingest").joinpath("la_lookup.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


# Names reports use that the lookup does not hold: short forms of the title, and the trusts
# and companies that deliver an authority's children's services and are inspected in its place.
# "Achieving for Children" serves more than one authority, so it is left out: its reports
# name the borough too.
SHORT_FORMS: dict[str, str] = {
    "East Riding": "East Riding of Yorkshire",
    "Newcastle": "Newcastle upon Tyne",
    "Southend": "Southend-on-Sea",
    "Bradford Children and Families Trust": "Bradford",
    "Doncaster Children's Services Trust": "Doncaster",
    "Slough Children First": "Slough",
    "Slough Children's Services Trust": "Slough",
    "Together for Children Sunderland": "Sunderland",
    "Together for Children": "Sunderland",
    "Sunderland Together for Children": "Sunderland",
}


def _other_names(row: dict[str, str]) -> list[str]:
    """Names reports also use: 'Hull' for Kingston upon Hull, 'County Durham', 'BCP'."""
    names = [n.strip() for n in row.get("also_known_as", "").strip("[]").split(",") if n.strip()]
    names += [_short_name(row.get(column) or "") for column in ("utla23nm", "ltla23nm")]
    own = _short_name(row["local_authority_ons_name"] or row["utla23nm"])
    names += [short for short, full in SHORT_FORMS.items() if full == own]
    return [n for n in names if n]


def _spellings(name: str) -> set[str]:
    """One name as reports print it: '&' or 'and', 'St.' or 'St', straight or curly apostrophe."""
    name = " ".join(name.replace("&", " and ").replace("\u2019", "'").split())
    return {name, name.replace("St. ", "St ")}


def _clean(text: str) -> str:
    """The text as names are matched: one space for any run of spaces or line breaks (a title
    wraps: 'Barking and ⏎Dagenham'), 'and' for '&', straight apostrophes."""
    return " ".join(text.replace("&", " and ").replace("\u2019", "'").split())


@lru_cache(maxsize=1)
def authorities() -> dict[str, Authority]:
    found: dict[str, Authority] = {}
    for row in _rows():
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
def _name_patterns() -> tuple[re.Pattern, re.Pattern, dict[str, str]]:
    names: dict[str, str] = {}
    for row in _rows():
        name = _short_name(row["local_authority_ons_name"] or row["utla23nm"])
        if not name:
            continue
        authority_id = slugify(name)
        for variant in [name, *_other_names(row)]:
            for spelling in _spellings(variant):
                names.setdefault(spelling.lower(), authority_id)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # Names are proper nouns: match them as capitalised first ("Reading", not "reading").
    capitalised = "|".join(
        re.escape(
            " ".join(
                w if w in ("and", "upon", "on", "of", "the", "for") else w[:1].upper() + w[1:] for w in n.split(" ")
            )
        )
        for n in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf"\b({capitalised})\b"), re.compile(rf"\b({alternatives})\b", re.I), names


def find_authority(text: str) -> str | None:
    """The id of the first authority named in the text (the caller removes address lines).

    At each place the longest name wins ("Kingston upon Thames", not "Thames"; "Bath and
    North East Somerset", not "Somerset"), and names are read across line breaks.
    """
    proper, anycase, names = _name_patterns()
    text = _clean(text)
    match = proper.search(text) or anycase.search(text)
    return names.get(match.group(1).lower()) if match else None
