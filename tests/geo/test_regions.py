"""The region registry (carerounds.geo.regions): one list, read by the CLI, fetch_network and the sample."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

import pytest
import shapely

from carerounds.errors import InputError
from carerounds.geo import REGIONS, Region, region
from carerounds.geo import regions as regions_module


def test_the_registry_holds_the_three_council_areas():
    assert sorted(REGIONS) == ["midlothian", "monmouthshire", "rutland"]
    assert {r.nation for r in REGIONS.values()} == {"scotland", "wales", "england"}
    for name, place in REGIONS.items():
        assert isinstance(place, Region) and place.name == name
        assert place.boundary_file == f"{name}_osm.poly"
        assert place.geocode_query.startswith(place.display_name + ", ")
        assert place.council.startswith(place.display_name)
        assert len({t.name for t in place.towns}) == len(place.towns) > 5


def test_towns_are_where_their_region_is():
    # centres within about 30 km of each other, and the postcodes of the council area
    for place in REGIONS.values():
        lats = [t.lat for t in place.towns]
        lons = [t.lon for t in place.towns]
        assert max(lats) - min(lats) < 0.3 and max(lons) - min(lons) < 0.6
        assert all(t.population > 0 and t.sectors for t in place.towns)
    assert {t.district[:2] for t in REGIONS["midlothian"].towns} == {"EH"}
    assert {t.district[:2] for t in REGIONS["monmouthshire"].towns} == {"NP"}
    assert REGIONS["monmouthshire"].town("Abergavenny").alt_name == "Y Fenni"


def test_region_by_name():
    assert region("rutland") is REGIONS["rutland"]


@pytest.mark.parametrize("name", ["atlantis", "Rutland", "", None])
def test_an_unknown_region_is_an_input_error_listing_the_known_ones(name):
    with pytest.raises(InputError, match="unknown region .*; choose one of "
                                         "midlothian, monmouthshire, rutland") as caught:
        region(name)
    assert caught.value.field == "region"
    assert isinstance(caught.value, ValueError)


def test_a_town_the_region_lacks_is_a_key_error():
    with pytest.raises(KeyError):
        REGIONS["rutland"].town("Dalkeith")


def test_the_registry_is_immutable():
    with pytest.raises(TypeError):
        REGIONS["atlantis"] = REGIONS["rutland"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGIONS["rutland"].display_name = "Rutland Water"
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGIONS["rutland"].towns[0].population = 0
    assert isinstance(REGIONS["rutland"].towns, tuple)


def test_geo_knows_nothing_of_care():
    # geography only: the sample's care areas, providers and name pools live in the sample
    for cls in (regions_module.Region, regions_module.Town):
        assert not {f.name for f in dataclasses.fields(cls)} & {
            "area", "areas", "providers", "independents", "streets", "skills"}
    code = ("import sys, carerounds.geo.regions; "
            "print(sorted(m for m in sys.modules if m.startswith('carerounds.scheduler')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# ---- everything else reads the registry ---------------------------------------------------------

def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _region_choices(parser: argparse.ArgumentParser) -> list[str]:
    return next(a.choices for a in parser._actions if "--region" in a.option_strings)


def test_the_command_lines_region_choices_are_the_registry():
    from carerounds.scheduler.cli import build_parser

    parser = build_parser()
    assert _region_choices(_subparser(parser, "sample")) == sorted(REGIONS)
    fetch = _subparser(_subparser(parser, "roads"), "fetch")
    assert _region_choices(fetch) == sorted(REGIONS)


def test_a_new_region_reaches_the_command_line(monkeypatch):
    from carerounds.scheduler.cli import build_parser

    extra = Region("atlantis", "Atlantis", "england", "Atlantis Council", "atlantis_osm.poly",
                   "Atlantis, England", ())
    monkeypatch.setattr(regions_module, "REGIONS", {**REGIONS, "atlantis": extra})
    args = build_parser().parse_args(["roads", "fetch", "--region", "atlantis", "--out", "x"])
    assert args.region == "atlantis"


def test_fetch_network_uses_the_registrys_outline_file_then_its_geocode_query(monkeypatch,
                                                                             tmp_path):
    import osmnx as ox

    from carerounds.geo import fetch_network
    from carerounds.geo import network as network_module

    asked = []

    def geocode(query):
        asked.append(query)
        raise RuntimeError("stop here: no download in tests")

    monkeypatch.setattr(network_module, "_require_online", lambda timeout_s: None)
    monkeypatch.setattr(ox, "geocode_to_gdf", geocode)
    with pytest.raises(RuntimeError, match="stop here"):
        fetch_network(region="monmouthshire", out_path=tmp_path / "x.graphml",
                      boundaries_dir=tmp_path)  # no outline file there: geocode the name
    assert asked == [REGIONS["monmouthshire"].geocode_query]

    (tmp_path / REGIONS["rutland"].boundary_file).write_text(
        "rutland\n1\n -0.731 52.669\n -0.726 52.669\n -0.726 52.673\n -0.731 52.673\nEND\nEND\n")
    seen = {}

    def download(polygon, **kwargs):
        seen["polygon"] = polygon
        raise RuntimeError("stop here: no download in tests")

    monkeypatch.setattr(ox, "graph_from_polygon", download)
    with pytest.raises(RuntimeError, match="stop here"):
        fetch_network(region="rutland", out_path=tmp_path / "x.graphml", boundaries_dir=tmp_path)
    assert asked == [REGIONS["monmouthshire"].geocode_query]  # the outline was used instead
    assert seen["polygon"].contains(shapely.box(-0.731, 52.669, -0.726, 52.673))


def test_fetch_network_names_the_polygon_alternative_for_an_unknown_region(tmp_path):
    from carerounds.geo import fetch_network

    with pytest.raises(InputError, match="unknown region 'narnia'; choose one of midlothian, "
                                         "monmouthshire, rutland or a polygon file"):
        fetch_network(region="narnia", out_path=tmp_path / "x.graphml")


def test_patch_towns_come_from_the_registry():
    from carerounds.scheduler.whatif.patches import region_towns

    assert region_towns("rutland", min_population=0) == tuple(
        (t.name, t.lat, t.lon) for t in REGIONS["rutland"].towns)
