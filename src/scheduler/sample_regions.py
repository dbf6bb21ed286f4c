"""The sample's care facts about each region: care areas, street names, providers, people's names.

The geography (towns, their centres, populations and postcodes) is the region registry,
:mod:`carerounds.geo.regions`; this module adds, keyed by region name, what only the
synthetic sample needs. The generator draws from these pools in their written order, so
reordering an entry changes every sample drawn for the region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..geo import regions as geo_regions


@dataclass(frozen=True)
class Town(geo_regions.Town):
    """A town of the sample: a real town (:class:`carerounds.geo.regions.Town`) and its care area.

    Parameters
    ----------
    name, lat, lon, population, district, alt_name, sectors
        As :class:`carerounds.geo.regions.Town`.
    area : str
        The care area (town group) the town belongs to; becomes ``clients.csv`` ``area``.
    """

    area: str = ""


@dataclass(frozen=True)
class SampleRegion:
    """A region the sample can be drawn for: its towns, care areas and name pools.

    Parameters
    ----------
    place : carerounds.geo.regions.Region
        The region's geography, from the registry.
    towns : tuple of Town
        ``place``'s towns in registry order, each with its care area.
    areas : tuple of str
        Care areas (town groups), in display order; every town's ``area`` is one of them.
    streets : tuple of str
        Street names for town addresses.
    rural_roads : tuple of str
        Road names for addresses between towns.
    house_names : tuple of str
        House names for addresses between towns.
    independents : tuple of str
        Names of the (fictional) independent providers.
    """

    place: geo_regions.Region
    towns: tuple[Town, ...]
    areas: tuple[str, ...]
    streets: tuple[str, ...]
    rural_roads: tuple[str, ...]
    house_names: tuple[str, ...]
    independents: tuple[str, ...]

    @property
    def name(self) -> str:
        """The registry name (``"midlothian"``), as given on the command line."""
        return self.place.name

    @property
    def council(self) -> str:
        """The council whose in-house teams appear as providers."""
        return self.place.council

    @property
    def nation(self) -> str:
        """``"scotland"``, ``"wales"`` or ``"england"``: picks the pools of personal names."""
        return self.place.nation


def _sample_region(name: str, *, areas: Mapping[str, tuple[str, ...]], streets: tuple[str, ...],
                   rural_roads: tuple[str, ...], house_names: tuple[str, ...],
                   independents: tuple[str, ...]) -> SampleRegion:
    """The registry's region ``name`` with its care areas (area name to town names) and pools."""
    place = geo_regions.region(name)
    area_of = {town: area for area, towns in areas.items() for town in towns}
    listed = [town for towns in areas.values() for town in towns]
    if sorted(listed) != sorted(t.name for t in place.towns):
        raise ValueError(f"the care areas of {name} must hold each of its towns exactly once")
    return SampleRegion(
        place=place, towns=tuple(Town(**vars(t), area=area_of[t.name]) for t in place.towns),
        areas=tuple(areas), streets=streets, rural_roads=rural_roads, house_names=house_names,
        independents=independents)


_MIDLOTHIAN = _sample_region(
    "midlothian",
    areas={"Dalkeith": ("Dalkeith", "Danderhall"), "Bonnyrigg & Lasswade": ("Bonnyrigg",),
           "Penicuik": ("Penicuik",), "Loanhead & Roslin": ("Loanhead", "Roslin", "Rosewell"),
           "Gorebridge & Mayfield": ("Gorebridge", "Mayfield", "Newtongrange", "Pathhead")},
    streets=(
        "High Street", "Eskbank Road", "Station Road", "Church Street", "Kirk Brae",
        "Newbattle Road", "Abbey Road", "Burnside Crescent", "Croft Street", "Park Road",
        "Polton Road", "Lasswade Road", "Woodburn Avenue", "Cockpen Drive", "Hunterfield Road",
        "Lingerwood Walk", "Pentland View", "Esk Place", "St Andrew's Street", "Mayfield Place",
        "Bog Road", "Edinburgh Road", "Carnethie Street", "Thorburn Terrace", "Mansfield Road",
        "Kings Park", "Bryans Avenue", "Newmills Road", "Lothian Street", "Brae Park",
        "Firth Crescent", "Cuiken Terrace", "Rullion Road", "Mayshade Road", "Cowden Crescent",
        "Ladywood Place", "Miners' Row", "Waterfall Walk",
    ),
    rural_roads=("Fala Road", "Carrington Road", "Borthwick Road", "Temple Road",
                 "Howgate Road", "Cousland Road", "Mill Road", "Crichton Road"),
    house_names=("Mains Farm Cottage", "The Steading", "Burnside Cottage", "Keeper's Cottage",
                 "Hillview", "The Old Smiddy", "Mill & Kiln Cottage", "East Lodge", "Craigview",
                 "Braeside"),
    independents=("Esk & Tyne Home Support", "Pentland Hills Care Co-operative",
                  "Lothian Companions Care", "Newbattle Homecare Services",
                  "Borthwick Valley Care"),
)

