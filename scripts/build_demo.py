"""Rebuild the illustrative demo scenario in data/demo/.

The demo offices, forums (CPFs) and candidate police stations are INVENTED for
demonstration. Each is placed at the GeoNames point of a real town taken from
data/communities/iraq_geonames_places.csv, so that no coordinate is made up; the
assignment of forums to offices, the dates and the donors are illustrative.

    python scripts/build_demo.py

The script checks, with exact WGS84 geodesics (pyproj), that the demo exercises every
case the tool reports: an office over capacity that a reassignment can relieve, one
that no reassignment can relieve, a forum beyond its office's 50-km radius, forums with
no office in range, and uncovered communities in each focus governorate.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pyproj import Geod

ROOT = Path(__file__).resolve().parent.parent
COMMUNITIES = ROOT / "data" / "communities" / "iraq_geonames_places.csv"
OUT = ROOT / "data" / "demo"
RADIUS_KM = 50.0
MAX_CPFS = 5
FOCUS = ("Salah al-Din", "Anbar", "Diyala", "Ninewa")

# (id, name, GeoNames id of the town, established, donor) -- illustrative
OFFICES = [
    ("OFF-BGD", "Baghdad CPO (demo)", 98182, "2016-11-01", "Germany"),
    ("OFF-MOS", "Mosul CPO (demo)", 99072, "2018-04-15", "Germany"),
    ("OFF-TIK", "Tikrit CPO (demo)", 90150, "2017-09-01", "Canada"),
    ("OFF-RAM", "Ramadi CPO (demo)", 98717, "2017-03-01", "Netherlands"),
    ("OFF-BAQ", "Baqubah CPO (demo)", 97990, "2018-01-10", "United States"),
    ("OFF-KRK", "Kirkuk CPO (demo)", 94787, "2019-06-01", "Canada"),
    ("OFF-BSR", "Basra CPO (demo)", 99532, "2016-11-01", "Netherlands"),
]

# (id, name, GeoNames id of the town, declared office or "", established, donor)
# The Sadr City and New Mosul forums sit on their city's point (Baghdad, Mosul): the
# embedded communities keep the city, not its quarters (data/communities/README.md).
CPFS = [
    ("CPF-01", "Baghdad forum 1 (demo)", 98182, "OFF-BGD", "2017-01-15", "Germany"),
    ("CPF-02", "Baghdad forum 2 (demo)", 98182, "OFF-BGD", "2017-02-20", "Germany"),
    ("CPF-03", "Sadr City forum (demo)", 98182, "OFF-BGD", "2018-05-01", "Germany"),
    ("CPF-04", "Al Mahmudiyah forum (demo)", 99100, "OFF-BGD", "2019-03-01", "United States"),
    ("CPF-05", "Mosul forum 1 (demo)", 99072, "OFF-MOS", "2018-06-01", "Germany"),
    ("CPF-06", "Mosul forum 2 (demo)", 99072, "OFF-MOS", "2018-09-01", "Germany"),
    ("CPF-07", "New Mosul forum (demo)", 99072, "OFF-MOS", "2019-01-15", "Germany"),
    ("CPF-08", "Tall Kayf forum (demo)", 90353, "OFF-MOS", "2019-04-01", "Canada"),
    ("CPF-09", "Bartalah forum (demo)", 97890, "OFF-MOS", "2019-05-01", "Canada"),
    ("CPF-10", "Hamdaniya forum (demo)", 92430, "OFF-MOS", "2019-07-01", "Netherlands"),
    ("CPF-11", "Kays Qal'ah forum (demo)", 6999619, "OFF-MOS", "2020-02-01", "Netherlands"),
    ("CPF-12", "Qayyarah forum (demo)", 99003, "OFF-MOS", "2018-02-01", "United States"),
    ("CPF-13", "Tikrit forum (demo)", 90150, "OFF-TIK", "2017-10-01", "Canada"),
    ("CPF-14", "Al-'Alam forum (demo)", 6871926, "OFF-TIK", "2018-03-01", "Canada"),
    ("CPF-15", "Bayji forum (demo)", 97783, "OFF-TIK", "2019-09-01", "United States"),
    ("CPF-32", "Ad Dawr forum (demo)", 99768, "", "2020-08-01", "Canada"),
    ("CPF-16", "Ramadi forum 1 (demo)", 98717, "OFF-RAM", "2017-04-01", "Netherlands"),
    ("CPF-17", "Ramadi forum 2 (demo)", 98717, "OFF-RAM", "2017-06-01", "Netherlands"),
    ("CPF-18", "Fallujah forum (demo)", 99454, "OFF-RAM", "2018-08-01", "Germany"),
    ("CPF-19", "Al Qa'im forum (demo)", 92138, "", "2020-10-01", "United States"),
    ("CPF-20", "Baqubah forum 1 (demo)", 97990, "OFF-BAQ", "2018-02-01", "United States"),
    ("CPF-21", "Baqubah forum 2 (demo)", 97990, "OFF-BAQ", "2018-04-01", "United States"),
    ("CPF-22", "Khalis forum 1 (demo)", 99169, "OFF-BAQ", "2018-11-01", "Canada"),
    ("CPF-23", "Al Muqdadiyah forum (demo)", 99062, "OFF-BAQ", "2019-02-01", "Canada"),
    ("CPF-24", "Tarmiyah forum (demo)", 98403, "OFF-BAQ", "2019-10-01", "Germany"),
    ("CPF-25", "Khalis forum 2 (demo)", 99169, "OFF-BAQ", "2020-05-01", "Germany"),
    ("CPF-26", "Khanaqin forum (demo)", 94591, "", "2021-01-15", "Canada"),
    ("CPF-27", "Kirkuk forum (demo)", 94787, "OFF-KRK", "2019-07-01", "Canada"),
    ("CPF-28", "Tazah Khurmatu forum (demo)", 90199, "OFF-KRK", "2020-03-01", "Canada"),
    ("CPF-29", "Basra forum (demo)", 99532, "OFF-BSR", "2017-01-10", "Netherlands"),
    ("CPF-30", "Az Zubayr forum (demo)", 98245, "OFF-BSR", "2018-10-01", "Netherlands"),
    ("CPF-31", "Sinjar forum (demo)", 448149, "", "2021-06-01", "Germany"),
]

# Police stations that could be rehabilitated as offices: (id, name, GeoNames id)
STATIONS = [
    ("STN-01", "Ash Sharqat police station (demo)", 91057),
    ("STN-02", "Samarra police station (demo)", 91597),
    ("STN-03", "Tuz Khurmatu police station (demo)", 90026),
    ("STN-04", "Balad police station (demo)", 98112),
    ("STN-05", "Al Qa'im police station (demo)", 92138),
    ("STN-06", "Haditha police station (demo)", 96309),
    ("STN-07", "Hit police station (demo)", 95788),
    ("STN-08", "Ar Rutbah police station (demo)", 98677),
    ("STN-09", "Fallujah police station (demo)", 99454),
    ("STN-10", "Khanaqin police station (demo)", 94591),
    ("STN-11", "Al Muqdadiyah police station (demo)", 99062),
    ("STN-12", "Mandali police station (demo)", 93709),
    ("STN-13", "Al Qayyarah police station (demo)", 99003),
    ("STN-14", "Tall Afar police station (demo)", 90393),
    ("STN-15", "Sinjar police station (demo)", 448149),
    ("STN-16", "Al-Hamdaniya police station (demo)", 92430),
    ("STN-17", "Al Hawijah police station (demo)", 390188),
]

NOTE = "illustrative demo data, not a real site"

# The towns' names in Arabic and Central Kurdish (Sorani), by GeoNames id, for the
# ``name_ar`` and ``name_ckb`` columns: the usual Iraqi Arabic spelling and the Kurdish
# form (Sinjar is شنگال in Kurdish); to be confirmed by a native reviewer.
TOWN_NAMES: dict[int, tuple[str, str]] = {
    98182: ("بغداد", "بەغدا"),
    99072: ("الموصل", "مووسڵ"),
    90150: ("تكريت", "تکریت"),
    98717: ("الرمادي", "ڕومادی"),
    97990: ("بعقوبة", "بەعقووبە"),
    94787: ("كركوك", "کەرکووک"),
    99532: ("البصرة", "بەسرە"),
    99100: ("المحمودية", "مەحموودیە"),
    90353: ("تلكيف", "تەلکێف"),
    97890: ("برطلة", "بەرتەڵە"),
    92430: ("الحمدانية", "حەمدانیە"),
    6999619: ("كيس قلعة", "کەیس قەڵا"),
    99003: ("القيارة", "قەیارە"),
    6871926: ("العلم", "عەلەم"),
    97783: ("بيجي", "بێجی"),
    99768: ("الدور", "دوور"),
    99454: ("الفلوجة", "فەللووجە"),
    92138: ("القائم", "قائیم"),
    99169: ("الخالص", "خالیس"),
    99062: ("المقدادية", "موقدادیە"),
    98403: ("الطارمية", "تارمیە"),
    94591: ("خانقين", "خانەقین"),
    90199: ("تازة خورماتو", "تازە خورماتوو"),
    98245: ("الزبير", "زوبەیر"),
    448149: ("سنجار", "شنگال"),
    91057: ("الشرقاط", "شەرقات"),
    91597: ("سامراء", "سامەڕا"),
    90026: ("طوز خورماتو", "دووزخورماتوو"),
    98112: ("بلد", "بەلەد"),
    96309: ("حديثة", "حەدیسە"),
    95788: ("هيت", "هیت"),
    98677: ("الرطبة", "ڕوتبە"),
    93709: ("مندلي", "مەندەلی"),
    90393: ("تلعفر", "تەلەعفەر"),
    390188: ("الحويجة", "حەویجە"),
}
# forums named after a quarter of their city, not the city
QUARTERS = {"CPF-03": ("مدينة الصدر", "شاری سەدر"), "CPF-07": ("الموصل الجديدة", "مووسڵی نوێ")}


def _local_names(site_id: str, name: str, geonameid: int) -> dict[str, str]:
    """``name_ar`` and ``name_ckb`` of a demo site, the English name's pattern kept."""
    ar, ckb = QUARTERS.get(site_id, TOWN_NAMES[geonameid])
    number = name.removesuffix(" (demo)").split()[-1]
    suffix = f" {number}" if number.isdigit() else ""
    if site_id.startswith("OFF-"):
        return {"name_ar": f"مكتب {ar} (تجريبي)", "name_ckb": f"نووسینگەی {ckb} (تاقیکاری)"}
    if site_id.startswith("CPF-"):
        return {
            "name_ar": f"منتدى {ar}{suffix} (تجريبي)",
            "name_ckb": f"کۆڕی {ckb}{suffix} (تاقیکاری)",
        }
    return {"name_ar": f"مركز شرطة {ar} (تجريبي)", "name_ckb": f"بنکەی پۆلیسی {ckb} (تاقیکاری)"}


