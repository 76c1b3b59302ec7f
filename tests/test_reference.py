"""Finding the authority a report is about, by the names reports use."""

import pytest

from ingest.reference import authorities, find_authority

# Reads reports and runs the engine, never serves a page: CI runs it once, not again on each Datasette line.
pytestmark = pytest.mark.without_datasette


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


def _titles() -> list[tuple[str, str]]:
    """Every authority's own name, as a report's title prints it."""
    return [(a.id, a.name) for a in authorities().values()]


@pytest.mark.parametrize("authority_id,name", _titles(), ids=[i for i, _ in _titles()])
def test_authority_name_wrapped_at_each_space_is_found(authority_id, name):
    words = name.split(" ")
    for cut in range(len(words)):
        wrapped = " ".join(words[:cut]) + ("\n" if cut else "") + " ".join(words[cut:])
        title = f"Inspection of {wrapped.strip()}\nlocal authority children's services"
        assert find_authority(title) == authority_id, title


@pytest.mark.parametrize(
    "authority_id,name", [t for t in _titles() if " and " in t[1]], ids=[i for i, n in _titles() if " and " in n]
)
def test_authority_name_with_ampersand_is_found(authority_id, name):
    assert find_authority(f"Inspection of {name.replace(' and ', ' & ')} children's services") == authority_id
    wrapped_after_sign = name.replace(" and ", " &\n")
    assert find_authority(wrapped_after_sign + " Council") == authority_id


@pytest.mark.parametrize(
    "text,expected",
    [
        # a shorter authority's name inside a longer one never wins
        ("Royal Borough of Kensington and\nChelsea\nInspection of services", "kensington-and-chelsea"),
        ("Royal Borough of Kingston upon\nThames", "kingston-upon-thames"),
        ("Bath and North East\nSomerset Council", "bath-and-north-east-somerset"),
        ("Cheshire West and\nChester", "cheshire-west-and-chester"),
        ("London Borough of Barking and\nDagenham", "barking-and-dagenham"),
        ("Hammersmith & Fulham", "hammersmith-and-fulham"),
        # short forms
        ("Inspection of East Riding of Yorkshire Council", "east-riding-of-yorkshire"),
        ("Inspection of East Riding local authority children's services", "east-riding-of-yorkshire"),
        ("Inspection of Newcastle local authority children's services", "newcastle-upon-tyne"),
        ("Inspection of Newcastle upon Tyne City Council", "newcastle-upon-tyne"),
        # trusts and companies that deliver the service
        ("Inspection of Bradford Children and Families Trust", "bradford"),
        ("Doncaster Children\u2019s Services Trust", "doncaster"),
        ("Inspection of Slough Children First", "slough"),
        ("Inspection of Together for Children Sunderland", "sunderland"),
        (
            "Inspection of Achieving for Children on behalf of the Royal Borough of Kingston upon Thames",
            "kingston-upon-thames",
        ),
    ],
)
def test_wrapped_names_short_forms_and_trusts(text, expected):
    assert find_authority(text) == expected