_MONMOUTHSHIRE = _sample_region(
    "monmouthshire",
    # the council's Central/North/South reporting areas (not its 12 patches)
    areas={"North": ("Abergavenny", "Gilwern"),
           "Central": ("Monmouth", "Usk", "Raglan", "Trellech"),
           "South": ("Chepstow", "Caldicot", "Magor")},
    streets=(
        "Monk Street", "Frogmore Street", "Cross Street", "Bridge Street", "Station Road",
        "Church Road", "Newport Road", "Mounton Road", "Wye Crescent", "St Mary's Street",
        "Priory Lane", "Castle Meadows", "Heol Hir", "Ffordd y Castell", "Lôn Isaf",
        "Maes y Deri", "Heol yr Eglwys", "Cae Melin", "Bryn Teg", "Pen y Pound",
        "Woodside Avenue", "Beaufort Square", "Welsh Street", "Orchard Close", "Deri View",
        "Severn Crescent", "Sandy Lane", "Heol Pen-y-Parc", "Old Hereford Road",
        "Monnow Street", "Maryport Street", "Tudor Road", "Usk Road", "Crown Meadow",
        "Brecon Road", "Chapel Road",
    ),
    rural_roads=("Old Raglan Road", "Llanarth Road", "Devauden Road", "Ffordd Tregare",
                 "Lôn y Felin", "Skenfrith Road", "Gwehelog Road", "Common Road"),
    house_names=("Ty Gwyn", "Pen-y-bryn", "Ty'n y Coed", "Bryn Awel", "Nant-y-Bwch Farm",
                 "The Old Rectory", "Ffynnon Wen", "Wye & Usk View", "Cae Glas", "Ty Isaf Farm"),
    independents=("Usk Vale Care", "Gofal Gwent Cyf", "Wye & Severn Homecare",
                  "Black Mountains Home Support", "Castle Gate Care Services"),
)

_RUTLAND = _sample_region(
    "rutland",
    areas={"Oakham & North": ("Oakham", "Cottesmore", "Langham", "Whissendine"),
           "Uppingham & South": ("Uppingham",), "East": ("Ketton", "Empingham", "Ryhall")},
    streets=(
        "High Street", "Station Road", "Church Street", "Mill Street", "Catmose Street",
        "Burley Road", "Braunston Road", "Uppingham Road", "Ashwell Road", "Oakham Road",
        "Stamford Road", "Northgate", "Westgate", "South Street", "Queen Street", "Kings Road",
        "Orange Street", "The Spinney", "Willow Crescent", "Glebe Road", "Main Street",
        "Chapel Lane", "Lonsdale Way", "Welland Way", "Normanton Road", "Ketton Road",
        "St Peter's Close", "Cricket Lawns", "Redland Close", "Cold Overton Road",
    ),
    rural_roads=("Exton Lane", "Ridlington Road", "Barrowden Lane", "Manton Road",
                 "Lyndon Road", "Hambleton Road", "Ashwell Lane", "Tickencote Road"),
    house_names=("Manor Farm Cottage", "The Old Forge", "Keeper's Lodge", "Glebe Farm",
                 "Spinney View", "Ivy & Rose Cottage", "Home Farm", "The Old Bakehouse",
                 "Paddock View", "Lodge Farm"),
    independents=("Rutland Water Care", "Oakham & Vale Homecare", "Welland Home Support",
                  "Catmose Care Services", "Uppingham Community Care"),
)

#: The regions the sample can be drawn for, keyed by registry name (read-only).
REGIONS: Mapping[str, SampleRegion] = MappingProxyType(
    {r.name: r for r in (_MIDLOTHIAN, _MONMOUTHSHIRE, _RUTLAND)})

# ---- personal names (synthetic: random first name + surname pairs) ---------------------------