def _towns() -> dict[int, dict[str, str]]:
    with COMMUNITIES.open(encoding="utf-8") as f:
        return {int(r["geonameid"]): r for r in csv.DictReader(f)}


def _write(name: str, fields: list[str], rows: list[dict[str, object]]) -> None:
    path = OUT / name
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _point(town: dict[str, str]) -> dict[str, object]:
    return {
        "latitude": town["latitude"],
        "longitude": town["longitude"],
        "governorate": town["governorate"],
        "town": town["name"],
        "town_geonameid": town["geonameid"],
    }


def build() -> dict[str, list[dict[str, object]]]:
    towns = _towns()
    offices = [
        {"id": i, "name": n, **_local_names(i, n, g), **_point(towns[g]), "established": e,
         "donor": d, "note": NOTE}
        for i, n, g, e, d in OFFICES
    ]
    cpfs = [
        {"id": i, "name": n, **_local_names(i, n, g), **_point(towns[g]), "office_id": o,
         "established": e,
         "donor": d, "note": NOTE}
        for i, n, g, o, e, d in CPFS
    ]
    stations = [
        {"id": i, "name": n, **_local_names(i, n, g), **_point(towns[g]), "note": NOTE}
        for i, n, g in STATIONS
    ]
    return {"offices": offices, "cpfs": cpfs, "stations": stations,
            "communities": list(towns.values())}


