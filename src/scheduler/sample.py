"""The built-in sample day: a synthetic, realistic day of home-care inputs for a real UK region."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .units import format_hhmm

# ---- region facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    """A real town or village the sample puts clients and workers in.

    Parameters
    ----------
    name : str
        English name, used in addresses.
    lat, lon : float
        Centre, degrees (WGS84).
    population : int
        Approximate residents; clients and workers are spread in proportion.
    district : str
        Postcode district (outward code), e.g. ``"EH22"``.
    area : str
        The care area (town group) the town belongs to; becomes ``clients.csv`` ``area``.
    alt_name : str, default ""
        The Welsh or Scottish Gaelic name where one is in real use.
    sectors : tuple of int, default (1,)
        Postcode sector digits the sample draws from (approximate).
    """

    name: str
    lat: float
    lon: float
    population: int
    district: str
    area: str
    alt_name: str = ""
    sectors: tuple[int, ...] = (1,)


@dataclass(frozen=True)
class Region:
    """A region the sample can be drawn for: its towns, care areas and name pools.

    Parameters
    ----------
    key : str
        Lower-case name used on the command line (``"midlothian"``).
    name : str
        Display name.
    council : str
        The council whose in-house teams appear as providers.
    nation : str
        ``"scotland"``, ``"wales"`` or ``"england"``: picks the pools of personal names.
    towns : tuple of Town
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

    key: str
    name: str
    council: str
    nation: str
    towns: tuple[Town, ...]
    areas: tuple[str, ...]
    streets: tuple[str, ...]
    rural_roads: tuple[str, ...]
    house_names: tuple[str, ...]
    independents: tuple[str, ...]