#: First names of clients by nation: (women's, men's).
CLIENT_FIRST = {
    "scotland": (("Margaret", "Isobel", "Jean", "Agnes", "Elizabeth", "Mary", "Helen", "Jessie",
                  "Janet", "Catherine", "Moira", "Sheena", "Irene", "Betty", "Marion", "Euphemia"),
                 ("William", "James", "Robert", "George", "Thomas", "Alexander", "Archibald",
                  "Hugh", "Walter", "Andrew", "David", "Alistair")),
    "wales": (("Margaret", "Dilys", "Glenys", "Megan", "Nerys", "Eirlys", "Bronwen", "Gwenllian",
               "Myfanwy", "Ceinwen", "Joan", "Mair", "Siân", "Olwen"),
              ("Dafydd", "Gwilym", "Emrys", "Idris", "Huw", "Iorwerth", "Gareth", "Glyn", "John",
               "David", "Trevor", "Meirion")),
    "england": (("Margaret", "Joan", "Dorothy", "Patricia", "Barbara", "Sheila", "Pauline",
                 "Maureen", "Brenda", "Valerie", "Sylvia", "Doreen", "Eileen", "June"),
                ("John", "Peter", "Brian", "Kenneth", "Derek", "Roy", "Dennis", "Geoffrey",
                 "Alan", "Keith", "Colin", "Raymond", "Trevor")),
}
#: Gaelic first names some Scottish clients have: (women's, men's).
GAELIC_FIRST = (("Mòrag", "Seonag", "Catrìona", "Ealasaid", "Mairead", "Sìne"),
                ("Iain", "Seumas", "Ruairidh", "Calum", "Dòmhnall", "Tormod"))
#: Surnames of clients (and most workers) by nation.
SURNAMES = {
    "scotland": ("Thomson", "Paterson", "Robertson", "Stewart", "Campbell", "Anderson", "Scott",
                 "Murray", "Hamilton", "Dalgleish", "Brockie", "Halliday", "Lumsden", "Renton",
                 "Purves", "Crombie", "Sinclair", "Henderson", "MacLeod", "MacKenzie",
                 "MacAulay", "Morrison"),
    "wales": ("Jones", "Davies", "Williams", "Evans", "Thomas", "Roberts", "Lewis", "Morgan",
              "Griffiths", "Pritchard", "Llewellyn", "Prosser", "Powell", "Price", "Watkins",
              "Bevan", "Parry", "ap Rhys", "Harris", "Edwards"),
    "england": ("Smith", "Taylor", "Harrison", "Cooper", "Wright", "Baxter", "Chapman", "Pearson",
                "Needham", "Sharpe", "Whitby", "Goodwin", "Bland", "Lambert", "Hollis", "Mould"),
}
#: Surnames with an apostrophe: the sample always has one, to exercise escaping.
APOSTROPHE_SURNAMES = ("O'Neill", "O'Brien", "O'Connor", "D'Arcy", "O'Hara")
#: First names of workers by nation: (women's, men's).
WORKER_FIRST = {
    "scotland": (("Kirsty", "Ailsa", "Mhairi", "Eilidh", "Shona", "Gemma", "Nicola", "Lisa",
                  "Stacey", "Leanne", "Claire", "Agnieszka", "Zofia", "Chipo", "Laura"),
                 ("Euan", "Fraser", "Ross", "Callum", "Craig", "Darren", "Tomasz", "Kwame")),
    "wales": (("Ffion", "Cerys", "Carys", "Lowri", "Seren", "Bethan", "Nia", "Emma", "Kerry",
               "Sarah", "Joanne", "Ioana", "Blessing", "Rachel", "Amy"),
              ("Rhodri", "Iwan", "Owain", "Dylan", "Gethin", "Ryan", "Marek", "Jamie")),
    "england": (("Emma", "Laura", "Gemma", "Kerry", "Nicola", "Sarah", "Claire", "Amy", "Jodie",
                 "Michelle", "Karen", "Joanna", "Priya", "Grace", "Chloe"),
                ("Craig", "Scott", "Ryan", "Jamie", "Michael", "Daniel", "Adam", "Kwame")),
}
#: Extra surnames for workers, drawn alongside the nation's own.
WORKER_SURNAMES = ("Kowalska", "Nowak", "Okafor", "Mensah", "Patel", "Popescu", "Moyo",
                   "Kaur", "Walker", "Green", "Bell", "Hughes")