def _km(a: dict[str, object], b: dict[str, object]) -> float:
    geod = Geod(ellps="WGS84")
    _, _, m = geod.inv(float(a["longitude"]), float(a["latitude"]),  # type: ignore[arg-type]
                       float(b["longitude"]), float(b["latitude"]))  # type: ignore[arg-type]
    return m / 1000.0


def check(layers: dict[str, list[dict[str, object]]]) -> list[str]:
    """Return the cases the demo exercises; raise if one is missing."""
    offices = {o["id"]: o for o in layers["offices"]}
    declared: dict[object, int] = {}
    facts = []
    for c in layers["cpfs"]:
        near = [oid for oid, o in offices.items() if _km(c, o) <= RADIUS_KM]
        if c["office_id"]:
            declared[c["office_id"]] = declared.get(c["office_id"], 0) + 1
            d = _km(c, offices[c["office_id"]])
            if d > RADIUS_KM:
                facts.append(f"{c['id']} is {d:.1f} km from its office {c['office_id']}")
        elif not near:
            facts.append(f"{c['id']} has no office within {RADIUS_KM:g} km")
    over = {o: n for o, n in declared.items() if n > MAX_CPFS}
    facts += [f"{o} carries {n} forums (> {MAX_CPFS})" for o, n in over.items()]
    for gov in FOCUS:
        uncovered = [t["name"] for t in layers["communities"] if t["governorate"] == gov
                     and all(_km(t, o) > RADIUS_KM for o in offices.values())]
        if not uncovered:
            raise SystemExit(f"no uncovered community in {gov}")
        facts.append(f"{gov}: {len(uncovered)} uncovered communities")
    if not any("km from its office" in f for f in facts) or len(over) < 2:
        raise SystemExit("demo lacks an out-of-range forum or two offices over capacity")
    if not any("no office within" in f for f in facts):
        raise SystemExit("demo lacks a forum with no office in range")
    return facts


def main() -> None:
    layers = build()
    OUT.mkdir(parents=True, exist_ok=True)
    point = ["name_ar", "name_ckb", "latitude", "longitude", "governorate", "town",
             "town_geonameid"]
    _write("offices.csv", ["id", "name", *point, "established", "donor", "note"],
           layers["offices"])
    _write("cpfs.csv", ["id", "name", *point, "office_id", "established", "donor", "note"],
           layers["cpfs"])
    _write("stations.csv", ["id", "name", *point, "note"], layers["stations"])
    for fact in check(layers):
        print(fact)
    print(f"wrote {OUT}: {len(layers['offices'])} offices, {len(layers['cpfs'])} forums, "
          f"{len(layers['stations'])} stations")


if __name__ == "__main__":
    main()
