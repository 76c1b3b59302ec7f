"""Finding the authority a report is about, by the names reports use."""

import pytest

from ingest.reference import authorities, find_authority


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Focused visit to London Borough of Sutton children's services", "sutton"),
        ("Inspection of Hull City Council children's services", "kingston-upon-hull"),
        ("Inspection of BCP Council children's services", "bournemouth-christchurch-and-poole"),
        ("Inspection of Durham County Council children's services", "durham"),
        ("Inspection of Bristol City Council children's services", "bristol"),
        ("Inspection of St Helens Council", "st-helens"),
        ("the reading age of children varies. Inspection of Kent County Council", "kent"),
        ("Inspection of Reading Borough Council", "reading"),
        ("North Yorkshire County Council", "north-yorkshire"),
        ("Cheshire West and Chester Council", "cheshire-west-and-chester"),
        ("A shopping list: eggs, milk", None),
    ],
)
def test_find_authority(text, expected):
    assert find_authority(text) == expected


def test_every_authority_has_codes():
    table = authorities()
    assert len(table) >= 150
    sutton = table["sutton"]
    assert (sutton.urn, sutton.la_code, sutton.ons_code, sutton.region) == ("80515", "319", "E09000029", "London")
