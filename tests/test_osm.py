"""OpenStreetMap loaders on small generated OSM XML files; the online path offline."""

from __future__ import annotations

import gzip
import logging
import re
import threading
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

import hypothesis.strategies as st
import osmnx
import pandas as pd
import pytest
import shapely
from hypothesis import given
from pyproj import Geod

import cpgeo
import cpgeo.osm
from cpgeo import InputError, NetworkUnavailableError
from cpgeo.osm import (
    POLICE_TAGS,
    check_online,
    parse_population,
    places_from_place,
    places_from_xml,
    query_polygon,
    stations_from_place,
    stations_from_xml,
)
from cpgeo.regions import load_boundaries

GEOD = Geod(ellps="WGS84")

# Well-known towns, by governorate.
BAGHDAD = (44.366, 33.315)
TIKRIT = (43.679, 34.607)
RAMADI = (43.305, 33.420)
MOSUL = (43.130, 36.340)
TEHRAN = (51.389, 35.689)  # far outside Iraq


def write_osm(path: Path, nodes: dict, ways: dict, relations: dict | None = None) -> Path:
    def tags_xml(tags: dict) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for nid, (lon, lat, tags) in nodes.items():
        body = tags_xml(tags)
        lines.append(f'<node id="{nid}" lat="{lat}" lon="{lon}" version="1">{body}</node>')
    for wid, (refs, tags) in ways.items():
        body = "".join(f'<nd ref="{r}"/>' for r in refs) + tags_xml(tags)
        lines.append(f'<way id="{wid}" version="1">{body}</way>')
    for rid, (members, tags) in (relations or {}).items():
        body = "".join(f'<member type="way" ref="{r}" role="{role}"/>' for r, role in members)
        lines.append(f'<relation id="{rid}" version="1">{body}{tags_xml(tags)}</relation>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def square(first_id: int, lon: float, lat: float, half: float) -> dict:
    return {
        first_id: (lon - half, lat - half, {}),
        first_id + 1: (lon + half, lat - half, {}),
        first_id + 2: (lon + half, lat + half, {}),
        first_id + 3: (lon - half, lat + half, {}),
    }


# A U-shaped building whose centroid falls in its courtyard.
U_SHAPE = [(43.300, 33.400), (43.303, 33.400), (43.303, 33.403), (43.302, 33.403),
           (43.302, 33.401), (43.301, 33.401), (43.301, 33.403), (43.300, 33.403)]


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nodes = {
        1: (*BAGHDAD, {"amenity": "police", "name": "مركز شرطة", "name:en": "Central Station"}),
        2: (*TIKRIT, {"amenity": "police", "name": "Tikrit Police"}),
        3: (*MOSUL, {"amenity": "police"}),
        4: (*TEHRAN, {"amenity": "police", "name": "Far away"}),
        5: (*RAMADI, {"amenity": "hospital", "name": "Not police"}),
        # places
        50: (*BAGHDAD, {"place": "city", "name": "بغداد", "name:en": "Baghdad",
                        "population": "7,665,292"}),
        51: (43.70, 34.50, {"place": "village", "name": "Qaryat", "population": "~5000"}),
        52: (44.40, 33.35, {"place": "suburb", "name": "A suburb", "population": "9000"}),
        53: (43.40, 33.50, {"place": "hamlet", "name": "Untagged"}),
        54: (43.20, 36.20, {"place": "town", "name": "Words", "population": "unknown"}),
    }
    nodes |= square(10, 44.40, 33.30, 0.001)  # square police building in Baghdad
    nodes |= {20 + i: (x, y, {}) for i, (x, y) in enumerate(U_SHAPE)}
    nodes |= {30: (43.60, 34.60, {}), 31: (43.62, 34.60, {})}  # an unclosed police way
    nodes |= square(40, 43.75, 34.55, 0.01)  # a town drawn as an area
    nodes |= square(60, 44.60, 33.20, 0.002)  # a police multipolygon's outer ring
    ways = {
        100: ([10, 11, 12, 13, 10], {"amenity": "police", "building": "yes"}),
        101: ([*range(20, 28), 20], {"amenity": "police", "building": "yes", "name": "U"}),
        102: ([30, 31], {"amenity": "police", "name": "Checkpoint line"}),
        103: ([40, 41, 42, 43, 40], {"place": "town", "name": "Area town",
                                     "population": "12 000"}),
        104: ([60, 61, 62, 63, 60], {}),
    }
    relations = {500: ([(104, "outer")], {"type": "multipolygon", "amenity": "police",
                                          "name:en": "Compound"})}
    return write_osm(tmp_path_factory.mktemp("osm") / "sample.osm", nodes, ways, relations)


def test_stations_schema_ids_and_names(osm_file):
    s = stations_from_xml(osm_file)
    assert s.crs == "EPSG:4326"
    assert list(s.columns[:3]) == ["id", "name", "governorate"]
    by_id = s.set_index("id")
    assert set(by_id.index) == {"osm:node/1", "osm:node/2", "osm:node/3", "osm:way/100",
                                "osm:way/101", "osm:way/102", "osm:relation/500"}
    assert by_id.loc["osm:node/1", "name"] == "Central Station"
    assert by_id.loc["osm:node/1", "name_local"] == "مركز شرطة"
    assert by_id.loc["osm:node/2", "name"] == "Tikrit Police"
    assert by_id.loc["osm:node/3", "name"] == "osm:node/3"  # no name at all
    assert by_id.loc["osm:relation/500", "name"] == "Compound"
    assert by_id.loc["osm:node/1", "governorate"] == "Baghdad"
    assert by_id.loc["osm:node/2", "governorate"] == "Salah al-Din"
    assert by_id.loc["osm:node/3", "governorate"] == "Ninewa"
    assert "amenity=police" in by_id.loc["osm:way/100", "osm_tags"]
    assert (s.geometry.geom_type == "Point").all()
    assert s.index.equals(pd.RangeIndex(len(s)))


def test_station_ways_become_points_inside_or_on_them(osm_file):
    s = stations_from_xml(osm_file).set_index("id")
    node = s.geometry
    # The square's centre, within a metre.
    assert GEOD.inv(node["osm:way/100"].x, node["osm:way/100"].y, 44.40, 33.30)[2] < 1.0
    assert GEOD.inv(node["osm:relation/500"].x, node["osm:relation/500"].y, 44.60, 33.20)[2] < 1
    # The U's centroid lies in the courtyard: the point must be inside the building.
    u = shapely.Polygon(U_SHAPE)
    assert not u.contains(u.centroid)
    assert u.contains(node["osm:way/101"])
    # A line: its midpoint, halfway along it geodesically (to 1 m).
    p = node["osm:way/102"]
    d1 = GEOD.inv(43.60, 34.60, p.x, p.y)[2]
    d2 = GEOD.inv(43.62, 34.60, p.x, p.y)[2]
    assert abs(d1 - d2) < 1.0
    assert d1 + d2 == pytest.approx(GEOD.inv(43.60, 34.60, 43.62, 34.60)[2], abs=1.0)


def test_stations_outside_iraq_dropped_unless_kept(osm_file):
    assert "osm:node/4" not in set(stations_from_xml(osm_file)["id"])
    kept = stations_from_xml(osm_file, keep_outside=True).set_index("id")
    assert kept["governorate"].isna()["osm:node/4"]
    assert kept.loc["osm:node/4", "name"] == "Far away"


def test_places_population_and_types(osm_file):
    p = places_from_xml(osm_file).set_index("id")
    assert set(p.index) == {"osm:node/50", "osm:node/51", "osm:node/53", "osm:node/54",
                            "osm:way/103"}  # the suburb is not a community
    assert str(p["population"].dtype) == "Int64"
    population = p["population"]
    assert population.dropna().to_dict() == {
        "osm:node/50": 7_665_292, "osm:node/51": 5000, "osm:way/103": 12_000,
    }
    # Untagged and unreadable tags are unknown (<NA>), not 0.
    assert population.isna().to_dict() == {
        "osm:node/50": False, "osm:node/51": False, "osm:node/53": True,
        "osm:node/54": True, "osm:way/103": False,
    }
    assert p.loc["osm:node/50", "name"] == "Baghdad"
    assert p.loc["osm:node/50", "place"] == "city"
    assert p.loc["osm:node/51", "governorate"] == "Salah al-Din"
    assert p.loc["osm:node/53", "governorate"] == "Anbar"
    town = p.geometry["osm:way/103"]
    assert GEOD.inv(town.x, town.y, 43.75, 34.55)[2] < 1.0
    only_cities = places_from_xml(osm_file, place_types=("city",))
    assert only_cities["id"].tolist() == ["osm:node/50"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12000", 12000), ("12,000", 12000), ("~5000", 5000), ("12 000", 12000),
     ("ca. 3.500", 3500), ("ca. 3500", 3500), ("1,234,567", 1234567),
     ("1.2 million", 1_200_000), ("1,5 million", 1_500_000), ("3k", 3000), ("5k", 5000),
     ("5000-6000", 5000), ("4500 (2014)", 4500), ("about 12,000.", 12000),
     ("١٢٬٠٠٠", 12000), ("۱۲۳۴", 1234), (7, 7), (12000.0, 12000)],  # noqa: RUF001
)
def test_parse_population(text, expected):
    got = parse_population(text)
    assert got == expected
    assert type(got) is int


