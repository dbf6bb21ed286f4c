"""Where the sample's people live: streets of numbered houses, rural addresses, unique postcodes."""

from __future__ import annotations

import math
import random

from .sample_drafts import Street
from .sample_regions import SampleRegion, Town

_M_PER_DEG_LAT = 111_320.0
#: Letters of the unit part of a UK postcode (the inward code's last two characters).
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m`` metres north and ``east_m`` east of (lat, lon), degrees."""
    return (lat + north_m / _M_PER_DEG_LAT,
            lon + east_m / (_M_PER_DEG_LAT * math.cos(math.radians(lat))))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres between two points."""
    # equirectangular: exact enough over the few kilometres it is used for
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000.0 * math.hypot(x, y)


def town_radius_m(town: Town) -> float:
    """How far from its centre a town's homes reach, metres."""
    return 450.0 + 11.0 * math.sqrt(town.population)


class Places:
    """The region's streets, and every address and postcode handed out so far.

    Laying out the streets draws from ``rng`` on construction; so does every address
    and postcode asked for afterwards, in the order asked.
    """

    def __init__(self, region: SampleRegion, rng: random.Random) -> None:
        self.region = region
        self.rng = rng
        self.postcodes: set[str] = set()
        #: Addresses in use; a new rural address must differ from all of them.
        self.addresses: set[str] = set()
        self.grid: dict[tuple[int, int], list[tuple[float, float]]] = {}
        self.streets = self._lay_out_streets()

    def _lay_out_streets(self) -> dict[str, list[Street]]:
        rng = self.rng
        streets: dict[str, list[Street]] = {}
        for town in self.region.towns:
            count = min(len(self.region.streets), 6 + town.population // 600)
            radius = town_radius_m(town)
            names = rng.sample(self.region.streets, count)
            streets[town.name] = []
            for name in names:
                r = 0.65 * radius * math.sqrt(rng.random())
                angle = rng.uniform(0, 2 * math.pi)
                lat, lon = offset(town.lat, town.lon, r * math.cos(angle), r * math.sin(angle))
                streets[town.name].append(Street(
                    town, name, lat, lon, rng.uniform(0, 2 * math.pi),
                    min(80, 16 + town.population // 300), self.postcode(town)))
        return streets

    def postcode(self, town: Town) -> str:
        """A postcode of the town's district no one has yet."""
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
                    if distance_m(lat, lon, plat, plon) < min_m:
                        return False
        return True

    def _take_spot(self, lat: float, lon: float) -> None:
        self.grid.setdefault(self._grid_key(lat, lon), []).append((lat, lon))

    @staticmethod
    def _house(street: Street, number: int) -> tuple[float, float]:
        along = ((number - 1) // 2) * 25.0
        side = 12.0 if number % 2 else -12.0
        north = along * math.cos(street.bearing) - side * math.sin(street.bearing)
        east = along * math.sin(street.bearing) + side * math.cos(street.bearing)
        return offset(street.lat, street.lon, north, east)

    def town_address(self, town: Town, street: Street | None = None,
                     near: int | None = None) -> tuple[Street, int, float, float] | None:
        """A free house in the town (on ``street``, a few doors from number ``near``).

        Returns the street, house number and coordinates, or ``None`` after 60 tries.
        """
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

    def rural_address(self) -> tuple[str, Town, float, float]:
        """A house between two neighbouring towns: its address, its town and coordinates."""
        rng, towns = self.rng, self.region.towns
        for _ in range(100):
            a = rng.choices(towns, weights=[t.population for t in towns])[0]
            others = sorted((t for t in towns if t is not a),
                            key=lambda t: distance_m(a.lat, a.lon, t.lat, t.lon))
            b = rng.choice(others[:2])
            t = rng.uniform(0.25, 0.75)
            lat, lon = a.lat + t * (b.lat - a.lat), a.lon + t * (b.lon - a.lon)
            lat, lon = offset(lat, lon, rng.uniform(-1200, 1200), rng.uniform(-1200, 1200))
            town = a if t < 0.5 else b
            address = (f"{rng.choice(self.region.house_names)}, "
                       f"{rng.choice(self.region.rural_roads)}, {town.name}")
            if address in self.addresses or not self._free_spot(lat, lon):
                continue
            self._take_spot(lat, lon)
            return address, town, lat, lon
        raise RuntimeError("could not place a rural address")  # pragma: no cover