_MIDLOTHIAN = Region(
    key="midlothian", name="Midlothian", council="Midlothian Council", nation="scotland",
    towns=(
        Town("Dalkeith", 55.895, -3.068, 12700, "EH22", "Dalkeith", "Dail Cheith", (1, 2)),
        Town("Bonnyrigg", 55.873, -3.105, 15700, "EH19", "Bonnyrigg & Lasswade", "", (2, 3)),
        Town("Penicuik", 55.826, -3.220, 15900, "EH26", "Penicuik", "Peighinn na Cuthaig",
             (0, 8, 9)),
        Town("Loanhead", 55.878, -3.150, 6300, "EH20", "Loanhead & Roslin", "", (9,)),
        Town("Gorebridge", 55.841, -3.048, 6300, "EH23", "Gorebridge & Mayfield", "", (4,)),
        Town("Mayfield", 55.866, -3.031, 9300, "EH22", "Gorebridge & Mayfield", "", (5,)),
        Town("Newtongrange", 55.868, -3.068, 5500, "EH22", "Gorebridge & Mayfield", "", (4,)),
        Town("Danderhall", 55.917, -3.111, 3800, "EH22", "Dalkeith", "", (3,)),
        Town("Roslin", 55.856, -3.162, 1600, "EH25", "Loanhead & Roslin", "", (9,)),
        Town("Rosewell", 55.850, -3.137, 1800, "EH24", "Loanhead & Roslin", "", (9,)),
        Town("Pathhead", 55.862, -2.975, 1200, "EH37", "Gorebridge & Mayfield", "", (5,)),
    ),
    areas=("Dalkeith", "Bonnyrigg & Lasswade", "Penicuik", "Loanhead & Roslin",
           "Gorebridge & Mayfield"),
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

_MONMOUTHSHIRE = Region(
    key="monmouthshire", name="Monmouthshire", council="Monmouthshire County Council",
    nation="wales",
    towns=(
        Town("Abergavenny", 51.824, -3.017, 12500, "NP7", "North", "Y Fenni", (5, 6, 7, 9)),
        Town("Chepstow", 51.642, -2.675, 12350, "NP16", "South", "Cas-gwent", (5, 6, 7)),
        Town("Caldicot", 51.591, -2.750, 11000, "NP26", "South", "Cil-y-coed", (4, 5)),
        Town("Monmouth", 51.812, -2.716, 10500, "NP25", "Central", "Trefynwy", (3, 5)),
        Town("Magor", 51.580, -2.832, 6000, "NP26", "South", "Magwyr", (3,)),
        Town("Usk", 51.703, -2.903, 2800, "NP15", "Central", "Brynbuga", (1,)),
        Town("Gilwern", 51.822, -3.098, 2300, "NP7", "North", "", (0,)),
        Town("Raglan", 51.766, -2.851, 1900, "NP15", "Central", "Rhaglan", (2,)),
        Town("Trellech", 51.745, -2.723, 1500, "NP25", "Central", "Tryleg", (4,)),
    ),
    areas=("North", "Central", "South"),
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

_RUTLAND = Region(
    key="rutland", name="Rutland", council="Rutland County Council", nation="england",
    towns=(
        Town("Oakham", 52.670, -0.727, 10900, "LE15", "Oakham & North", "", (6,)),
        Town("Uppingham", 52.589, -0.723, 4700, "LE15", "Uppingham & South", "", (9,)),
        Town("Cottesmore", 52.713, -0.665, 2000, "LE15", "Oakham & North", "", (7,)),
        Town("Ketton", 52.629, -0.553, 1900, "PE9", "East", "", (3,)),
        Town("Empingham", 52.665, -0.597, 900, "LE15", "East", "", (8,)),
        Town("Ryhall", 52.688, -0.468, 1500, "PE9", "East", "", (4,)),
        Town("Langham", 52.692, -0.753, 1400, "LE15", "Oakham & North", "", (7,)),
        Town("Whissendine", 52.720, -0.770, 1200, "LE15", "Oakham & North", "", (7,)),
    ),
    areas=("Oakham & North", "Uppingham & South", "East"),
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

#: The regions the sample can be drawn for, keyed by their command-line name.
REGIONS: dict[str, Region] = {r.key: r for r in (_MIDLOTHIAN, _MONMOUTHSHIRE, _RUTLAND)}

# ---- personal names (synthetic: random first name + surname pairs) ---------------------------

_CLIENT_FIRST = {
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
_GAELIC_FIRST = (("Mòrag", "Seonag", "Catrìona", "Ealasaid", "Mairead", "Sìne"),
                 ("Iain", "Seumas", "Ruairidh", "Calum", "Dòmhnall", "Tormod"))
_SURNAMES = {
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
_APOSTROPHE_SURNAMES = ("O'Neill", "O'Brien", "O'Connor", "D'Arcy", "O'Hara")
_WORKER_FIRST = {
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
_WORKER_SURNAMES = ("Kowalska", "Nowak", "Okafor", "Mensah", "Patel", "Popescu", "Moyo",
                    "Kaur", "Walker", "Green", "Bell", "Hughes")

# ---- care facts ------------------------------------------------------------------------------

#: Visit bands, minutes since midnight: every window lies inside its band.
BANDS: dict[str, tuple[int, int]] = {
    "morning": (7 * 60, 10 * 60),
    "lunch": (11 * 60 + 30, 13 * 60 + 30),
    "tea": (16 * 60 + 30, 18 * 60 + 30),
    "bed": (20 * 60, 22 * 60),
}
_BAND_ORDER = ("morning", "lunch", "tea", "bed")
#: Longest visit the generator puts in each band, minutes (shift patterns are built to fit it).
_MAX_DURATION = {"morning": 60, "lunch": 45, "tea": 45, "bed": 45}
#: Window start choices per band (minutes since midnight) and their weights: the morning
#: peak is early, as everyone wants to be up and have breakfast by 08:30.
_STARTS = {
    "morning": ((420, 3), (435, 3), (450, 5), (465, 4), (480, 5), (495, 3), (510, 3), (525, 1),
                (540, 2), (555, 1), (570, 1)),
    "lunch": ((690, 2), (705, 2), (720, 4), (735, 2), (750, 3), (765, 1), (780, 1)),
    "tea": ((990, 3), (1005, 2), (1020, 4), (1035, 2), (1050, 3), (1065, 1), (1080, 1)),
    "bed": ((1200, 2), (1215, 2), (1230, 3), (1245, 2), (1260, 3), (1275, 1), (1290, 1)),
}
#: Which bands packages of 1, 2 and 3 visits a day use, with weights: most start the day
#: with a morning call, but not all (a lunchtime medication prompt, a bedtime call).
_PACKAGES = {
    1: ((("morning",), 50), (("lunch",), 20), (("tea",), 12), (("bed",), 18)),
    2: ((("morning", "bed"), 40), (("morning", "tea"), 22), (("morning", "lunch"), 15),
        (("lunch", "bed"), 13), (("lunch", "tea"), 10)),
    3: ((("morning", "lunch", "bed"), 40), (("morning", "tea", "bed"), 30),
        (("morning", "lunch", "tea"), 18), (("lunch", "tea", "bed"), 12)),
}
SKILLS = ("medication", "hoist", "dementia", "peg", "catheter")
SERVICES = ("integrated", "adult_disability", "mental_health", "reablement", "hospital_discharge")
_SERVICE_WEIGHTS = (68, 9, 6, 10, 7)

#: Shift patterns, (start, end) minutes per segment. Each pattern's segments are long enough
#: for any visit of the bands they cover, with a margin for travel.
_PATTERNS: dict[str, tuple[tuple[int, int], ...]] = {
    "split": ((420, 840), (990, 1350)),
    "split_short": ((420, 660), (990, 1350)),
    "split_bed": ((420, 840), (1170, 1350)),
    "early": ((420, 870),),
    "morning": ((420, 660),),
    "mid": ((660, 1140),),
    "late": ((960, 1350),),
    "twilight": ((1170, 1350),),
}
_PATTERN_WEIGHTS = {"split": 6, "split_short": 2, "split_bed": 2, "early": 3, "morning": 1,
                    "mid": 1, "late": 2, "twilight": 1}
#: Travel margin (minutes) assumed when asking whether a segment could hold a visit at all.
_MARGIN_MIN = 10
#: Minutes of a worker's time per band a visit can be done in (window span plus the overrun).
_BAND_CAPACITY_MIN = {"morning": 210, "lunch": 140, "tea": 140, "bed": 140}
#: Share of that time spent on visits rather than waiting; lower = more workers.
#: The morning is run hotter than the rest: the realistic pinch.
_UTILISATION = {"morning": 0.71, "lunch": 0.62, "tea": 0.62, "bed": 0.62}
_SKILL_UTILISATION = 0.5
#: Travel budgeted per carer per visit when sizing the workforce: the drive to the nearest
#: other visit of the provider that could come next (window starting within
#: ``_NEXT_WITHIN_MIN``), straight line x circuity at a drive speed, times a factor for a real
#: round not being a chain of nearest neighbours (calibrated on solved samples), plus parking.
_CIRCUITY, _DRIVE_KPH, _ROUND_FACTOR, _PARKING_MIN = 1.35, 45.0, 1.5, 2.0
_WALK_KPH = 4.8
_NEXT_WITHIN_MIN = 60

_NOTES = ("Key safe {code}", "Key safe {code}, by the back door", "Door code {code}",
          "Dog in kitchen", "Ring before entering", "Knock loudly: hard of hearing",
          "Cat: keep the doors closed", "Park on the street, steep drive", "Use the side door",
          "Daughter visits at weekends", "Oxygen in use: no smoking", "Lives alone",
          "Likes a chat about the football", "Tea with milk, no sugar")
_NATION_NOTES = {"wales": ("Welsh speaker, prefers Welsh",),
                 "scotland": ("Gaelic speaker",), "england": ()}
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_UK_LAT, _UK_LON = (49.9, 60.9), (-8.6, 1.7)
_M_PER_DEG_LAT = 111_320.0

# ---- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One CSV file's content: a header and rows of strings, all immutable."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def as_dicts(self) -> list[dict[str, str]]:
        """The rows as dictionaries keyed by column name."""
        return [dict(zip(self.header, row)) for row in self.rows]

    def column(self, name: str) -> list[str]:
        """One column's values, in row order."""
        index = self.header.index(name)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class SampleDay:
    """A generated day of inputs, as the tables of the files ``write_sample`` writes.

    Parameters
    ----------
    region, size : str
        What was asked for.
    date : datetime.date
        The plan date (a few clients attend a day centre on one weekday and skip lunch).
    seed : int
        The seed; the same arguments always give the same tables.
    providers, workers, clients, visits : Table
        The four input files of the contract, columns in contract order.
    history : Table
        ``client_id, worker_id, visits``: past visits per client and worker over the
        four weeks before the date (continuity of carer).
    planted_duplicates : Table
        ``visit_id_a, visit_id_b, kind``: pairs of visits by two different providers to one
        client (``same_client``) or to two clients at one address (``same_household``) whose
        windows overlap or are at most 60 min apart. A duplicate finder must report them.
    near_misses : Table
        ``visit_id_a, visit_id_b, kind``: pairs planted to look alike but that must NOT be
        reported: ``same_client_far_apart`` (one client, two providers, windows 3 h or more
        apart) and ``neighbours`` (same street and postcode, different house, similar time).
        Not written to disk.
    """

    region: str
    date: dt.date
    seed: int
    size: str
    providers: Table
    workers: Table
    clients: Table
    visits: Table
    history: Table
    planted_duplicates: Table
    near_misses: Table = field(default_factory=lambda: Table(("visit_id_a", "visit_id_b", "kind"),
                                                             ()))

    def files(self) -> dict[str, Table]:
        """The tables ``write_sample`` writes, keyed by file name, in writing order."""
        return {"providers.csv": self.providers, "workers.csv": self.workers,
                "clients.csv": self.clients, "visits.csv": self.visits,
                "history.csv": self.history, "planted_duplicates.csv": self.planted_duplicates}


#: Columns of each file, in contract order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "providers.csv": ("provider_id", "name", "kind"),
    "workers.csv": ("worker_id", "provider_id", "name", "gender", "home_lat", "home_lon",
                    "shift_start", "shift_end", "skills", "travel_mode", "max_hours"),
    "clients.csv": ("client_id", "name", "address", "postcode", "lat", "lon", "area",
                    "gender_preference", "preferred_workers", "excluded_workers", "notes"),
    "visits.csv": ("visit_id", "client_id", "provider_id", "window_start", "window_end",
                   "duration_min", "carers", "skills", "priority", "service", "tasks"),
    "history.csv": ("client_id", "worker_id", "visits"),
    "planted_duplicates.csv": ("visit_id_a", "visit_id_b", "kind"),
}


@dataclass(frozen=True)
class _Size:
    visits: int          # target visit count, planted ones included
    same_client: int     # planted true duplicates by kind
    same_household: int
    far_apart: int       # planted near misses by kind
    neighbours: int
    day_scale: bool      # several in-house teams and 3-5 independents, each on some areas


#: Sizes of sample, by command-line name.
SIZES: dict[str, _Size] = {
    "small": _Size(visits=60, same_client=1, same_household=1, far_apart=1, neighbours=1,
                   day_scale=False),
    "day": _Size(visits=1500, same_client=10, same_household=5, far_apart=5, neighbours=5,
                 day_scale=True),
}

# ---- mutable builders (private; the result is frozen tables) ---------------------------------


@dataclass
class _Provider:
    name: str
    kind: str
    role: str                      # mainstream, reablement, complex, rapid, independent
    areas: tuple[str, ...]
    id: str = ""


@dataclass
class _Street:
    town: Town
    name: str
    lat: float
    lon: float
    bearing: float                 # radians, direction house numbers grow along
    max_number: int
    postcode: str
    used: set[int] = field(default_factory=set)


@dataclass
class _Client:
    name: str
    female: bool
    address: str
    postcode: str
    lat: float
    lon: float
    town: Town
    street: _Street | None
    number: int | None
    service: str
    needs: frozenset[str]          # dementia, hoist, peg, catheter, insulin
    gender_preference: str = ""
    preferred: list[_Worker] = field(default_factory=list)
    excluded: list[_Worker] = field(default_factory=list)
    notes: str = ""
    planted: bool = False          # part of a planted pair: keep it as it is
    id: str = ""


@dataclass
class _Visit:
    client: _Client
    provider: _Provider | None
    start: int                     # window start, minutes since midnight
    end: int
    duration: int
    carers: int
    skills: frozenset[str]
    priority: str
    service: str
    tasks: str
    band: str
    id: str = ""


@dataclass
class _Worker:
    provider: _Provider
    name: str
    female: bool
    lat: float
    lon: float
    town: Town
    pattern: str
    skills: set[str]
    mode: str = "drive"
    max_hours: str = ""
    id: str = ""

    @property
    def segments(self) -> tuple[tuple[int, int], ...]:
        return _PATTERNS[self.pattern]


# ---- public API ------------------------------------------------------------------------------


def generate_sample(region: str, *, date: dt.date, seed: int, size: str = "small") -> SampleDay:
    """Generate a synthetic day of home-care inputs for a real region.

    Parameters
    ----------
    region : str
        One of :data:`REGIONS`: ``"midlothian"``, ``"monmouthshire"`` or ``"rutland"``.
    date : datetime.date
        The plan date. It only decides which clients are at a day centre (they skip lunch).
    seed : int
        Seed of every random choice; the same arguments give byte-identical files.
    size : str, default "small"
        ``"small"`` (about 60 visits, 8 workers, 2 providers) or ``"day"`` (about 1,500
        visits, 180 workers, 4 in-house teams and 3-5 independent providers).

    Returns
    -------
    SampleDay

    Raises
    ------
    InputError
        (a ``ValueError``) for an unknown region or size, naming the valid ones.
    """
    if region not in REGIONS:
        raise InputError(f"unknown region {region!r}; choose one of {', '.join(REGIONS)}",
                         field="region")
    if size not in SIZES:
        raise InputError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}",
                         field="size")
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return _Generator(REGIONS[region], SIZES[size], date, seed, size).run()


def write_sample(sample: SampleDay, out_dir: Path) -> list[Path]:
    """Write a sample day as UTF-8 CSV files with a header row.

    Writes ``providers.csv``, ``workers.csv``, ``clients.csv``, ``visits.csv`` (the inputs,
    columns in contract order) plus ``history.csv`` and ``planted_duplicates.csv``,
    replacing files of those names. Lines end with ``\\n``; fields are quoted only when
    needed.

    Parameters
    ----------
    sample : SampleDay
    out_dir : Path
        Folder to write into; created with its parents if missing.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in sample.files().items():
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(table.header)
            writer.writerows(table.rows)
        paths.append(path)
    return paths


# ---- generation ------------------------------------------------------------------------------


def _hhmm(minutes: int) -> str:
    return format_hhmm(minutes * 60)


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / _M_PER_DEG_LAT,
            lon + east_m / (_M_PER_DEG_LAT * math.cos(math.radians(lat))))


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # equirectangular: exact enough over the few kilometres it is used for
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000.0 * math.hypot(x, y)


def _town_radius_m(town: Town) -> float:
    return 450.0 + 11.0 * math.sqrt(town.population)


def _segment_holds(segment: tuple[int, int], start: int, end: int, duration: int, *,
                   travel: float = _MARGIN_MIN) -> bool:
    # could a shift segment hold the visit at all, leaving and returning home included
    seg_start, seg_end = segment
    return seg_start + travel <= end and start + duration + travel <= seg_end


def _pattern_covers(pattern: str, band: str) -> bool:
    low, high = BANDS[band]
    # the hardest visits of the band: the earliest-ending window and the latest, longest one
    return any(_segment_holds(seg, low, low + 30, 0)
               and _segment_holds(seg, high - 30, high, _MAX_DURATION[band])
               for seg in _PATTERNS[pattern])


_COVERS = {p: tuple(b for b in _BAND_ORDER if _pattern_covers(p, b)) for p in _PATTERNS}


class _Generator:
    """One run of the generator; every random choice comes from ``self.rng`` in a fixed order."""

    def __init__(self, region: Region, size: _Size, date: dt.date, seed: int,
                 size_name: str) -> None:
        self.region = region
        self.size = size
        self.size_name = size_name
        self.date = date
        self.seed = seed
        self.rng = random.Random(seed)
        self.postcodes: set[str] = set()
        self.addresses: set[str] = set()
        self.grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
        self.clients: list[_Client] = []
        self.visits: list[_Visit] = []
        self.workers: list[_Worker] = []
        self.providers: list[_Provider] = []
        self.planted: list[tuple[_Visit, _Visit, str]] = []
        self.near: list[tuple[_Visit, _Visit, str]] = []
        self.history: dict[tuple[int, int], int] = {}

    # -- orchestration

    def run(self) -> SampleDay:
        self.streets = self._lay_out_streets()
        self.providers = self._make_providers()
        self._make_packages()
        self._plant()
        self._ensure_unplaced_package()
        self._make_workforce()
        self._add_skills_for_demand()
        self._set_preferences()
        self._make_history()
        self._guarantee_special_characters()
        return self._tables()

    # -- geography

    def _lay_out_streets(self) -> dict[str, list[_Street]]:
        rng = self.rng
        streets: dict[str, list[_Street]] = {}
        for town in self.region.towns:
            count = min(len(self.region.streets), 6 + town.population // 600)
            radius = _town_radius_m(town)
            names = rng.sample(self.region.streets, count)
            streets[town.name] = []
            for name in names:
                r = 0.65 * radius * math.sqrt(rng.random())
                angle = rng.uniform(0, 2 * math.pi)
                lat, lon = _offset(town.lat, town.lon, r * math.cos(angle), r * math.sin(angle))
                streets[town.name].append(_Street(
                    town, name, lat, lon, rng.uniform(0, 2 * math.pi),
                    min(80, 16 + town.population // 300), self._postcode(town)))
        return streets

    def _postcode(self, town: Town) -> str:
        while True:
            code = (f"{town.district} {self.rng.choice(town.sectors)}"
                    f"{self.rng.choice(_UNIT_LETTERS)}{self.rng.choice(_UNIT_LETTERS)}")
            if code not in self.postcodes:
                self.postcodes.add(code)
                return code

    def _grid_key(self, lat: float, lon: float) -> tuple[int, int]:
        return (int(math.floor(lat * 2000)), int(math.floor(lon * 1000)))

    def _free_spot(self, lat: float, lon: float, *, min_m: float = 20.0) -> bool:
        # distinct addresses stay at least min_m apart so a finder matching on
        # coordinates cannot mistake neighbours for one household
        gy, gx = self._grid_key(lat, lon)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for plat, plon in self.grid.get((gy + dy, gx + dx), ()):
                    if _distance_m(lat, lon, plat, plon) < min_m:
                        return False
        return True

    def _take_spot(self, lat: float, lon: float) -> None:
        self.grid.setdefault(self._grid_key(lat, lon), []).append((lat, lon))

    def _house(self, street: _Street, number: int) -> tuple[float, float]:
        along = ((number - 1) // 2) * 25.0
        side = 12.0 if number % 2 else -12.0
        north = along * math.cos(street.bearing) - side * math.sin(street.bearing)
        east = along * math.sin(street.bearing) + side * math.cos(street.bearing)
        return _offset(street.lat, street.lon, north, east)

    def _town_address(self, town: Town, street: _Street | None = None,
                      near: int | None = None) -> tuple[_Street, int, float, float] | None:
        rng = self.rng
        for _ in range(60):
            st = street or rng.choice(self.streets[town.name])
            if near is not None:
                number = near + rng.choice((-4, -2, 2, 4))
                if not 1 <= number <= st.max_number:
                    continue
            else:
                number = rng.randint(1, st.max_number)
            if number in st.used:
                continue
            lat, lon = self._house(st, number)
            if not self._free_spot(lat, lon):
                continue
            st.used.add(number)
            self._take_spot(lat, lon)
            return st, number, lat, lon
        return None

    def _rural_address(self) -> tuple[str, Town, float, float]:
        rng, towns = self.rng, self.region.towns
        for _ in range(100):
            a = rng.choices(towns, weights=[t.population for t in towns])[0]
            others = sorted((t for t in towns if t is not a),
                            key=lambda t: _distance_m(a.lat, a.lon, t.lat, t.lon))
            b = rng.choice(others[:2])
            t = rng.uniform(0.25, 0.75)
            lat, lon = a.lat + t * (b.lat - a.lat), a.lon + t * (b.lon - a.lon)
            lat, lon = _offset(lat, lon, rng.uniform(-1200, 1200), rng.uniform(-1200, 1200))
            town = a if t < 0.5 else b
            address = (f"{rng.choice(self.region.house_names)}, "
                       f"{rng.choice(self.region.rural_roads)}, {town.name}")
            if address in self.addresses or not self._free_spot(lat, lon):
                continue
            self._take_spot(lat, lon)
            return address, town, lat, lon
        raise RuntimeError("could not place a rural address")  # pragma: no cover

    def _person(self, female: bool) -> str:
        rng, nation = self.rng, self.region.nation
        firsts = _CLIENT_FIRST[nation][0 if female else 1]
        if nation == "scotland" and rng.random() < 0.12:
            firsts = _GAELIC_FIRST[0 if female else 1]
        surnames = _SURNAMES[nation]
        surname = (rng.choice(_APOSTROPHE_SURNAMES) if rng.random() < 0.04
                   else rng.choice(surnames))
        return f"{rng.choice(firsts)} {surname}"

    def _new_client(self, *, service: str, needs: frozenset[str], female: bool | None = None,
                    at: tuple[Town, _Street, int] | None = None) -> _Client | None:
        rng = self.rng
        female = rng.random() < 0.66 if female is None else female
        name = self._person(female)
        if at is not None:
            town, street, number = at
            spot = self._town_address(town, street, near=number)
            if spot is None:
                return None
            street, number, lat, lon = spot
            address = f"{number} {street.name}, {town.name}"
            postcode = street.postcode
        elif rng.random() < 0.12:
            address, town, lat, lon = self._rural_address()
            street, number, postcode = None, None, self._postcode(town)
        else:
            towns = self.region.towns
            while True:
                town = rng.choices(towns, weights=[t.population for t in towns])[0]
                spot = self._town_address(town)
                if spot is not None:
                    break
            street, number, lat, lon = spot
            address = f"{number} {street.name}, {town.name}"
            postcode = street.postcode
        self.addresses.add(address)
        client = _Client(name, female, address, postcode, lat, lon, town, street, number,
                         service, needs)
        client.notes = self._notes(client)
        self.clients.append(client)
        return client

    def _notes(self, client: _Client) -> str:
        rng = self.rng
        pool = _NOTES + _NATION_NOTES[self.region.nation]
        picked = rng.sample(pool, rng.choice((0, 1, 1, 2)))
        notes = [n.format(code=f"{rng.randint(0, 9999):04d}") for n in picked]
        if "insulin" in client.needs:
            notes.append("Insulin pen in the fridge")
        if "hoist" in client.needs:
            notes.append("Ceiling hoist in bedroom")
        return ". ".join(notes)

    # -- providers

    def _make_providers(self) -> list[_Provider]:
        rng, region = self.rng, self.region
        areas = region.areas
        if not self.size.day_scale:
            return [_Provider(f"{region.council} Care at Home", "in_house", "mainstream", areas),
                    _Provider(rng.choice(region.independents), "independent", "independent",
                              areas)]
        providers = [
            _Provider(f"{region.council} Care at Home", "in_house", "mainstream", areas),
            _Provider(f"{region.council} Reablement Team", "in_house", "reablement", areas),
            _Provider(f"{region.council} Complex Care Team", "in_house", "complex", areas),
            _Provider(f"{region.council} Rapid Response Team", "in_house", "rapid", areas),
        ]
        names = rng.sample(region.independents, rng.randint(3, 5))
        # each independent works two or three areas; each area gets two independents where
        # there are enough of them to go round, and at least one
        spans: list[list[str]] = [[] for _ in names]
        for _ in range(2):
            for area in areas:
                free = [span for span in spans if area not in span and len(span) < 3]
                if free:
                    min(free, key=len).append(area)
        for span in spans:
            while len(span) < 2:
                span.append(rng.choice([a for a in areas if a not in span]))
        for name, span in zip(names, spans):
            unique = tuple(a for a in areas if a in span)
            providers.append(_Provider(name, "independent", "independent", unique))
        return providers

    def _provider_for(self, client: _Client) -> _Provider:
        rng = self.rng
        by_role = {p.role: p for p in self.providers if p.role != "independent"}
        area = client.town.area
        independents = [p for p in self.providers if p.role == "independent"
                        and area in p.areas]
        service = client.service
        if not self.size.day_scale:
            if service in ("reablement", "hospital_discharge"):
                return by_role["mainstream"]
            return by_role["mainstream"] if rng.random() < 0.3 else independents[0]
        if service == "reablement":
            return by_role["reablement"]
        if service == "hospital_discharge":
            return by_role["rapid"] if rng.random() < 0.7 else by_role["mainstream"]
        if "peg" in client.needs or (service == "adult_disability"
                                     and client.needs & {"hoist", "catheter"}):
            return by_role["complex"]
        share = {"integrated": 0.75, "adult_disability": 0.6, "mental_health": 0.6}[service]
        if rng.random() < share:
            return rng.choice(independents)
        return by_role["mainstream"]

    # -- packages of care

    def _make_packages(self) -> None:
        rng, size = self.rng, self.size
        planted_visits = (2 * size.same_client + 2 * size.same_household + size.far_apart
                          + 2 * size.neighbours)
        target = size.visits - planted_visits
        weekday = self.date.weekday()
        while len(self.visits) < target:
            doubles = sum(v.carers == 2 for v in self.visits)
            service = rng.choices(SERVICES, weights=_SERVICE_WEIGHTS)[0]
            needs = set()
            # steer the share of double-up visits to about 10% (a hoist package has three)
            if (service != "mental_health" and doubles + 3 <= 0.10 * size.visits + 1
                    and rng.random() < 0.4):
                needs.add("hoist")
            if service != "reablement" and rng.random() < 0.2:
                needs.add("dementia")
            if service == "adult_disability" and rng.random() < 0.25 or rng.random() < 0.01:
                needs.add("peg")
            if rng.random() < 0.05:
                needs.add("catheter")
            if rng.random() < 0.04:
                needs.add("insulin")
            client = self._new_client(service=service, needs=frozenset(needs))
            assert client is not None
            bands = self._bands(client)
            # about 3% of visits are packages no provider has taken yet
            blank = sum(v.provider is None for v in self.visits)
            unplaced = (service in ("hospital_discharge", "integrated")
                        and blank + len(bands) <= max(2, round(0.03 * size.visits))
                        and rng.random() < 0.15)
            provider = None if unplaced else self._provider_for(client)
            day_centre = rng.randrange(7) if rng.random() < 0.08 else None
            for band in bands:
                if band == "lunch" and day_centre == weekday and len(bands) > 1:
                    continue  # at the day centre, where lunch is served
                self.visits.append(self._visit(client, provider, band))

    def _bands(self, client: _Client) -> tuple[str, ...]:
        rng = self.rng
        if "hoist" in client.needs or "peg" in client.needs:
            bands = _BAND_ORDER
        elif "insulin" in client.needs:
            bands = ("morning", "tea")
        else:
            count = rng.choices((1, 2, 3, 4), weights=(22, 30, 24, 24))[0]
            if count == 4:
                return _BAND_ORDER
            bands = rng.choices(*zip(*_PACKAGES[count]))[0]
        return bands

    def _window(self, band: str) -> tuple[int, int]:
        rng = self.rng
        low, high = BANDS[band]
        width = rng.choices((30, 45, 60), weights=(4, 3, 3))[0]
        starts, weights = zip(*_STARTS[band])
        start = max(low, min(rng.choices(starts, weights=weights)[0], high - width))
        return start, start + width

    def _visit(self, client: _Client, provider: _Provider | None, band: str, *,
               single: bool = False, service: str | None = None) -> _Visit:
        rng = self.rng
        needs = client.needs
        skills = set()
        if "dementia" in needs:
            skills.add("dementia")
        carers, priority = 1, "normal"
        service = service or client.service
        if "hoist" in needs and band in ("morning", "bed", "lunch") and not single:
            carers = 2
            skills.add("hoist")
            duration = {"morning": 45, "lunch": 30, "bed": 30}[band]
            tasks = {"morning": "hoist transfer; personal care; breakfast",
                     "lunch": "hoist transfer; meal preparation",
                     "bed": "hoist transfer; bed"}[band]
        elif "peg" in needs and band != "bed":
            skills.add("peg")
            duration, tasks, priority = 30, "PEG feed; personal care", "high"
        elif "insulin" in needs:
            skills.add("medication")
            duration, priority = 30, "critical"
            tasks = ("medication (insulin); personal care; breakfast" if band == "morning"
                     else "medication (insulin); meal preparation")
        elif service == "reablement":
            duration = 45 if band == "morning" else 30
            tasks = {"morning": "reablement: personal care; breakfast",
                     "lunch": "reablement: meal preparation", "tea": "reablement: meal preparation",
                     "bed": "reablement: bed"}[band]
        elif service == "mental_health":
            duration = 30 if band != "morning" else 45
            tasks = rng.choice(("wellbeing check; medication prompt", "wellbeing check; shopping",
                                "personal care; wellbeing check"))
        elif rng.random() < 0.12:
            duration, tasks = 15, "medication prompt"
        elif band == "morning":
            duration, tasks = rng.choices(
                ((45, "personal care; breakfast; medication"), (30, "personal care; breakfast"),
                 (60, "personal care; shower; breakfast"), (45, "personal care; dressing")),
                weights=(4, 3, 2, 2))[0]
        elif band == "lunch":
            duration, tasks = rng.choice(((30, "meal preparation"),
                                          (30, "meal preparation; medication"),
                                          (45, "meal preparation; personal care")))
        elif band == "tea":
            duration, tasks = rng.choice(((30, "meal preparation"),
                                          (45, "meal preparation; personal care")))
        else:
            duration, tasks = rng.choice(((30, "bed; personal care"), (30, "bed; medication"),
                                          (45, "bed; personal care; wash")))
        if tasks.endswith("medication") or "; medication;" in tasks:
            skills.add("medication")
        if "catheter" in needs and band in ("morning", "bed") and duration > 15:
            skills.add("catheter")
            tasks += "; catheter care"
        if priority == "normal" and (service == "hospital_discharge" or
                                     ("dementia" in needs and "Lives alone" in client.notes)):
            priority = "high"
        if priority == "normal" and "medication" in skills and rng.random() < 0.04:
            priority, tasks = "critical", tasks + " (time-critical)"
        start, end = self._window(band)
        return _Visit(client, provider, start, end, duration, carers, frozenset(skills),
                      priority, service, tasks, band)

    # -- planted duplicates and near misses

    def _other_provider(self, client: _Client, provider: _Provider) -> _Provider:
        area = client.town.area
        candidates = [p for p in self.providers if p is not provider and area in p.areas
                      and p.role not in ("complex",)]
        if provider.kind == "independent":
            in_house = [p for p in candidates if p.kind == "in_house"]
            candidates = in_house or candidates
        return self.rng.choice(candidates)

    def _plant(self) -> None:
        rng = self.rng
        candidates = [c for c in self.clients if not (c.needs & {"peg"})]
        rng.shuffle(candidates)
        firsts = {}
        for v in self.visits:
            if v.provider is not None and v.carers == 1:
                firsts.setdefault(id(v.client), []).append(v)
        pool = [c for c in candidates if id(c) in firsts]
        by_client: dict[int, list[_Visit]] = {}
        for v in self.visits:
            by_client.setdefault(id(v.client), []).append(v)
        jobs = (["same_client"] * self.size.same_client
                + ["same_household"] * self.size.same_household
                + ["far_apart"] * self.size.far_apart + ["neighbours"] * self.size.neighbours)
        for kind in jobs:
            while True:
                client = pool.pop()
                # only bands the client has no visit in: a visit in another band is at
                # least 90 min from every visit of the client, so never a duplicate
                free = [b for b in _BAND_ORDER if b not in {v.band for v in by_client[id(client)]}]
                base = rng.choice(firsts[id(client)])
                far = [b for b in free if self._min_gap(base, b) >= 180]
                if kind == "neighbours" and client.street is None:
                    continue
                if kind == "far_apart" and not far:
                    continue
                break
            client.planted = True
            other = self._other_provider(client, base.provider)
            if kind == "same_client":
                gap = rng.choice((0, 0, 15, 30, 45, 60))
                twin = self._twin(client, other, base, gap)
                self.visits.append(twin)
                self.planted.append((base, twin, "same_client"))
            elif kind == "same_household":
                partner = self._partner(client)
                gap = rng.choice((0, 15, 30, 45))
                twin = self._twin(partner, other, base, gap)
                self.visits.append(twin)
                self.planted.append((base, twin, "same_household"))
                if free:  # the partner's other visit, at a time the client has none
                    self.visits.append(self._visit(partner, other, rng.choice(free)))
            elif kind == "far_apart":
                visit = self._visit(client, other, rng.choice(far), single=True,
                                    service=self._service_of(other, client))
                self.visits.append(visit)
                self.near.append((base, visit, "same_client_far_apart"))
            else:
                neighbour = self._new_client(service=client.service, needs=frozenset(),
                                             at=(client.town, client.street, client.number))
                if neighbour is None:  # pragma: no cover - a full street; plant one fewer
                    continue
                neighbour.planted = True
                twin = self._twin(neighbour, other, base, rng.choice((0, 15)))
                self.visits.append(twin)
                self.near.append((base, twin, "neighbours"))
                extra = [b for b in _BAND_ORDER if b != base.band]
                self.visits.append(self._visit(neighbour, other, rng.choice(extra)))

    @staticmethod
    def _service_of(provider: _Provider, client: _Client) -> str:
        # an in-house team's extra visit is its own service: e.g. reablement on top of
        # an independent provider's long-term package
        if provider.role == "reablement":
            return "reablement"
        if provider.role == "rapid":
            return "hospital_discharge"
        return "integrated" if client.service == "reablement" else client.service

    @staticmethod
    def _min_gap(base: _Visit, band: str) -> int:
        low, high = BANDS[band]
        return max(low - base.end, base.start - high)

    def _twin(self, client: _Client, provider: _Provider, base: _Visit, gap: int) -> _Visit:
        """A visit by ``provider`` whose window overlaps ``base``'s or starts ``gap`` min later."""
        twin = self._visit(client, provider, base.band, single=True,
                           service=self._service_of(provider, client))
        low, high = BANDS[base.band]
        width = base.end - base.start
        start = base.start + gap
        if start + width > high:
            start = max(low, base.start - gap)
        twin.start, twin.end = start, start + width
        return twin

    def _partner(self, client: _Client) -> _Client:
        rng = self.rng
        female = not client.female if rng.random() < 0.85 else client.female
        surname = client.name.split(" ", 1)[1]
        firsts = _CLIENT_FIRST[self.region.nation][0 if female else 1]
        first = rng.choice([f for f in firsts if f != client.name.split(" ", 1)[0]])
        service = rng.choice(("integrated", "mental_health", "integrated"))
        partner = _Client(f"{first} {surname}", female, client.address, client.postcode,
                          client.lat, client.lon, client.town, client.street, client.number,
                          service, frozenset(), planted=True)
        partner.notes = f"Lives with {client.name.split(' ', 1)[0]}"
        client.notes = ". ".join(n for n in client.notes.split(". ") if n and n != "Lives alone")
        self.clients.append(partner)
        return partner

    def _ensure_unplaced_package(self) -> None:
        # the sample always shows at least one package no provider has taken
        if any(v.provider is None for v in self.visits):
            return
        for client in self.clients:
            mine = [v for v in self.visits if v.client is client]
            if not client.planted and len(mine) <= 2:
                for v in mine:
                    v.provider = None
                return

    # -- workforce

    def _travel_allowance(self) -> dict[int, float]:
        """Minutes of travel to budget for each visit, from how close its neighbours are."""
        groups: dict[tuple[int, str], list[_Visit]] = {}
        for v in self.visits:
            groups.setdefault((id(v.provider), v.band), []).append(v)
        allowance = {}
        for group in groups.values():
            lat = np.radians([v.client.lat for v in group])
            lon = np.radians([v.client.lon for v in group])
            dx = (lon[:, None] - lon[None, :]) * np.cos((lat[:, None] + lat[None, :]) / 2)
            metres = 6_371_000.0 * np.hypot(dx, lat[:, None] - lat[None, :])
            np.fill_diagonal(metres, np.inf)
            start = np.array([v.start for v in group])
            in_time = np.where(np.abs(start[:, None] - start[None, :]) > _NEXT_WITHIN_MIN,
                               np.inf, metres)
            # with no neighbour in time, the nearest one in the band; alone, a town-to-town drive
            nearest = np.where(np.isfinite(in_time.min(axis=1)), in_time.min(axis=1),
                               metres.min(axis=1))
            nearest = np.minimum(nearest, 15000.0)
            minutes = nearest * _CIRCUITY / (_DRIVE_KPH * 1000 / 60) * _ROUND_FACTOR
            for v, m in zip(group, minutes):
                allowance[id(v)] = float(m) + _PARKING_MIN
        return allowance

    def _demand(self, visits: list[_Visit]) -> dict[str, float]:
        need = {b: 0.0 for b in _BAND_ORDER}
        for v in visits:
            need[v.band] += (v.duration + self.allowance[id(v)]) * v.carers
        return need

    def _make_workforce(self) -> None:
        rng = self.rng
        self.allowance = self._travel_allowance()
        for provider in self.providers:
            mine = [v for v in self.visits if v.provider is provider]
            minutes = self._demand(mine)
            need = {b: minutes[b] / (_BAND_CAPACITY_MIN[b] * _UTILISATION[b]) for b in BANDS}
            for b in BANDS:
                band_visits = [v for v in mine if v.band == b]
                if band_visits:
                    need[b] = max(need[b], max(v.carers for v in band_visits))
            names = sorted(_PATTERNS)
            while any(n > 0.1 for n in need.values()):
                scores = {p: sum(min(need[b], 1.0) for b in _COVERS[p] if need[b] > 0.1)
                          for p in names}
                best = max(scores.values())
                tied = [p for p in names if scores[p] >= best - 1e-9]
                pattern = rng.choices(tied, weights=[_PATTERN_WEIGHTS[p] for p in tied])[0]
                for b in _COVERS[pattern]:
                    need[b] -= 1.0
                self.workers.append(self._new_worker(provider, pattern, mine))
        self._make_walkers()

    def _new_worker(self, provider: _Provider, pattern: str, visits: list[_Visit], *,
                    town: Town | None = None) -> _Worker:
        rng = self.rng
        towns = [t for t in self.region.towns if t.area in provider.areas]
        counts = {t.name: 1 for t in towns}
        for v in visits:
            if v.client.town.name in counts:
                counts[v.client.town.name] += 1
        chosen = rng.choices(towns, weights=[counts[t.name] for t in towns])[0]
        town = town or chosen
        r = _town_radius_m(town) * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        lat, lon = _offset(town.lat, town.lon, r * math.cos(angle), r * math.sin(angle))
        female = rng.random() < 0.84
        nation = self.region.nation
        first = rng.choice(_WORKER_FIRST[nation][0 if female else 1])
        surname = rng.choice(_SURNAMES[nation] + _WORKER_SURNAMES)
        if provider.role == "complex":
            skills = set(SKILLS)
        else:
            odds = {"medication": 0.7, "dementia": 0.45, "hoist": 0.45, "catheter": 0.2,
                    "peg": 0.06}
            if provider.role == "reablement":
                odds.update(hoist=0.6, dementia=0.3, peg=0.0)
            skills = {s for s in SKILLS if rng.random() < odds[s]}
        max_hours = ""
        if pattern in ("split", "split_bed") and rng.random() < 0.2:
            max_hours = rng.choice(("9", "9.5", "10"))
        return _Worker(provider, f"{first} {surname}", female, lat, lon, town, pattern,
                       skills, max_hours=max_hours)

    def _make_walkers(self) -> None:
        # a few carers walk: they live near the centre of a bigger town where their
        # provider has clients, so a planner can give them the clients of that town
        rng = self.rng
        wanted = max(1, round(0.05 * len(self.workers)))
        clients: dict[tuple[int, str], set[int]] = {}
        for v in self.visits:
            if v.provider is not None and v.client.street is not None:
                clients.setdefault((id(v.provider), v.client.town.name), set()).add(id(v.client))
        candidates = [w for w in self.workers if w.town.population >= 5000 and not w.max_hours
                      and len(clients.get((id(w.provider), w.town.name), ())) >= 3]
        rng.shuffle(candidates)
        for worker in candidates[:wanted]:
            worker.mode = "walk"
            # a walker cannot reach a double-up partner's clients in time: no hoist work
            worker.skills.discard("hoist")
            r = rng.uniform(50, 450)
            angle = rng.uniform(0, 2 * math.pi)
            worker.lat, worker.lon = _offset(worker.town.lat, worker.town.lon,
                                             r * math.cos(angle), r * math.sin(angle))

    @staticmethod
    def _home_distance_m(worker: _Worker, visit: _Visit) -> float:
        return _distance_m(worker.lat, worker.lon, visit.client.lat, visit.client.lon)

    def _fits(self, worker: _Worker, visit: _Visit) -> bool:
        """Whether one of the worker's shifts could hold the visit, travel from home included."""
        kph = _DRIVE_KPH if worker.mode == "drive" else _WALK_KPH
        travel = self._home_distance_m(worker, visit) * _CIRCUITY / (kph * 1000 / 60)
        # pad the straight-line estimate: roads and the planner's own model may be slower
        travel = max(_MARGIN_MIN, 1.2 * travel + 3)
        return any(_segment_holds(s, visit.start, visit.end, visit.duration, travel=travel)
                   for s in worker.segments)

    def _eligible(self, visit: _Visit, *, gender: str = "",
                  excluded: tuple[_Worker, ...] = ()) -> list[_Worker]:
        return [w for w in self.workers
                if (visit.provider is None or w.provider is visit.provider)
                and visit.skills <= w.skills
                and (not gender or w.female == (gender == "female"))
                and w not in excluded and self._fits(w, visit)]

    def _add_skills_for_demand(self) -> None:
        """Train more workers until each skill's demand per provider and band has capacity."""
        for provider in self.providers:
            staff = [w for w in self.workers if w.provider is provider]
            mine = [v for v in self.visits if v.provider is provider]
            for band in _BAND_ORDER:
                # walkers serve their own town only, so they do not count as skill capacity
                on_band = [w for w in staff if band in _COVERS[w.pattern] and w.mode == "drive"]
                for skill in SKILLS:
                    needing = [v for v in mine if v.band == band and skill in v.skills]
                    if not needing:
                        continue
                    minutes = self._demand(needing)[band]
                    # a double-up needs two free carers at one moment: keep a third in reserve
                    floor = 3 if any(v.carers == 2 for v in needing) else 1
                    wanted = max(floor, math.ceil(
                        minutes / (_BAND_CAPACITY_MIN[band] * _SKILL_UTILISATION)))
                    wanted = min(wanted, len(on_band))
                    have = [w for w in on_band if skill in w.skills]
                    lacking = [w for w in on_band if skill not in w.skills]
                    # train those living nearest the visits that need the skill
                    lacking.sort(key=lambda w: sum(self._home_distance_m(w, v) for v in needing))
                    for worker in lacking[:max(0, wanted - len(have))]:
                        worker.skills.add(skill)
        # then every single visit must be possible in principle (skills, shift, travel, carers)
        for visit in self.visits:
            while len(self._eligible(visit)) < visit.carers:
                timely = [w for w in self.workers
                          if (visit.provider is None or w.provider is visit.provider)
                          and w.mode == "drive" and not visit.skills <= w.skills
                          and self._fits(w, visit)]
                if timely:
                    min(timely, key=lambda w: self._home_distance_m(w, visit)).skills.update(
                        visit.skills)
                    continue
                provider = visit.provider or self.providers[0]
                pattern = next(p for p in ("split", "early", "late") if visit.band in _COVERS[p])
                worker = self._new_worker(provider, pattern, [visit], town=visit.client.town)
                worker.skills.update(visit.skills)
                self.workers.append(worker)

    # -- preferences, exclusions, history

    def _set_preferences(self) -> None:
        rng = self.rng
        by_client: dict[int, list[_Visit]] = {}
        for v in self.visits:
            by_client.setdefault(id(v.client), []).append(v)
        male_load: dict[tuple[int, str], int] = {}
        for client in self.clients:
            visits = by_client.get(id(client), [])
            if rng.random() < 0.15:
                wish = "female" if client.female or rng.random() < 0.3 else "male"
                ok = all(len(self._eligible(v, gender=wish)) >= v.carers + 1 for v in visits)
                if wish == "male":
                    for v in visits:
                        men = len(self._eligible(v, gender="male"))
                        ok = ok and male_load.get((id(v.provider), v.band), 0) < men
                if ok:
                    client.gender_preference = wish
                    if wish == "male":
                        for v in visits:
                            key = (id(v.provider), v.band)
                            male_load[key] = male_load.get(key, 0) + 1
            providers = {id(v.provider): v.provider for v in visits if v.provider is not None}
            if rng.random() < 0.04 and len(providers) == 1:
                staff = [w for w in self.workers if w.provider is next(iter(providers.values()))]
                victim = rng.choice(staff)
                wish = client.gender_preference
                if all(len(self._eligible(v, gender=wish, excluded=(victim,))) >= v.carers + 1
                       for v in visits):
                    client.excluded = [victim]

    def _make_history(self) -> None:
        """Past visits over four weeks: a main carer and a few others per client."""
        rng = self.rng
        by_client: dict[int, list[_Visit]] = {}
        for v in self.visits:
            by_client.setdefault(id(v.client), []).append(v)
        index = {id(w): i for i, w in enumerate(self.workers)}
        for ci, client in enumerate(self.clients):
            visits = [v for v in by_client.get(id(client), []) if v.provider is not None]
            if not visits or client.service == "hospital_discharge":
                continue  # new packages have no history yet
            provider = rng.choice(visits).provider
            own = [v for v in visits if v.provider is provider]
            days = rng.randint(5, 14) if client.service == "reablement" else 28
            total = int(days * sum(v.carers for v in own) * rng.uniform(0.85, 1.0))
            staff = [w for w in self.workers if w.provider is provider
                     and w not in client.excluded
                     and (not client.gender_preference
                          or w.female == (client.gender_preference == "female"))]
            fitting = [w for w in staff if all(v.skills <= w.skills for v in own)] or staff
            if not fitting:
                continue
            team = rng.sample(fitting, min(len(fitting), rng.randint(2, 5)))
            shares = sorted((rng.random() for _ in team), reverse=True)
            shares[0] += 1.0  # a main carer
            scale = total / sum(shares)
            for worker, share in zip(team, shares):
                count = int(round(share * scale))
                if count:
                    self.history[(ci, index[id(worker)])] = count
            if rng.random() < 0.25:
                client.preferred = team[:rng.choice((1, 1, 2))]

    def _guarantee_special_characters(self) -> None:
        # the sample must exercise escaping: an apostrophe in a name, an ampersand in an address
        plain = [c for c in self.clients if not c.planted]
        if not any("'" in c.name for c in self.clients):
            client = self.rng.choice(plain)
            client.name = f"{client.name.split(' ', 1)[0]} {_APOSTROPHE_SURNAMES[0]}"
        if not any("&" in c.address for c in self.clients):
            amp = [h for h in self.region.house_names if "&" in h][0]
            client = self.rng.choice([c for c in plain if c.street is not None])
            client.address = f"{amp}, {client.number} {client.street.name}, {client.town.name}"

    # -- output

    def _tables(self) -> SampleDay:
        rng = self.rng
        for i, provider in enumerate(self.providers, start=1):
            provider.id = f"P{i:02d}"
        order = {id(p): i for i, p in enumerate(self.providers)}
        worker_index = {id(w): i for i, w in enumerate(self.workers)}
        workers = sorted(self.workers, key=lambda w: (order[id(w.provider)], worker_index[id(w)]))
        for i, worker in enumerate(workers, start=1):
            worker.id = f"W{i:03d}"
        clients = list(self.clients)
        rng.shuffle(clients)  # ids carry no hint of which clients were planted
        for i, client in enumerate(clients, start=1):
            client.id = f"C{i:04d}"
        visits = sorted(self.visits, key=lambda v: (v.client.id, v.start, v.end,
                                                    v.provider.id if v.provider else ""))
        for i, visit in enumerate(visits, start=1):
            visit.id = f"V{i:05d}"

        providers = tuple((p.id, p.name, p.kind) for p in self.providers)
        worker_rows = []
        for w in workers:
            for seg_start, seg_end in w.segments:
                worker_rows.append((
                    w.id, w.provider.id, w.name, "female" if w.female else "male",
                    f"{w.lat:.6f}", f"{w.lon:.6f}", _hhmm(seg_start), _hhmm(seg_end),
                    ";".join(s for s in SKILLS if s in w.skills), w.mode, w.max_hours))
        client_rows = tuple(sorted(
            (c.id, c.name, c.address, c.postcode, f"{c.lat:.6f}", f"{c.lon:.6f}", c.town.area,
             c.gender_preference, ";".join(w.id for w in c.preferred),
             ";".join(w.id for w in c.excluded), c.notes) for c in clients))
        visit_rows = tuple(
            (v.id, v.client.id, v.provider.id if v.provider else "", _hhmm(v.start),
             _hhmm(v.end), str(v.duration), str(v.carers),
             ";".join(s for s in SKILLS if s in v.skills), v.priority, v.service, v.tasks)
            for v in visits)
        history = tuple(sorted(
            (self.clients[ci].id, self.workers[wi].id, str(n))
            for (ci, wi), n in self.history.items()))
        planted = tuple(sorted((a.id, b.id, kind) if a.id < b.id else (b.id, a.id, kind)
                               for a, b, kind in self.planted))
        near = tuple(sorted((a.id, b.id, kind) if a.id < b.id else (b.id, a.id, kind)
                            for a, b, kind in self.near))
        pair = ("visit_id_a", "visit_id_b", "kind")
        return SampleDay(
            region=self.region.key, date=self.date, seed=self.seed, size=self.size_name,
            providers=Table(COLUMNS["providers.csv"], providers),
            workers=Table(COLUMNS["workers.csv"], tuple(worker_rows)),
            clients=Table(COLUMNS["clients.csv"], client_rows),
            visits=Table(COLUMNS["visits.csv"], visit_rows),
            history=Table(COLUMNS["history.csv"], history),
            planted_duplicates=Table(pair, planted),
            near_misses=Table(pair, near))