@pytest.mark.parametrize(
    "text",
    ["-50", "ca. -50", "\u221250", "unknown", "", "   ", None, float("nan"), pd.NA, 250.4,
     "2.5", "12.000", "1e5", "1,23,4", "nan", "inf", True, "1e305 million"],
)
def test_parse_population_unknown_is_none_not_zero(text):
    assert parse_population(text) is None


def test_empty_and_bad_files(tmp_path):
    empty = write_osm(tmp_path / "empty.osm", {1: (44.0, 33.0, {"shop": "bakery"})}, {})
    s = stations_from_xml(empty)
    assert len(s) == 0
    assert list(s.columns) == ["id", "name", "governorate", "name_local", "osm_tags",
                               "geometry"]
    p = places_from_xml(empty)
    assert len(p) == 0
    assert str(p["population"].dtype) == "Int64"
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id=", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.osm: not a readable OSM XML"):
        stations_from_xml(bad)
    with pytest.raises(FileNotFoundError, match="no such OSM XML file"):
        places_from_xml(tmp_path / "missing.osm")


def test_query_polygon():
    salah = query_polygon("Salahuddin")
    b = load_boundaries()
    expected = b.loc[b["governorate"] == "Salah al-Din"].geometry.iloc[0]
    assert salah is not None
    assert salah.equals(expected)
    assert query_polygon("Some village") is None
    box = query_polygon((44.0, 33.0, 44.5, 33.5))
    assert box.bounds == (44.0, 33.0, 44.5, 33.5)
    with pytest.raises(InputError, match="min lon, min lat, max lon, max lat"):
        query_polygon((44.5, 33.0, 44.0, 33.5))
    with pytest.raises(InputError, match="min lon, min lat, max lon, max lat"):
        query_polygon((44.0, 33.0, 44.5))  # type: ignore[arg-type]


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise OSError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(cpgeo.osm.socket, "create_connection", refuse)
    monkeypatch.setattr(cpgeo.settings, "cache_folder", tmp_path / "cache")


