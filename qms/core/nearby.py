"""Nearby halls: where to send a citizen when the slot they want is full.

Each hall file may give the hall's city, district and location; a hall also lists its
neighbours (other halls of the city, perhaps on other servers) with their booking pages. When
a slot is full, the answer is the other halls of the same city that offer the service and
have free slots that day (halls on this server, counted), or may have them (neighbours on
other servers: their free slots are unknown here, so they come after the counted ones), the
nearest first by great-circle distance, or by district when locations are missing.
"""

from __future__ import annotations

import math

from .value import value


@value
class HallSite:
    """Where a hall is: `city` groups halls for nearby suggestions."""

    city: str = ""
    district: str = ""
    latitude: float | None = None
    longitude: float | None = None


@value
class NeighbourHall:
    """Another hall of the city, with the services it books and its booking page."""

    id: str
    name: str
    site: HallSite
    services: tuple[str, ...]
    url: str = ""


@value
class Candidate:
    """A hall that might take the booking; `free` is None when unknown (another server)."""

    id: str
    name: str
    site: HallSite
    free: int | None
    url: str = ""


@value
class Suggestion:
    id: str
    name: str
    district: str
    distance_km: float | None
    free: int | None
    url: str


def distance_km(a: HallSite, b: HallSite) -> float | None:
    """Great-circle (haversine) distance, or None without both locations."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def nearest(here: HallSite, candidates: list[Candidate], limit: int = 3) -> list[Suggestion]:
    """The nearest `limit` candidates of the same city with free (or possibly free) slots."""
    if not here.city:
        return []
    ranked: list[tuple[tuple[int, float, int, str], Suggestion]] = []
    for c in candidates:
        if c.site.city != here.city or c.free == 0:
            continue
        km = distance_km(here, c.site)
        same_district = 0 if here.district and c.site.district == here.district else 1
        order = (0 if c.free is not None else 1, km if km is not None else math.inf, same_district, c.id)
        rounded = None if km is None else round(km, 1)
        ranked.append((order, Suggestion(c.id, c.name, c.site.district, rounded, c.free, c.url)))
    ranked.sort(key=lambda pair: pair[0])
    return [s for _, s in ranked[:limit]]
