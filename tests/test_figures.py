"""One vocabulary of figures: cpgeo.figures against brute force, and everywhere the same.

Seeded random scenarios (offices and forums anywhere in Iraq, declared office ids of
every dtype, some unknown, some beyond range, communities of unknown population) are
written to CSV and read back through ``read_layer``, as a user's files would be. Their
figures are checked against an independent reference (pyproj geodesics, networkx max
flow, counting by hand), then against what the CLI's ``--json``, a snapshot's
``figures.csv``, a proposal's before / after and the app's metrics say.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from streamlit.testing.v1 import AppTest

import cpgeo
from cpgeo.cli import main
from cpgeo.regions import load_boundaries

GEOD = Geod(ellps="WGS84")
ROOT = Path(__file__).resolve().parents[1]
RADIUS = 50.0
CAPACITY = 3


def _points_in_iraq(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    iraq = load_boundaries().union_all()
    lon, lat = [], []
    while len(lon) < n:
        x, y = rng.uniform(38.8, 48.6), rng.uniform(29.1, 37.3)
        if iraq.contains(shapely.Point(x, y)):
            lon.append(x)
            lat.append(y)
    return np.array(lon), np.array(lat)


def write_scenario(seed: int, folder: Path) -> dict[str, Path]:
    """Random offices, forums and communities as the CSV files a user would upload."""
    rng = np.random.default_rng(seed)
    n_off, n_cpf, n_com = int(rng.integers(2, 7)), int(rng.integers(8, 20)), 60
    olon, olat = _points_in_iraq(rng, n_off)
    # forums cluster around offices so that some offices carry more than CAPACITY
    iraq = load_boundaries().union_all()
    near, flon, flat = [], [], []
    while len(near) < n_cpf:
        j = int(rng.integers(0, n_off))
        x, y = olon[j] + rng.normal(0, 0.35), olat[j] + rng.normal(0, 0.35)
        if iraq.contains(shapely.Point(x, y)):
            near.append(j)
            flon.append(x)
            flat.append(y)
    clon, clat = _points_in_iraq(rng, n_com)
    declared = []
    for i in range(n_cpf):
        roll = rng.random()
        if roll < 0.45:
            declared.append(str(near[i] + 1))  # the office it is near
        elif roll < 0.6:
            declared.append(f"{int(rng.integers(1, n_off + 1))}.0")  # maybe far away
        elif roll < 0.7:
            declared.append("999")  # not an office
        else:
            declared.append("")
    population = [
        "" if rng.random() < 0.2 else str(int(rng.integers(0, 200_000))) for _ in range(n_com)
    ]
    files = {
        "offices": pd.DataFrame(
            {"id": np.arange(1, n_off + 1), "name": [f"O{i}" for i in range(1, n_off + 1)],
             "latitude": olat, "longitude": olon}
        ),
        "cpfs": pd.DataFrame(
            {"id": [f"F{i}" for i in range(n_cpf)], "latitude": flat, "longitude": flon,
             "office_id": declared}
        ),
        "communities": pd.DataFrame(
            {"id": [f"C{i}" for i in range(n_com)], "latitude": clat, "longitude": clon,
             "population": population}
        ),
    }
    paths = {}
    for kind, frame in files.items():
        paths[kind] = folder / f"{kind}.csv"
        frame.to_csv(paths[kind], index=False)
    return paths


def read_scenario(paths: dict[str, Path]) -> cpgeo.Scenario:
    layers = {kind: cpgeo.read_layer(path, kind) for kind, path in paths.items()}
    return cpgeo.load_demo().with_user_layers(layers, {k: str(p) for k, p in paths.items()})


def km(a, b) -> np.ndarray:
    ax, bx = np.meshgrid(a.geometry.x.to_numpy(), b.geometry.x.to_numpy(), indexing="ij")
    ay, by = np.meshgrid(a.geometry.y.to_numpy(), b.geometry.y.to_numpy(), indexing="ij")
    _, _, metres = GEOD.inv(ax.ravel(), ay.ravel(), bx.ravel(), by.ravel())
    return np.asarray(metres).reshape(ax.shape) / 1000.0


def reference(scn: cpgeo.Scenario, focus: tuple[str, ...]) -> dict[str, object]:
    """The figures computed here, independently of cpgeo's coverage engine."""
    com, off, cpf = scn.communities, scn.offices, scn.cpfs
    covered = (km(com, off) <= RADIUS).any(axis=1)
    pop = pd.to_numeric(com["population"], errors="coerce")
    known = pop.notna().to_numpy()
    people = pop.fillna(0).to_numpy()
    in_focus = com["governorate"].isin(focus).to_numpy()
    d = km(cpf, off)
    ids = [str(i) for i in off["id"]]
    counted = np.zeros(len(off), dtype=int)
    beyond = unknown = 0
    for i, raw in enumerate(cpf["office_id"]):
        ref = None if pd.isna(raw) else str(raw).removesuffix(".0")
        if ref is not None and ref not in ids:
            unknown += 1
        elif ref is not None:
            j = ids.index(ref)
            counted[j] += 1
            beyond += int(d[i, j] > RADIUS)
        elif (d[i] <= RADIUS).any():
            counted[int(np.argmin(np.where(d[i] <= RADIUS, d[i], np.inf)))] += 1
    graph = nx.DiGraph()
    for i, j in zip(*np.nonzero(d <= RADIUS), strict=True):
        graph.add_edge("s", ("f", i), capacity=1)
        graph.add_edge(("f", i), ("o", j), capacity=1)
        graph.add_edge(("o", j), "t", capacity=CAPACITY)
    served = int(nx.maximum_flow_value(graph, "s", "t")) if graph.number_of_nodes() else 0

    def total(mask: np.ndarray) -> int | None:
        if not mask.any():
            return 0
        return int(people[mask & known].sum()) if (mask & known).any() else None

    return {
        "communities": len(com),
        "population": total(np.ones(len(com), dtype=bool)),
        "communities_population_unknown": int((~known).sum()),
        "communities_within_radius": int(covered.sum()),
        "population_within_radius": total(covered),
        "communities_outside_radius_focus": int((~covered & in_focus).sum()),
        "population_outside_radius_focus": total(~covered & in_focus),
        "offices": len(off),
        "offices_over_capacity": int((counted > CAPACITY).sum()),
        "forums": len(cpf),
        "forums_served_within_capacity": served,
        "forums_without_office_in_range": int((~(d <= RADIUS).any(axis=1)).sum()),
        "forums_beyond_declared_office": beyond,
        "forums_unknown_office": unknown,
    }


