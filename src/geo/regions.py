"""The regions carerounds knows: their outline files, geocoding names and towns (geography only).

This is the one list of regions. The command line's ``--region`` choices, the road
downloader (:func:`carerounds.geo.fetch_network`) and the sample generator all read it;
anything about care in a region (care areas, providers, name pools) lives with the code
that needs it, keyed by :attr:`Region.name`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..errors import InputError


@dataclass(frozen=True)
class Town:
    """A real town or village of a region.

    Parameters
    ----------
    name : str
        English name.
    lat, lon : float
        Centre, degrees (WGS84).
    population : int
        Approximate residents.
    district : str
        Postcode district (outward code), e.g. ``"EH22"``.
    alt_name : str, default ""
        The Welsh or Scottish Gaelic name where one is in real use.
    sectors : tuple of int, default (1,)
        Postcode sector digits of the town (approximate).
    """

    name: str
    lat: float
    lon: float
    population: int
    district: str
    alt_name: str = ""
    sectors: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class Region:
    """A region: a council area of Great Britain.

    Parameters
    ----------
    name : str
        Lower-case key, as given on the command line (``"midlothian"``).
    display_name : str
        Name for people (``"Midlothian"``).
    nation : str
        ``"scotland"``, ``"wales"`` or ``"england"``.
    council : str
        The local authority (``"Midlothian Council"``).
    boundary_file : str
        File name of the council outline (Osmosis ``.poly``) in the shared boundaries
        folder; used when present.
    geocode_query : str
        What to ask the geocoder for when the outline file is absent.
    towns : tuple of Town
        Its towns and villages, in a fixed order (seeded draws over them depend on it).
    """

    name: str
    display_name: str
    nation: str
    council: str
    boundary_file: str
    geocode_query: str
    towns: tuple[Town, ...]

    def town(self, name: str) -> Town:
        """The town of that (English) name; ``KeyError`` when the region has none."""
        for town in self.towns:
            if town.name == name:
                return town
        raise KeyError(name)


_MIDLOTHIAN = Region(
    name="midlothian", display_name="Midlothian", nation="scotland",
    council="Midlothian Council", boundary_file="midlothian_osm.poly",
    geocode_query="Midlothian, Scotland",
    towns=(
        Town("Dalkeith", 55.895, -3.068, 12700, "EH22", "Dail Cheith", (1, 2)),
        Town("Bonnyrigg", 55.873, -3.105, 15700, "EH19", "", (2, 3)),
        Town("Penicuik", 55.826, -3.220, 15900, "EH26", "Peighinn na Cuthaig", (0, 8, 9)),
        Town("Loanhead", 55.878, -3.150, 6300, "EH20", "", (9,)),
        Town("Gorebridge", 55.841, -3.048, 6300, "EH23", "", (4,)),
        Town("Mayfield", 55.866, -3.031, 9300, "EH22", "", (5,)),
        Town("Newtongrange", 55.868, -3.068, 5500, "EH22", "", (4,)),
        Town("Danderhall", 55.917, -3.111, 3800, "EH22", "", (3,)),
        Town("Roslin", 55.856, -3.162, 1600, "EH25", "", (9,)),
        Town("Rosewell", 55.850, -3.137, 1800, "EH24", "", (9,)),
        Town("Pathhead", 55.862, -2.975, 1200, "EH37", "", (5,)),
    ),
)

_MONMOUTHSHIRE = Region(
    name="monmouthshire", display_name="Monmouthshire", nation="wales",
    council="Monmouthshire County Council", boundary_file="monmouthshire_osm.poly",
    geocode_query="Monmouthshire, Wales",
    towns=(
        Town("Abergavenny", 51.824, -3.017, 12500, "NP7", "Y Fenni", (5, 6, 7, 9)),
        Town("Chepstow", 51.642, -2.675, 12350, "NP16", "Cas-gwent", (5, 6, 7)),
        Town("Caldicot", 51.591, -2.750, 11000, "NP26", "Cil-y-coed", (4, 5)),
        Town("Monmouth", 51.812, -2.716, 10500, "NP25", "Trefynwy", (3, 5)),
        Town("Magor", 51.580, -2.832, 6000, "NP26", "Magwyr", (3,)),
        Town("Usk", 51.703, -2.903, 2800, "NP15", "Brynbuga", (1,)),
        Town("Gilwern", 51.822, -3.098, 2300, "NP7", "", (0,)),
        Town("Raglan", 51.766, -2.851, 1900, "NP15", "Rhaglan", (2,)),
        Town("Trellech", 51.745, -2.723, 1500, "NP25", "Tryleg", (4,)),
    ),
)

# No Rutland outline is in the shared boundaries folder: fetch_network geocodes it.
_RUTLAND = Region(
    name="rutland", display_name="Rutland", nation="england",
    council="Rutland County Council", boundary_file="rutland_osm.poly",
    geocode_query="Rutland, England",
    towns=(
        Town("Oakham", 52.670, -0.727, 10900, "LE15", "", (6,)),
        Town("Uppingham", 52.589, -0.723, 4700, "LE15", "", (9,)),
        Town("Cottesmore", 52.713, -0.665, 2000, "LE15", "", (7,)),
        Town("Ketton", 52.629, -0.553, 1900, "PE9", "", (3,)),
        Town("Empingham", 52.665, -0.597, 900, "LE15", "", (8,)),
        Town("Ryhall", 52.688, -0.468, 1500, "PE9", "", (4,)),
        Town("Langham", 52.692, -0.753, 1400, "LE15", "", (7,)),
        Town("Whissendine", 52.720, -0.770, 1200, "LE15", "", (7,)),
    ),
)

#: Every region, keyed by :attr:`Region.name` (read-only).
REGIONS: Mapping[str, Region] = MappingProxyType(
    {r.name: r for r in (_MIDLOTHIAN, _MONMOUTHSHIRE, _RUTLAND)})


def region(name: str) -> Region:
    """The region of that name.

    Raises
    ------
    InputError
        (a ``ValueError``) for an unknown name, listing the known ones.
    """
    try:
        return REGIONS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown region {name!r}; choose one of {', '.join(sorted(REGIONS))}",
                         field="region") from None