def test_offline_failure_is_fast_and_clear(no_network):
    for call, query in ((stations_from_place, "Anbar"), (places_from_place, (44, 33, 44.1, 33.1)),
                        (stations_from_place, "Some town, Iraq")):
        start = time.perf_counter()
        with pytest.raises(NetworkUnavailableError, match=r"no network: cannot reach .*--xml"):
            call(query)
        assert time.perf_counter() - start < 10


def test_a_stalled_connection_is_abandoned(monkeypatch):
    release = threading.Event()

    def stall(*args, **kwargs):
        release.wait(60)
        raise OSError("late")

    monkeypatch.setattr(cpgeo.osm.socket, "create_connection", stall)
    monkeypatch.setattr(cpgeo.settings, "requests_timeout_s", 120.0)
    start = time.perf_counter()
    try:
        with pytest.raises(NetworkUnavailableError, match=r"did not answer within 3 s"):
            check_online("https://overpass-api.de/api")
        elapsed = time.perf_counter() - start
    finally:
        release.set()
    assert 2.5 < elapsed < 10


def test_check_online_passes_when_the_host_answers(monkeypatch):
    seen = []

    class Conn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def accept(address, timeout):
        seen.append((address, timeout))
        return Conn()

    monkeypatch.setattr(cpgeo.osm.socket, "create_connection", accept)
    monkeypatch.setattr(cpgeo.settings, "requests_timeout_s", 1.5)
    check_online("https://overpass-api.de/api")
    assert seen == [(("overpass-api.de", 443), 1.5)]


@pytest.mark.network
def test_real_overpass_call(tmp_path, monkeypatch):
    monkeypatch.setattr(cpgeo.settings, "cache_folder", tmp_path)
    stations = stations_from_place((44.30, 33.25, 44.45, 33.40))  # central Baghdad
    assert len(stations) > 0
    assert (stations["governorate"] == "Baghdad").any()


