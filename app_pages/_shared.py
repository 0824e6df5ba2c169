"""What the app's pages share: data loading, cached computations, sidebar, map, downloads.

UI only: every figure, table and map comes from the cpgeo package.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import cpgeo
from cpgeo import i18n, labels, maps, settings
from cpgeo import snapshot as snapshots
from cpgeo.io import read_layer, read_layer_partial, write_layer
from cpgeo.regions import find_governorate

#: Layer kind -> its name in the sidebar (English; shown through the catalogs).
KINDS = {
    "offices": "Offices",
    "cpfs": "Forums (CPFs)",
    "communities": "Communities",
    "stations": "Police stations (candidates)",
    "boundaries": "Boundaries (governorates, or COD-AB districts / sub-districts)",
}
AREA_TABLE_TYPES = ["csv", "xlsx"]
UPLOAD_TYPES = ["csv", "xlsx", "geojson", "json", "gpkg", "zip"]
MAP_HEIGHT = 640


# ------------------------------------------------------------------------ language


def lang() -> str:
    """Return the language of this session's pages (the sidebar's choice, or ?lang=)."""
    if "lang" in st.session_state:
        return str(st.session_state.lang)
    try:  # before the sidebar (the login): the link's language
        return i18n.language(st.query_params.get("lang"))
    except cpgeo.InputError:
        return "en"


def t(message: str, /, **values: object) -> str:
    """Return ``message`` in the page's language, with ``{name}`` fields filled in.

    Every string the app shows goes through here (or through cpgeo.labels with the
    page's language): the catalogs are ``cpgeo/locale/*.po``.
    """
    return i18n.gettext(message, lang(), **values)


def said(message: object) -> str:
    """Say a text made earlier (a cpgeo.i18n.Message) in the page's language."""
    return i18n.say(message, lang())


def shown_as(exc: cpgeo.InputError, path: Path, name: str) -> cpgeo.InputError:
    """Return an error about a temporary copy of an upload naming the upload instead."""
    return exc.renamed(str(path), name)


def error_text(exc: BaseException, name: str | None = None) -> str:
    """Say an error in the page's language, naming the file as the user knows it (``name``).

    Errors about a file (cpgeo.InputError) are said in the language of the page.
    """
    text = exc.text(lang()) if isinstance(exc, cpgeo.InputError) else str(exc)
    if name and name not in text:
        text = t("{name}: {problem}", name=name, problem=text)
    return text


def apply_digits() -> None:
    """Write this run's numbers with the digits the sidebar asks for (cpgeo.i18n).

    Arabic-Indic digits are an option of the Arabic and Kurdish pages; English pages and
    the default keep Western digits. Called at the start of every run, before any number.
    """
    arab = bool(st.session_state.get("digits_arab")) and i18n.is_rtl(lang())
    i18n.set_digits("arab" if arab else "latn")


def digits() -> str:
    """Return the digits of this run's numbers: ``"latn"`` or ``"arab"``."""
    return i18n.digits_in_use()


def num(value: object, *, signed: bool = False) -> str:
    """Return a count in the page's language: thousands separators, ``unknown`` for NA."""
    return labels.number(value, signed=signed, lang=lang())


def km(value: float) -> str:
    """Return a distance in kilometres as the page's language writes it (``50 km``)."""
    return t("{km} km", km=i18n.format_number(value, lang()))


def rows_by(label: str, key: str, *, help: str | None = None) -> str:
    """Show a radio that chooses table rows by governorate or district; return the choice."""
    return str(
        st.radio(
            label,
            ["governorate", "district"],
            horizontal=True,
            key=key,
            format_func={"governorate": t("By governorate"), "district": t("By district")}.get,
            help=help,
        )
    )


def governorate(name: object) -> str:
    """Return a governorate's name in the page's language."""
    return i18n.governorate_name(str(name), lang())


_RTL_SCRIPT = """<script>
(function () {{
  var root = window.parent && window.parent.document ? window.parent.document : document;
  root.documentElement.setAttribute("dir", "{dir}");
  root.documentElement.setAttribute("lang", "{lang}");
}})();
</script>"""

# Streamlit lays its page out with flex boxes that follow the document's direction; the
# few elements it positions with left/right are turned round here
_RTL_CSS = """<style>
[data-testid="stSidebarContent"], [data-testid="stMain"] { direction: rtl; text-align: right; }
[data-testid="stMetricValue"], [data-testid="stMetricLabel"] { direction: rtl; }
[data-testid="stIFrame"] { direction: ltr; }
</style>"""


# less room above the title than Streamlit's default, so that the map starts higher
_PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
h1 { padding-top: 0.25rem; padding-bottom: 0.25rem; font-size: 2.2rem !important; }
</style>"""


def set_direction() -> None:
    """Set the page's ``dir`` and ``lang`` (right to left for Arabic and Kurdish)."""
    code = lang()
    direction = "rtl" if i18n.is_rtl(code) else "ltr"
    if direction == "ltr" and not st.session_state.get("page_was_rtl"):
        st.html(_PAGE_CSS)  # the document is left to right already: no script to run
        return
    st.session_state.page_was_rtl = True  # from now on every run sets the direction
    body = _RTL_SCRIPT.format(dir=direction, lang=code) + _PAGE_CSS
    st.html(body + (_RTL_CSS if direction == "rtl" else ""), unsafe_allow_javascript=True)


# ----------------------------------------------------------------------------- data


@st.cache_resource(show_spinner=False)
def demo_scenario() -> cpgeo.Scenario:
    return cpgeo.load_demo()


# Bounded: at most 8 uploads of at most settings.max_upload_mb each are kept read.
@st.cache_data(show_spinner=False, max_entries=8)
def read_upload(
    name: str,
    payload: bytes,
    kind: str,
    _boundaries: Any,
    boundaries_key: str,
    bad_rows: str = "refuse",
):
    """Read an uploaded file through a temporary copy that is always deleted.

    Returns the layer; with ``bad_rows="leave_out"`` the cpgeo.io.LoadResult (the layer
    without its bad rows, and those rows).
    """
    with tempfile.TemporaryDirectory(prefix="cpgeo-upload-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(payload)
        try:
            if bad_rows == "leave_out":
                return read_layer_partial(path, kind, boundaries=_boundaries)
            return read_layer(path, kind, boundaries=_boundaries)
        except cpgeo.InputError as exc:
            raise shown_as(exc, path, name) from None


def _rows(n: int, word: str = "row") -> str:
    return word if n == 1 else f"{word}s"


def _rows_only(exc: cpgeo.InputError) -> bool:
    """Tell an error of some rows (which leaving them out mends) from one of the file."""
    problems = getattr(exc, "problems", ())
    return bool(problems) and all(p.row is not None for p in problems)


def leave_out_bad_rows(kind: str, file_id: str) -> None:
    """Record the user's choice: use this upload without its bad rows (read again)."""
    state = st.session_state
    state.leave_out_ids[kind] = file_id
    state.upload_ids.pop(kind, None)


@st.cache_data(show_spinner=False, max_entries=4)
def area_table_of(name: str, payload: bytes) -> pd.DataFrame:
    """Read an uploaded table keyed by P-code through a temporary copy."""
    from cpgeo.admin import read_area_table

    with tempfile.TemporaryDirectory(prefix="cpgeo-upload-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(payload)
        try:
            return read_area_table(path)
        except cpgeo.InputError as exc:
            raise shown_as(exc, path, name) from None


@st.cache_data(show_spinner=False, max_entries=4)
def population_estimate_of(_scn: cpgeo.Scenario, token: str, name: str, payload: bytes) -> Any:
    """Spread the uploaded area totals over the communities without a population."""
    from cpgeo.admin import estimate_population

    return estimate_population(_scn.communities, area_table_of(name, payload))


def _with_area_population(scn: cpgeo.Scenario, token: str) -> tuple[cpgeo.Scenario, str]:
    """Fill unknown community populations from an uploaded table keyed by P-code."""
    state = st.session_state
    file = state.get("upload_area_population")
    state.upload_errors.pop("area_population", None)
    if file is None:
        return scn, token
    payload = file.getvalue()
    try:
        estimate = population_estimate_of(scn, token, file.name, payload)
    except cpgeo.InputError as exc:
        keeps = i18n.Message("the communities' own populations stay in use")
        state.upload_errors["area_population"] = (exc, file.name, keeps)
        return scn, token
    digest = hashlib.sha256(payload).hexdigest()[:16]
    sources = dict(scn.sources)
    sources["communities"] = (
        f"{sources.get('communities', 'communities')}; {estimate.method} "
        f"(totals: uploaded file {file.name})"
    )
    scn = replace(scn, communities=estimate.communities, sources=sources)
    return scn, f"{token}|population:{file.name}:{digest}"


def scenario() -> tuple[cpgeo.Scenario, str]:
    """Return the demo with the accepted uploads over it, and a token naming that data."""
    base = demo_scenario()
    uploads: dict[str, tuple[str, str, Any]] = st.session_state.uploads
    if st.session_state.data_source != "files":
        return base, "demo"
    if not uploads:
        return _with_area_population(base, "demo")
    layers = {kind: gdf for kind, (_n, _h, gdf) in uploads.items()}
    sources = {kind: f"uploaded file {name}" for kind, (name, _h, _g) in uploads.items()}
    scn = base.with_user_layers(layers, sources)
    # the file names are part of the data (sources, snapshot summaries): same bytes under
    # another name are another token
    token = "|".join(f"{k}:{n}:{h}" for k, (n, h, _g) in sorted(uploads.items()))
    return _with_area_population(scn, token)


def handle_uploads() -> None:
    """Read new uploads; on bad input keep the data in use and say which it is.

    The browser replaces a file in an uploader in two steps: the old file goes (one
    run sees no file), then the new one comes. A removal directly followed by an upload
    is therefore a replacement: when the new file cannot be used, the one it replaced
    stays in use, as the message says.
    """
    state = st.session_state
    state.upload_run = state.get("upload_run", 0) + 1
    # kind -> the file id the user chose to use without its bad rows; (name, digest,
    # LoadResult) of the upload read so (shown while that upload is in use); (file id,
    # rows left out, rows read, word) of a refused upload that could be used so
    leave_out_ids = state.setdefault("leave_out_ids", {})
    left_out = state.setdefault("upload_left_out", {})
    offers = state.setdefault("upload_offers", {})
    if state.data_source != "files":
        state.uploads, state.upload_ids, state.upload_errors = {}, {}, {}
        state.upload_removed = {}
        for held in (leave_out_ids, left_out, offers):
            held.clear()
        return
    removed = state.setdefault("upload_removed", {})
    base_boundaries = demo_scenario().boundaries
    for kind in ["boundaries", *[k for k in KINDS if k != "boundaries"]]:
        file = state.get(f"upload_{kind}")
        # a point layer's governorates come from the boundaries in use when it was read:
        # when those change, read it again (its key names the boundaries it was read with)
        boundaries_key = state.uploads.get("boundaries", (None, "embedded", None))[1]
        held = state.uploads.get(kind)
        if kind != "boundaries" and held is not None and not held[1].endswith(f"@{boundaries_key}"):
            state.upload_ids.pop(kind, None)
        if file is None:
            if kind in state.uploads and state.upload_ids.get(kind):
                removed[kind] = (state.upload_run, state.uploads.pop(kind))
                state.upload_ids.pop(kind)
            state.upload_errors.pop(kind, None)
            for held in (offers, leave_out_ids):
                held.pop(kind, None)
            continue
        if state.upload_ids.get(kind) == file.file_id:
            continue
        state.upload_ids[kind] = file.file_id
        payload = file.getvalue()
        digest = hashlib.sha256(payload).hexdigest()[:16]
        boundaries = state.uploads.get("boundaries", (None, "embedded", base_boundaries))
        if kind != "boundaries":
            digest = f"{digest}@{boundaries[1]}"
        offers.pop(kind, None)
        partial = None
        try:
            if leave_out_ids.get(kind) == file.file_id:
                partial = read_upload(
                    file.name, payload, kind, boundaries[2], boundaries[1], "leave_out"
                )
                gdf = partial.layer
            else:
                gdf = read_upload(file.name, payload, kind, boundaries[2], boundaries[1])
        except cpgeo.InputError as exc:
            if kind != "boundaries" and _rows_only(exc):
                try:  # the same rows, left out: offered to the user, used once chosen
                    result = read_upload(
                        file.name, payload, kind, boundaries[2], boundaries[1], "leave_out"
                    )
                    offers[kind] = (file.file_id, result.n_left_out, result.n_read, result.word)
                except cpgeo.InputError:
                    pass  # no row is free of problems: nothing to offer
            run, previous = removed.get(kind, (None, None))
            if kind not in state.uploads and previous is not None and run == state.upload_run - 1:
                state.uploads[kind] = previous  # the file this one replaced stays in use
            in_use = state.uploads.get(kind)
            keeps = (
                i18n.Message("{name} stays in use", name=in_use[0])
                if in_use
                else i18n.Message(
                    "the demo's layer stays in use: {layer}", layer=i18n.Message(KINDS[kind])
                )
            )
            state.upload_errors[kind] = (exc, file.name, keeps)
            continue
        removed.pop(kind, None)
        state.upload_errors.pop(kind, None)
        state.uploads[kind] = (file.name, digest, gdf)
        if partial is not None and partial.n_left_out:
            left_out[kind] = (file.name, digest, partial)
        else:
            left_out.pop(kind, None)


# ----------------------------------------------------------------------- computation


@st.cache_data(show_spinner=False, max_entries=32)
def figures_of(
    _scn: cpgeo.Scenario,
    token: str,
    radius_km: float,
    max_cpfs: int,
    governorates: tuple[str, ...],
) -> cpgeo.Figures:
    """cpgeo.figures of the data in use: every number a page shows comes from here."""
    return cpgeo.figures(
        _scn, radius_km=radius_km, max_cpfs=max_cpfs, governorates=governorates or None
    )


def page_figures() -> cpgeo.Figures:
    """Return the figures of this run's data and sidebar settings."""
    scn, token, p = context()
    return figures_of(scn, token, p["radius_km"], p["max_cpfs"], tuple(p["governorates"]))


@st.cache_data(show_spinner=False, max_entries=16)
def proposals_of(
    _scn: cpgeo.Scenario,
    token: str,
    governorates: tuple[str, ...],
    radius_km: float,
    max_cpfs: int,
    options: tuple[tuple[str, Any], ...],
):
    """plan_sites for this data, these settings and the form's options (name, value)."""
    from cpgeo.siting import plan_sites

    return plan_sites(
        _scn,
        governorates=governorates,
        radius_km=radius_km,
        max_cpfs=max_cpfs,
        **{name: (dict(value) if name in _MAPPINGS else value) for name, value in options},
    )


@st.cache_data(show_spinner=False, max_entries=8)
def sensitivity_of(
    _scn: cpgeo.Scenario,
    token: str,
    governorates: tuple[str, ...],
    radii: tuple[float, ...],
    max_cpfs: int,
    options: tuple[tuple[str, Any], ...],
    _roads: Any = None,
    roads_digest: str = "",
):
    """Return the same proposal at each radius, and by road (cpgeo.siting.sensitivity).

    ``_roads`` is the road graph (not hashed: ``roads_digest`` names its file's content).
    """
    from cpgeo.siting import sensitivity

    named = {name: (dict(value) if name in _MAPPINGS else value) for name, value in options}
    return sensitivity(
        _scn, radii, named.pop("n_sites", None), governorates=governorates,
        max_cpfs=max_cpfs, roads=_roads, **named,
    )


def plan_bytes(scn: cpgeo.Scenario, proposal: Any, request: tuple, name: str) -> bytes:
    """Return the proposal saved as a plan (a GeoPackage, see cpgeo.plans), as bytes."""
    from cpgeo.plans import save_plan

    _token, governorates, radius_km, max_cpfs, options = request
    saved = {
        "governorates": list(governorates),
        "radius_km": radius_km,
        "max_cpfs": max_cpfs,
        **{key: (dict(value) if key in _MAPPINGS else value) for key, value in options},
    }
    with tempfile.TemporaryDirectory(prefix="cpgeo-download-") as folder:
        path = Path(folder) / "plan.gpkg"
        save_plan(path, scn, proposal, saved, name=name.strip() or "plan")
        return path.read_bytes()


# plan_sites options the form passes as (key, value) pairs, made hashable for the cache
_MAPPINGS = frozenset({"costs", "min_per_governorate", "min_share"})


@st.cache_data(show_spinner=False, max_entries=8)
def candidates_of(_scn: cpgeo.Scenario, token: str, governorates: tuple[str, ...]):
    """Return the candidate sites of the chosen governorates (for the force in / out lists)."""
    from cpgeo.siting import candidate_sites

    return candidate_sites(_scn, governorates=governorates or None)


@st.cache_data(show_spinner=False, max_entries=16)
def snapshot_of(
    _scn,
    token: str,
    as_of: dt.date | None,
    donor: str | None,
    radius_km,
    max_cpfs,
    governorates: tuple[str, ...],
    kind: str = "public",
    level: str | None = None,
    lang: str = "en",
    digits: str = "latn",
):
    """Return the snapshot of this data and these choices (cpgeo.snapshot.build_snapshot)."""
    return snapshots.build_snapshot(
        _scn,
        as_of=as_of,
        donor=donor,
        radius_km=radius_km,
        max_cpfs=max_cpfs,
        governorates=governorates or None,
        kind=kind,
        level=level,
        lang=lang,
    )


def snapshot_map_of(snap: snapshots.Snapshot, token: str) -> str:
    """Return the snapshot's map as one standalone HTML page (built once per snapshot)."""
    return _snapshot_map(
        snap, token, snap.date, snap.donor, snap.radius_km, snap.max_cpfs,
        snap.figures.governorates, snap.kind,
        None if snap.public is None else (snap.public.level, snap.public.min_count),
        snap.lang,
        digits(),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _snapshot_map(
    _snap, token, date, donor, radius_km, max_cpfs, governorates, kind, public, lang, digits
):
    return maps.map_html(snapshots.snapshot_map(_snap))


def file_bytes(frame: pd.DataFrame, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="cpgeo-download-") as folder:
        path = Path(folder) / f"layer{suffix}"
        write_layer(frame, path)
        return path.read_bytes()


_COUNT_COLUMNS = ("communities", "population", "offices", "forums", "n_", "capacity")


def _is_count(name: str, column: pd.Series) -> bool:
    """Tell counts of people, communities, offices or forums from ids that are numbers."""
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    return numeric and name.startswith(_COUNT_COLUMNS)


def column_config(frame: pd.DataFrame) -> dict[str, Any]:
    """Column headers from cpgeo.labels; dates as YYYY-MM-DD, counts with separators."""
    config: dict[str, Any] = {}
    for name in frame.columns:
        column = frame[name]
        if name == "geometry":
            continue
        title = labels.label(str(name), lang())
        if pd.api.types.is_datetime64_any_dtype(column):
            config[name] = st.column_config.DateColumn(title, format="YYYY-MM-DD")
        elif str(name).endswith("_share"):
            config[name] = st.column_config.ProgressColumn(
                title, format="percent", min_value=0.0, max_value=1.0
            )
        elif _is_count(str(name), column):
            hint = t("blank: unknown population") if "population" in str(name) else None
            config[name] = st.column_config.NumberColumn(title, format="localized", help=hint)
        elif str(name).endswith("_km") and pd.api.types.is_float_dtype(column):
            config[name] = st.column_config.NumberColumn(title, format="%.1f")
        else:
            config[name] = st.column_config.Column(title)
    return config


#: Columns of names that read in the page's language where the data has them
_NAME_COLUMNS = ("name", "governorate")

#: The row that adds up the rows above it, and how it stands apart from them
TOTAL = "Total"
_TOTAL_STYLE = "font-weight: bold; background-color: rgba(128, 128, 128, 0.18)"


def _localised(frame: pd.DataFrame) -> pd.DataFrame:
    """Names in the page's language (``name_ar`` and governorate names); data unchanged."""
    code = lang()
    if code == "en":
        return frame
    out = frame.copy()
    for column in _NAME_COLUMNS:
        if column in out.columns and not pd.api.types.is_numeric_dtype(out[column]):
            names = i18n.place_names(out, code, column)
            out[column] = names.where(out[column].astype("string") != TOTAL, t(TOTAL))
    if "donor" in out.columns:
        out["donor"] = out["donor"].map(
            lambda d: d if pd.isna(d) else t(i18n.country_name(str(d), code))
        )
    boundaries = context()[0].boundaries if "ctx" in st.session_state else None
    for column in ("district", "subdistrict"):
        # COD-AB's Arabic names (ADM2_AR, ADM3_AR), by P-code; Kurdish readers get them too
        local = f"{column}_ar"
        if boundaries is None or column not in out.columns or local not in boundaries:
            continue
        if f"{column}_pcode" not in out.columns:
            continue
        known = boundaries[[f"{column}_pcode", local]].dropna().drop_duplicates(f"{column}_pcode")
        names = dict(zip(known.iloc[:, 0].astype(str), known.iloc[:, 1].astype(str), strict=True))
        arabic = out[f"{column}_pcode"].astype(str).map(names)
        out[column] = arabic.where(arabic.notna(), out[column])
    for column in labels.VALUE_LABELS:
        if column in out.columns:
            out[column] = out[column].map(lambda v, c=column: labels.value_label(c, v, code))
    return out.drop(columns=[c for c in ("name_ar", "name_ckb") if c in out.columns])


def with_names(columns: list[str], frame: pd.DataFrame) -> list[str]:
    """Return ``columns`` and the frame's ``name_ar`` / ``name_ckb`` (read by table())."""
    return [*columns, *(c for c in ("name_ar", "name_ckb") if c in frame.columns)]


def table(frame: pd.DataFrame, *, total: bool = False, **config: Any) -> None:
    """Show a table (geometry dropped) with labelled headers and formatted numbers.

    Headers are the columns' labels in the page's language, counts carry thousands
    separators, shares read as percentages; with ``total`` the last row (the sum of the
    others) is set apart in bold on a shaded ground.
    """
    shown = frame.drop(columns="geometry") if "geometry" in frame.columns else frame
    shown = _localised(shown)
    if digits() == "arab":  # the browser writes numbers in Western digits: send text
        shown = labels.display_table(shown, lang=lang(), signed=())
        config = {}
    data: Any = shown
    if total and len(shown):
        last = shown.index[-1]
        data = shown.style.apply(
            lambda row: [_TOTAL_STYLE if row.name == last else ""] * len(row), axis=1
        )
    st.dataframe(
        data,
        hide_index=True,
        width="stretch",
        column_config=(column_config(shown) if digits() != "arab" else {}) | config,
    )


def metric(column: Any, key: str, fig: Any, *, help: str | None = None) -> None:
    """Show figure ``key`` of ``fig`` as a metric, labelled and formatted by cpgeo.labels."""
    column.metric(
        labels.label(key, lang()), labels.figure(key, fig[key], lang=lang()), help=help
    )


def md(text: object) -> str:
    """Text from data made inert for st.markdown (no links, images, HTML or emphasis)."""
    out = str(text)
    for char in "\\`*_[]<>!|#~$":
        out = out.replace(char, "\\" + char)
    return out


def downloads(frame: pd.DataFrame, stem: str, key: str) -> None:
    """Download buttons (CSV, GeoPackage, GeoJSON) for a table; files made on click."""
    formats = [
        (".csv", "CSV", "text/csv"),
        (".gpkg", "GeoPackage", "application/geopackage+sqlite3"),
    ]
    if "geometry" in frame.columns:
        formats.append((".geojson", "GeoJSON", "application/geo+json"))
    row = st.container(horizontal=True)
    for suffix, label, mime in formats:
        row.download_button(
            f"{label}",
            data=lambda f=frame, s=suffix: file_bytes(f, s),
            file_name=f"{stem}{suffix}",
            mime=mime,
            key=f"dl_{key}_{suffix}",
            on_click="ignore",
        )


# --------------------------------------------------------------------------- sidebar


def init_state() -> None:
    if "initialised" in st.session_state:
        return
    qp = st.query_params
    st.session_state.uploads = {}
    st.session_state.upload_ids = {}
    st.session_state.upload_errors = {}
    st.session_state.data_source = "demo"
    st.session_state.proposals = None
    radius, radius_ok = _from_link(qp.get("radius"), settings.radius_km, RADIUS_KM)
    capacity, capacity_ok = _from_link(qp.get("capacity"), settings.max_cpfs, CAPACITY)
    st.session_state.radius = float(radius)
    st.session_state.capacity = int(capacity)
    basemap = qp.get("basemap", "none")
    st.session_state.basemap = basemap if basemap in ("none", "osm") else "none"
    try:
        st.session_state.lang = i18n.language(qp.get("lang"))
        lang_ok = True
    except cpgeo.InputError:
        st.session_state.lang, lang_ok = "en", False
    wanted = [g for g in qp.get_all("gov") if g.strip()]
    known = [found for g in wanted if (found := find_governorate(g)) is not None]
    st.session_state.governorates = list(dict.fromkeys(known)) or list(
        settings.FOCUS_GOVERNORATES
    )
    adjusted = [
        name
        for name, ok in (
            ("radius", radius_ok),
            ("capacity", capacity_ok),
            ("basemap", basemap in ("none", "osm")),
            ("governorates", len(known) == len(wanted)),
            ("language", lang_ok),
        )
        if not ok
    ]
    st.session_state.link_adjusted = adjusted
    st.session_state.initialised = True


#: A setting of a shared link -> its name on the page
_LINK_SETTINGS = {
    "radius": lambda: t("radius"),
    "capacity": lambda: t("capacity"),
    "basemap": lambda: t("basemap"),
    "governorates": lambda: t("governorates"),
    "language": lambda: t("language"),
}

#: (lowest, highest, step) of the radius slider (km) and the capacity input (forums).
RADIUS_KM = (5.0, 150.0, 5.0)
CAPACITY = (1, 20, 1)


def _from_link(text: str | None, default: float, bounds: tuple[float, float, float]) -> tuple[
    float, bool
]:
    """Read a number from a shared link, snapped into the control's range; say if it fit.

    Anything that is not a finite number gives the default; a number outside the range
    or between steps is moved to the nearest value the control allows.
    """
    low, high, step = bounds
    if text is None:
        return default, True
    try:
        value = float(text)
    except ValueError:
        return default, False
    if not math.isfinite(value):
        return default, False
    snapped = min(high, max(low, low + round((value - low) / step) * step))
    return snapped, snapped == value


def sidebar(scn: cpgeo.Scenario) -> dict[str, Any]:
    sb = st.sidebar
    sb.selectbox(
        "Language · اللغة · زمان",
        list(i18n.LANGUAGES),
        key="lang",
        format_func=i18n.LANGUAGES.get,
    )
    if i18n.is_rtl(lang()):
        sb.toggle(t("Arabic-Indic digits (٠١٢٣)"), key="digits_arab")
    sb.header(t("Data"))
    sb.radio(
        t("Data source"),
        ["demo", "files"],
        key="data_source",
        format_func={"demo": t("Embedded demo"), "files": t("Your files")}.get,
    )
    if st.session_state.data_source == "files":
        sb.caption(
            t(
                "CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile. Layers you do not "
                "upload come from the embedded demo."
            )
        )
        for kind, label in KINDS.items():
            sb.file_uploader(t(label), type=UPLOAD_TYPES, key=f"upload_{kind}")
        sb.file_uploader(
            t("Population by P-code (e.g. OCHA COD-PS by sub-district)"),
            type=AREA_TABLE_TYPES,
            key="upload_area_population",
            help=t(
                "Spreads each area's total over its communities that have no population "
                "(labelled 'estimated from sub-district totals'); needs district or "
                "sub-district boundaries."
            ),
        )
        with sb.expander(t("Templates: what to fill in")):
            from cpgeo.templates import TEMPLATE_KINDS, template_csv

            st.caption(t("The columns cpgeo reads, with two example rows marked EXAMPLE."))
            for kind in TEMPLATE_KINDS:
                st.download_button(
                    t("{layer} template (CSV)", layer=t(KINDS.get(kind, "Population by P-code"))),
                    data=functools.partial(template_csv, kind),
                    file_name=f"{kind}_template.csv",
                    mime="text/csv",
                    key=f"dl_template_{kind}",
                    on_click="ignore",
                )
    for exc, name, _keeps in st.session_state.upload_errors.values():
        sb.error(md(error_text(exc, name)))
    sb.header(t("Parameters"))
    sb.slider(
        t("Radius (km)"),
        RADIUS_KM[0],
        RADIUS_KM[1],
        step=RADIUS_KM[2],
        format="%g " + t("km"),
        key="radius",
    )
    sb.number_input(
        t("Capacity (forums per office)"),
        CAPACITY[0],
        CAPACITY[1],
        step=CAPACITY[2],
        key="capacity",
    )
    all_govs = sorted(scn.boundaries["governorate"].astype(str).unique())
    st.session_state.governorates = [g for g in st.session_state.governorates if g in all_govs]
    sb.multiselect(
        t("Governorates (focus)"),
        all_govs,
        key="governorates",
        format_func={g: governorate(g) for g in all_govs}.get,
    )
    sb.radio(
        t("Basemap"),
        ["none", "osm"],
        key="basemap",
        horizontal=True,
        format_func={"none": t("None (offline)"), "osm": t("OpenStreetMap (online)")}.get,
    )
    st.query_params.from_dict(
        {
            "lang": lang(),
            "radius": f"{st.session_state.radius:g}",
            "capacity": str(st.session_state.capacity),
            "basemap": st.session_state.basemap,
            "gov": st.session_state.governorates,
        }
    )
    return {
        "radius_km": float(st.session_state.radius),
        "max_cpfs": int(st.session_state.capacity),
        "governorates": tuple(st.session_state.governorates),
        "basemap": st.session_state.basemap,
    }


def banner(scn: cpgeo.Scenario) -> None:
    if scn.illustrative:
        st.warning(scn.notice_in(lang()), icon="⚠️")
    adjusted = st.session_state.get("link_adjusted")
    if adjusted:
        st.info(
            t(
                "Some settings of the link could not be used as given and were set to the "
                "nearest allowed values (radius 5-150 km, capacity 1-20 forums, known "
                "governorates, a language of the menu): {settings}.",
                settings=", ".join(_LINK_SETTINGS[name]() for name in adjusted),
            )
        )
    state = st.session_state
    for kind, (exc, name, keeps) in state.upload_errors.items():
        st.error(
            md(
                t(
                    "Upload not used: {keeps}. {message}",
                    keeps=said(keeps),
                    message=error_text(exc, name),
                )
            )
        )
        offer = state.get("upload_offers", {}).get(kind)
        if offer is not None:
            file_id, n, total, word = offer
            st.button(
                t(
                    "Load without the bad rows ({bad} left out, {good} used)",
                    bad=num(n),
                    good=num(total - n),
                )
                if lang() != "en"
                else f"Load without the {n:,} bad {_rows(n, word)} (use the other {total - n:,})",
                key=f"leave_out_{kind}",
                on_click=leave_out_bad_rows,
                args=(kind, file_id),
                help=t("The rows with problems are left out and listed; you can download them."),
            )
    for kind, (name, digest, result) in state.get("upload_left_out", {}).items():
        if state.uploads.get(kind, (None, None))[1] != digest:
            continue  # another upload, or the demo, is in use
        n, kept, word = result.n_left_out, len(result.layer), result.word
        why = said(result.reasons_said())
        st.warning(
            md(
                t("{name}: rows left out: {n} ({why}); rows in use: {kept}.", name=name,
                  n=num(n), why=why, kept=num(kept))
                if lang() != "en"
                else f"{name}: {n:,} {_rows(n, word)} left out ({why}); the other "
                f"{kept:,} {_rows(kept, word)} are in use."
            )
        )
        st.download_button(
            t("Download the rows left out (CSV): {n}", n=num(n))
            if lang() != "en"
            else f"Download the {n:,} {_rows(n, word)} left out (CSV)",
            data=functools.partial(file_bytes, result.left_out, ".csv"),
            file_name=f"{Path(name).stem}-left-out.csv",
            mime="text/csv",
            key=f"dl_left_out_{kind}",
            on_click="ignore",
        )


@st.cache_data(show_spinner=False, max_entries=32)
def map_document(
    _scn: cpgeo.Scenario,
    token: str,
    radius_km: float,
    max_cpfs: int,
    basemap: str,
    governorates: tuple[str, ...],
    _proposals: Any,
    proposals_key: str | None,
    _road: Any = None,
    road_key: str | None = None,
    center: tuple[float, float] | None = None,
    zoom: float | None = None,
    _after: Any = None,
    lang: str = "en",
    shares: str = "none",
    digits: str = "latn",
) -> str:
    """Build the map once per data and settings; return it as one standalone HTML page.

    The page carries Leaflet inline (no CDN) and is shown in an iframe; nothing is read
    back from the map, so no component is needed. Building it takes ~0.05 s with 11,000
    communities (one compact payload, see cpgeo.maps.community_payload); the page
    depends only on the arguments above, so every later session or rerun with the same
    settings gets it from the cache.
    """
    fig = figures_of(_scn, token, radius_km, max_cpfs, governorates)
    m = maps.build_map(
        _scn,
        fig.coverage if _road is None else _road,
        fig.load,
        _proposals,
        forums=fig.forums,
        radius_km=radius_km,
        max_cpfs=max_cpfs,
        basemap=basemap,
        governorates=governorates,
        show_stations=_proposals is not None,
        catchment="radius" if _road is None else "road",
        center=center,
        zoom=zoom,
        coverage_after=_after,
        lang=lang,
        shares=shares,
    )
    return maps.map_html(m)


def show_map(
    scn,
    p,
    *,
    key: str,
    proposals=None,
    proposals_key=None,
    center=None,
    zoom=None,
    road=None,
    road_key: str | None = None,
    after=None,
    shares: str = "none",
):
    """Draw the scenario's map (offline assets) in the page.

    ``road`` (with ``road_key`` naming it) is a network_coverage result: communities are
    then coloured by road distance. ``shares`` is cpgeo.maps.build_map's: the share
    layer is left out unless asked for, so that the first map stays as light as it was.
    """
    token = st.session_state.ctx[1]
    document = map_document(
        scn,
        token,
        p["radius_km"],
        p["max_cpfs"],
        p["basemap"],
        tuple(p["governorates"]),
        proposals,
        proposals_key if proposals is not None else None,
        road,
        road_key if road is not None else None,
        center,
        zoom,
        after,
        lang(),
        shares,
        digits(),
    )
    with st.container(key=key):
        st.iframe(document, height=MAP_HEIGHT)


def context() -> tuple[cpgeo.Scenario, str, dict[str, Any]]:
    """Return the scenario, its data token and the sidebar parameters of this run."""
    return st.session_state.ctx