FOCUS = cpgeo.settings.FOCUS_GOVERNORATES


@pytest.fixture(scope="module", params=range(6))
def case(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"scenario{request.param}")
    paths = write_scenario(request.param, folder)
    scn = read_scenario(paths)
    return paths, scn, cpgeo.figures(scn, radius_km=RADIUS, max_cpfs=CAPACITY)


def test_figures_match_the_independent_reference(case):
    _, scn, fig = case
    want = reference(scn, FOCUS)
    for key, value in want.items():
        assert fig[key] == value, key
    assert list(fig) == list(cpgeo.FIGURE_KEYS)
    share = fig["population_within_radius_share"]
    if want["population"]:
        assert share == pytest.approx(want["population_within_radius"] / want["population"])
    # the per-governorate rows add up to the figures
    total = fig.subtotal()
    for key in ("communities", "communities_within_radius", "offices", "forums",
                "offices_over_capacity", "forums_without_office_in_range"):
        assert total[key] == fig[key], key
    assert (total["population_within_radius"] if pd.notna(total["population_within_radius"])
            else None) == fig["population_within_radius"]
    # the scenario says which layers are still the demo's
    assert scn.illustrative_layers == ("stations",)
    assert "candidate police stations" in scn.notice and "forums" not in scn.notice


def test_the_cli_says_the_same_numbers(case, capsys):
    paths, _, fig = case
    layers = [f"--{k}={p}" for k, p in paths.items()]
    assert main(["figures", *layers, "--radius-km", str(RADIUS), "--max-cpfs",
                 str(CAPACITY), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["figures"] == fig.as_dict()


def test_a_snapshot_says_the_same_numbers(case, tmp_path, capsys):
    paths, _, fig = case
    layers = [f"--{k}={p}" for k, p in paths.items()]
    out = tmp_path / "snap"
    assert main(["snapshot", *layers, "--radius-km", str(RADIUS), "--max-cpfs",
                 str(CAPACITY), "-o", str(out)]) == 0
    capsys.readouterr()
    table = pd.read_csv(out / "figures.csv", dtype=str, keep_default_na=False)
    whole = table[table["table"] == "figures"].set_index("key")["value"]
    for key, value in fig.items():
        if value is None:
            assert whole[key] == "", key
        elif isinstance(value, float):
            assert float(whole[key]) == pytest.approx(value), key
        else:
            assert whole[key] == str(value), key


def test_a_proposal_starts_from_the_figures_and_adds_up(case):
    from test_siting_propose import assert_telescopes

    from cpgeo.siting import plan_sites

    _, scn, fig = case
    proposal = plan_sites(scn, 2, radius_km=RADIUS, max_cpfs=CAPACITY, method="greedy",
                          candidate_types=("new_build",))
    assert proposal.before.as_dict() == fig.as_dict()
    for key in proposal.summary.index:
        before = proposal.summary.loc[key, "before"]
        assert (None if pd.isna(before) else before) == fig[key], key
    assert_telescopes(proposal)


@pytest.mark.parametrize("seed", [0, 3])
def test_the_app_shows_the_same_numbers(seed, tmp_path):
    paths = write_scenario(seed, tmp_path)
    scn = read_scenario(paths)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["radius"] = str(int(RADIUS))
    at.query_params["capacity"] = str(CAPACITY)
    at.run()
    at.sidebar.radio(key="data_source").set_value("files").run()
    for kind, path in paths.items():
        at.file_uploader(key=f"upload_{kind}").set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    fig = cpgeo.figures(scn, radius_km=RADIUS, max_cpfs=CAPACITY)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Communities within the radius"] == (
        f"{fig['communities_within_radius']:,} of {fig['communities']:,}"
    )
    assert metrics["Offices"] == f"{fig['offices']:,}"
    at.switch_page("app_pages/office_load.py").run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    for key, name in (
        ("offices_over_capacity", "Offices over capacity"),
        ("forums_beyond_declared_office", "Forums beyond their declared office's radius"),
        ("forums_without_office_in_range", "Forums with no office in range"),
        ("forums_unknown_office", "Forums declaring an unknown office"),
    ):
        assert metrics[name] == f"{fig[key]:,}", key
    assert metrics["Forums served within capacity"] == (
        f"{fig['forums_served_within_capacity']:,} of {fig['forums']:,}"
    )


def test_unknown_population_is_unknown_not_zero(tmp_path):
    path = tmp_path / "communities.csv"
    path.write_text("id,latitude,longitude,population\na,33.3,44.4,\nb,33.31,44.41,\n")
    scn = read_scenario({"communities": path})
    fig = cpgeo.figures(scn)
    assert fig["communities_population_unknown"] == 2
    assert fig["population"] is None
    assert fig["population_within_radius"] is None
    assert fig["population_within_radius_share"] is None
    assert fig["communities_within_radius"] == 2  # Baghdad's demo office is close by
    from cpgeo import labels

    assert labels.figure("population", fig["population"]) == "unknown"


def test_subtotal_keeps_unknown_people_unknown_beside_rows_of_no_community() -> None:
    from cpgeo._figures import subtotal

    # row A: no community within the radius (0 people); row B: two within it, both of
    # unknown population. Within the radius nothing is known: the sum is unknown, not 0.
    table = pd.DataFrame({
        "communities": [3, 2],
        "population": pd.array([900, pd.NA], dtype="Int64"),
        "communities_within_radius": [0, 2],
        "population_within_radius": pd.array([0, pd.NA], dtype="Int64"),
        "communities_outside_radius": [3, 0],
        "population_outside_radius": pd.array([900, 0], dtype="Int64"),
    })
    total = subtotal(table)
    assert pd.isna(total["population_within_radius"])
    assert total["population"] == 900
    assert total["population_outside_radius"] == 900
    assert np.isnan(total["population_within_radius_share"])