def test_cli_osm_stations_and_places(osm_file, tmp_path, capsys):
    from cpgeo.cli import main

    out = tmp_path / "stations.geojson"
    assert main(["osm", "stations", "--xml", str(osm_file), "-o", str(out)]) == 0
    written = cpgeo.read_layer(out, "stations")
    assert set(written["id"]) == set(stations_from_xml(osm_file)["id"])
    assert "stations from" in capsys.readouterr().out
    out = tmp_path / "places.csv"
    assert main(["osm", "places", "--xml", str(osm_file), "-o", str(out)]) == 0
    places = cpgeo.read_layer(out, "communities").set_index("id")
    assert places.loc["osm:node/51", "population"] == 5000


def test_cli_osm_offline_is_a_one_line_error(no_network, tmp_path, capsys):
    from cpgeo.cli import main

    start = time.perf_counter()
    code = main(["osm", "places", "--place", "Anbar", "-o", str(tmp_path / "p.csv")])
    assert code == 2
    assert time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert err.startswith("cpgeo osm: error: no network")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p.csv").exists()


# Plain numbers, each written the way a table cell or an OSM tag might hold it.
PLAIN_NUMBERS = [
    "0", "7", "12000", "+12000", "-12000", "\u221212000", "0012", "12,000", "1,234,567",
    "12 000", "12\u00a0000", "12\u202f000", "12\u2009000", "12'000", "1.234.567", "1,234.5",
    "1.234,5", "33,5", "12,00", "0,500", "12.5", "2.5", "3.500", "12.000", "33.500",
    "33,500", "1,23,4", "12 00", "1,234,5", "1e5", "1.5E+03", "nan", "inf", "٣٣٫٥",  # noqa: RUF001
    "١٢٬٠٠٠", "۱۲۳۴", "١٢,٠٠٠", "١٢.٠٠٠", ".5", "5.", "12 000,5", "44,12345",  # noqa: RUF001
]


def table_population(text: str) -> int | None:
    """What the population column of a table makes of ``text`` alone (None: reported)."""
    from cpgeo import _validate as v

    problems = v.Problems("t.csv", "communities")
    counts = v.parse_population(pd.Series([text], dtype="str"), ["row 2"], "population",
                                problems)
    if len(problems):
        return None
    assert not pd.isna(counts[0])
    return int(counts[0])


@pytest.mark.parametrize("text", PLAIN_NUMBERS)
def test_osm_and_table_parsers_agree_on_every_plain_number(text):
    assert parse_population(text) == table_population(text)


@given(st.integers(min_value=0, max_value=10**12),
       st.sampled_from([",", ".", " ", "\u00a0", "'", "\u066c"]), st.booleans())
def test_osm_and_table_agree_on_grouped_counts(number, separator, arabic):
    text = f"{number:,}".replace(",", separator)
    if arabic:
        text = text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    expected = table_population(text)
    assert parse_population(text) == expected
    ambiguous = number >= 1000 and separator == "." and number < 10**6 and number % 1000 == 0
    assert expected == (None if ambiguous else number)


# --------------------------------------------------------------------------- what is caught

REPO = Path(cpgeo.__file__).resolve().parent.parent
# Third-party modules, by their names and the names cpgeo and the app import them as.
_OTHERS = (r"(?:ox|osmnx|sf|streamlit_folium|st|streamlit|folium|branca|gpd|geopandas|pd|"
           r"pandas|np|numpy|nx|networkx|shapely|pyproj|scipy|sparse|csgraph|requests|"
           r"rasterio|plt|matplotlib)")
PRIVATE_USE = re.compile(
    rf"\b{_OTHERS}(?:\.[A-Za-z]\w*)*\._[A-Za-z]"  # ox._errors, ox.settings._x
    rf"|[\"']{_OTHERS}(?:\.\w+)*\._[A-Za-z]"  # require("osmnx._errors", ...)
    rf"|getattr\(\s*{_OTHERS}\s*,\s*[\"']_[A-Za-z]"  # getattr(ox, "_errors")
)


def test_the_private_api_pattern():
    for private in ("except ox._errors.InsufficientResponseError:",
                    "from osmnx._errors import InsufficientResponseError",
                    "import streamlit_folium._component", "sf._component_func(x)",
                    'getattr(ox, "_errors")', 'require("osmnx._overpass", "x")',
                    "ox.features._process_features(e, k)", "st._config.get_option('x')"):
        assert PRIVATE_USE.search(private), private
    for public in ("ox.features_from_xml(path)", "ox.__version__", "np.__name__",
                   "from cpgeo._errors import InputError", "box._x", "self._scan",
                   "from app_pages._shared import table", "first._x"):
        assert not PRIVATE_USE.search(public), public


def test_no_private_api_of_other_packages():
    files = [*sorted((REPO / "cpgeo").rglob("*.py")), REPO / "app.py",
             *sorted((REPO / "app_pages").glob("*.py"))]
    uses = [f"{f.relative_to(REPO)}:{number}: {line.strip()}"
            for f in files if f.is_file()
            for number, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            if PRIVATE_USE.search(line)]
    assert uses == []


OSM_HEAD = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"


def write_elements(path: Path, *elements: str) -> Path:
    """An OSM XML file with one element a line, from line 3."""
    path.write_text(OSM_HEAD + "\n".join(elements) + "\n</osm>\n", encoding="utf-8")
    return path


@pytest.fixture
def unreadable(osm_file: Path) -> dict[str, tuple[bytes, str]]:
    """File name -> (content, what the error says about it)."""
    good = osm_file.read_bytes()
    return {
        "not_xml.osm": (b"not xml at all", r"syntax error: line 1, column 0"),
        "truncated.osm": (good[: len(good) // 2], r"line \d+, column \d+"),
        "empty.osm": (b"", r"no element found"),
        "latin1.osm": (OSM_HEAD.encode() + '<node id="1" lat="33" lon="44"><tag k="name" '
                       'v="caf\xe9"/></node></osm>'.encode("latin-1"), r"not UTF-8 text"),
        "gateway.osm": (b"<html><body>502 Bad Gateway</body></html>",
                        r"the root element is <html>, not <osm>"),
        "cut.osm.gz": (gzip.compress(good)[:-12], r"\.gz data damaged or cut short"),
        "plain.osm.gz": (good, r"\.gz data damaged: Not a gzipped file"),
    }


@pytest.mark.parametrize("name", ["not_xml.osm", "truncated.osm", "empty.osm", "latin1.osm",
                                  "gateway.osm", "cut.osm.gz", "plain.osm.gz"])
def test_an_unreadable_file_is_a_one_line_error_naming_it(tmp_path, unreadable, name):
    content, reason = unreadable[name]
    path = tmp_path / name
    path.write_bytes(content)
    for reader in (stations_from_xml, places_from_xml):
        with pytest.raises(InputError) as info:
            reader(path)
        message = str(info.value)
        assert re.match(rf"{re.escape(str(path))}: not a readable OSM XML file \(.*{reason}",
                        message), message
        assert "\n" not in message


POLICE = '<tag k="amenity" v="police"/>'


@pytest.mark.parametrize(("element", "problem"), [
    (f'<node id="1" lat="abc" lon="44">{POLICE}</node>', "node 1: lat 'abc' is not a number"),
    (f'<node id="1" lon="44">{POLICE}</node>', "node 1: no lat"),
    ('<node id="x" lat="33" lon="44"/>', "node: id 'x' is not an integer"),
    (f'<node id="1" lat="nan" lon="44">{POLICE}</node>', "node 1: lat 'nan' is not within"),
    (f'<node id="1" lat="33.3" lon="444">{POLICE}</node>', "node 1: lon '444' is not within"),
    ('<node id="1" lat="33" lon="44"><tag v="police"/></node>', "node 1: <tag> without k"),
    (POLICE, "<tag> inside <osm>"),
    ('<node id="1" lat="33" lon="44"><nd ref="2"/></node>', "node 1: <nd> inside <node>"),
    ('<way id="9"><nd ref="a"/></way>', "way 9: <nd> ref 'a' is not an integer"),
    ('<node id="1" type="x" lat="33" lon="44"/>', "node 1: an attribute named 'type'"),
    ('<relation id="5"><member type="way" ref="9"/><tag k="type" v="multipolygon"/>'
     f"{POLICE}</relation>", "relation 5: <member> without role"),
])
def test_a_malformed_element_is_named_with_its_line(tmp_path, element, problem):
    path = write_elements(tmp_path / "bad.osm", '<node id="7" lat="33.3" lon="44.4"/>', element)
    where = "line 4: " if problem.startswith("<") else "line 4, "
    with pytest.raises(InputError) as info:
        stations_from_xml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not a readable OSM XML file ({where}{problem}"), message
    assert "\n" not in message


def test_every_malformed_element_is_counted_and_the_first_quoted(tmp_path):
    path = write_elements(tmp_path / "bad.osm",
                          *(f'<node id="{i}" lat="x{i}" lon="44"/>' for i in range(1, 6)))
    message = (f"{path}: not a readable OSM XML file (line 3, node 1: lat 'x1' is not a "
               "number; line 4, node 2: lat 'x2' is not a number; line 5, node 3: lat 'x3' "
               "is not a number; and 2 more problems)")
    with pytest.raises(InputError, match=re.escape(message)):
        places_from_xml(path)


def test_a_saved_overpass_answer_that_gave_up_is_refused(tmp_path):
    path = write_elements(
        tmp_path / "answer.osm", f'<node id="1" lat="33.3" lon="44.4">{POLICE}</node>',
        '<remark> runtime error: Query timed out in "query" at line 3 after 26 seconds. </remark>')
    with pytest.raises(InputError, match=re.escape(
            f"{path}: the Overpass answer saved in it reports 'runtime error: Query timed out")):
        stations_from_xml(path)


def test_features_without_their_nodes_are_skipped_and_said_to_be(tmp_path, caplog):
    clipped = f'<way id="9"><nd ref="1"/><nd ref="2"/>{POLICE}</way>'  # nodes 1, 2 absent
    path = write_elements(tmp_path / "clipped.osm", '<node id="7" lat="33.3" lon="44.4"/>',
                          clipped)
    with caplog.at_level(logging.WARNING, logger="cpgeo"):
        assert len(stations_from_xml(path)) == 0
    assert "1 of 1 matching features skipped" in caplog.text
    caplog.clear()
    path = write_elements(tmp_path / "clipped.osm",
                          f'<node id="7" lat="33.3" lon="44.4">{POLICE}</node>', clipped)
    with caplog.at_level(logging.WARNING, logger="cpgeo"):
        assert list(stations_from_xml(path)["id"]) == ["osm:node/7"]
    assert "1 of 2 matching features skipped" in caplog.text


@pytest.mark.parametrize("bug", [ZeroDivisionError, AttributeError, KeyError, TypeError,
                                 ValueError])
def test_a_bug_while_reading_is_not_called_a_bad_file(osm_file, monkeypatch, bug):
    def broken(*args, **kwargs):
        raise bug("a bug, not the file")

    monkeypatch.setattr(osmnx, "features_from_xml", broken)
    for reader in (stations_from_xml, places_from_xml):
        with pytest.raises(bug) as info:
            reader(osm_file)
        assert type(info.value) is bug  # not an InputError (a ValueError) around it


def osmnx_found_nothing(tmp_path: Path) -> ValueError:
    """The exception osmnx raises when it finds nothing, got through its public API."""
    with pytest.raises(ValueError, match="No matching features") as info:
        osmnx.features_from_xml(write_elements(tmp_path / "nothing.osm"), tags=POLICE_TAGS)
    return info.value


@pytest.fixture
def online(monkeypatch, tmp_path):
    """Every connectivity check passes; the osmnx download itself is replaced by a test."""

    class Conn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cpgeo.osm.socket, "create_connection", lambda *a, **k: Conn())
    monkeypatch.setattr(cpgeo.settings, "cache_folder", tmp_path / "cache")


@pytest.mark.parametrize(("call", "query", "download"), [
    (stations_from_place, (44.0, 33.0, 44.1, 33.1), "features_from_polygon"),
    (places_from_place, "Anbar", "features_from_polygon"),
    (stations_from_place, "Some town, Iraq", "features_from_place"),  # geocoded by name
])
def test_an_empty_overpass_answer_is_not_passed_off_as_none_there(online, monkeypatch, tmp_path,
                                                                  call, query, download):
    # osmnx raises this one exception for an area without police stations, for an Overpass
    # query that ran out of time or memory, and for a name Nominatim does not know.
    nothing = osmnx_found_nothing(tmp_path)

    def answer(*args, **kwargs):
        raise nothing

    monkeypatch.setattr(osmnx, download, answer)
    with pytest.raises(InputError, match=rf"^OpenStreetMap {re.escape(repr(query))}: no usable "
                                         r"answer \(No matching features") as info:
        call(query)
    assert info.value.__cause__ is nothing


def test_a_bug_online_is_not_called_a_bad_answer(online, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(osmnx, "features_from_polygon", broken)
    with pytest.raises(ZeroDivisionError, match="a bug"):
        stations_from_place((44.0, 33.0, 44.1, 33.1))
