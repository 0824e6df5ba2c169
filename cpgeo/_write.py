"""Writing layers: GeoPackage, GeoJSON and CSV, atomically, with CSV cells made safe.

Part of :mod:`cpgeo.io` (which re-exports :func:`write_layer`, :func:`write_layers`,
:func:`csv_safe` and :func:`csv_safe_text`); reading lives there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pandas.api.types import is_string_dtype

from cpgeo._atomic import atomic_target
from cpgeo._errors import InputError
from cpgeo._log import log

if TYPE_CHECKING:
    from collections.abc import Mapping


def _for_vector(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.BooleanDtype):
            if series.isna().any():
                out[column] = series.astype(object)
            else:
                out[column] = series.astype(bool)
    return out


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
#: Injection"): ``=`` ``+`` ``-`` ``@``, and tab and carriage return, which Excel skips.
_FORMULA_START = re.compile(r"[=+\-@\t\r]")
#: Text that is a plain decimal number: a spreadsheet reads it as that number, never as
#: a formula, so it is written as it stands.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def csv_safe_text(value: object) -> object:
    r"""Return ``value`` made safe for a CSV cell (see :func:`csv_safe`).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    ``'`` in front, unless it is a plain number (``-5``, ``+3.5``, ``-1e3``; ASCII digits
    only), and its line breaks become ``\n``; anything else, and any value that is not a
    ``str``, is returned unchanged (the same object).
    """
    if not isinstance(value, str):
        return value
    safe = value
    if _FORMULA_START.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        safe = f"'{safe}"
    if "\r" in safe:
        safe = safe.replace("\r\n", "\n").replace("\r", "\n")
    return value if safe == value else safe


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    r"""Return a copy of ``frame`` that a spreadsheet opens without running formulas.

    A name such as ``=HYPERLINK("http://x","click")`` or ``+cmd|' /C calc'!A0``, from an
    upload or OpenStreetMap, would run as a formula when a CSV holding it is opened in
    Excel or LibreOffice. Following OWASP's advice on CSV injection, every text cell and
    column name starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
    a single quote ``'`` in front, which the spreadsheet shows as text. Numeric,
    boolean and date columns are left alone (a number -5 stays ``-5``), and so is text
    that is a plain decimal number (``"-5"``, ``"+964"``): a spreadsheet reads it as
    that number, so there is nothing to run, and the quote would spoil the value.

    A line break inside a cell is written ``\n``: Python's csv writer, and so pandas,
    leaves a cell holding a bare carriage return unquoted when lines end in ``\n``,
    and a spreadsheet would start a new row there, whose first cell could run
    (``"x\r=1+1"``). With ``\n`` the cell is quoted and stays one cell.

    Meant for every CSV cpgeo writes (:func:`write_layer` uses it); GeoPackage and
    GeoJSON keep text as it is. The index is not touched: write with ``index=False`` or
    ``reset_index()`` first.

    Parameters
    ----------
    frame
        Any DataFrame (a GeoDataFrame's geometry column is kept as it is).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame``, of the same type, columns and dtypes (a categorical text
        column becomes plain object text), with text cells and column names made safe.
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        series = out.iloc[:, position]
        categorical = isinstance(series.dtype, pd.CategoricalDtype)
        if not categorical and series.dtype != object and not is_string_dtype(series.dtype):
            continue  # numbers, booleans, dates, geometry: nothing a spreadsheet would run
        cells = series.to_numpy(dtype=object)
        safe = [csv_safe_text(cell) for cell in cells]
        if categorical or any(a is not b for a, b in zip(safe, cells, strict=True)):
            dtype = object if categorical else series.dtype
            out.isetitem(position, pd.Series(safe, index=out.index, dtype=dtype))
    renamed = {c: csv_safe_text(c) for c in out.columns if csv_safe_text(c) is not c}
    return out.rename(columns=renamed) if renamed else out


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with geometry as latitude / longitude (points) or WKT, dates as text.

    Text that a spreadsheet would run as a formula is neutralised (:func:`csv_safe`).
    """
    out = pd.DataFrame(frame.copy())
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geom_name = frame.geometry.name
        geoms = frame.geometry
        if geoms.crs is not None and not geoms.crs.equals("EPSG:4326"):
            geoms = geoms.to_crs("EPSG:4326")
        values = geoms.to_numpy()
        present = ~shapely.is_missing(values)
        out = out.drop(columns=geom_name)
        if present.any() and bool(np.all(shapely.get_type_id(values[present]) == 0)):
            lat = np.full(len(values), np.nan)
            lon = np.full(len(values), np.nan)
            lat[present], lon[present] = (
                shapely.get_y(values[present]),
                shapely.get_x(values[present]),
            )
            out["latitude"] = lat
            out["longitude"] = lon
        else:
            out["geometry"] = shapely.to_wkt(values, rounding_precision=-1)
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            stamps = pd.to_datetime(series)
            if stamps.dt.tz is not None:
                stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
            midnight = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
            fmt = "%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S"
            out[column] = stamps.dt.strftime(fmt)
        elif pd.api.types.is_bool_dtype(series):
            out[column] = series.map(lambda x: "" if pd.isna(x) else ("true" if x else "false"))
    return csv_safe(out)


def write_layer(
    frame: pd.DataFrame | gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
) -> Path:
    """Write a layer by extension, atomically.

    The data go to a temporary file in the same folder, which then replaces ``path`` in
    one step: a reader never sees a half-written file, and a failed write leaves the
    previous file untouched.

    Parameters
    ----------
    frame
        A GeoDataFrame (any CRS; written in EPSG:4326) or a plain DataFrame (a table).
    path
        ``.gpkg`` (one layer named after the file), ``.geojson`` or ``.csv``. CSV gets
        ``latitude`` / ``longitude`` columns (decimal degrees, EPSG:4326, full
        precision) when every geometry is a point, else a WKT ``geometry`` column;
        dates as ``YYYY-MM-DD``, booleans as ``true`` / ``false``.
    layer
        Layer name inside a GeoPackage or GeoJSON (default: the file name without its
        extension); CSV ignores it.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        For an unsupported extension, or a GeoDataFrame without a CRS.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".geojson", ".csv"):
        what = path.suffix or "files without an extension"
        msg = f"{path.name}: cannot write {what!r}; use .gpkg, .geojson or .csv"
        raise InputError(msg)
    layer = path.stem if layer is None else layer
    if suffix == ".gpkg":
        return write_layers({layer: frame}, path)
    gdf = _to_4326(frame, path.name)
    with atomic_target(path) as tmp:
        if suffix == ".csv":
            _csv_frame(gdf).to_csv(tmp, index=False, lineterminator="\n")
        else:
            _write_vector(gdf, tmp, layer=layer, driver="GeoJSON")
    log(f"write_layer: {len(frame)} rows to {path.name}")
    return path


def write_layers(
    layers: Mapping[str, pd.DataFrame | gpd.GeoDataFrame],
    path: str | os.PathLike[str],
    *,
    description: str | None = None,
) -> Path:
    """Write several named layers into one GeoPackage, atomically.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (written in EPSG:4326) or DataFrame (an attribute
        table without geometry).
    path
        A ``.gpkg`` file; replaced as a whole.
    description
        Written as every layer's description (``gpkg_contents``), e.g. a marking such as
        RESTRICTED.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        If ``path`` is not ``.gpkg``, ``layers`` is empty, or a GeoDataFrame has no CRS.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        msg = f"{path.name}: several layers go into a GeoPackage (.gpkg), not {path.suffix!r}"
        raise InputError(msg)
    if not layers:
        msg = f"{path.name}: no layers to write"
        raise InputError(msg)
    frames = {name: _to_4326(frame, f"{path.name} layer {name}") for name, frame in layers.items()}
    with atomic_target(path) as tmp:
        for name, frame in frames.items():
            _write_vector(frame, tmp, layer=name, driver="GPKG", description=description)
    log(f"write_layers: {len(frames)} layer(s) to {path.name}")
    return path


def _to_4326(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        if frame.crs is None:
            msg = f"{what}: the layer has no CRS; set one before writing"
            raise InputError(msg)
        if not frame.crs.equals("EPSG:4326"):
            return frame.to_crs("EPSG:4326")
    return frame


def _write_vector(
    frame: pd.DataFrame,
    target: Path,
    *,
    layer: str,
    driver: str,
    description: str | None = None,
) -> None:
    data = _for_vector(frame)
    extra: dict[str, object] = {}
    if description is not None:
        # the GeoPackage's own metadata (gpkg_contents.description); GDAL's dataset
        # metadata would make every reader that opens the file write a .aux.xml beside it
        extra["layer_options"] = {"DESCRIPTION": description}
    if not (isinstance(data, gpd.GeoDataFrame) and data.geometry.name in data.columns):
        data = pd.DataFrame(data)
    pyogrio.write_dataframe(data, target, layer=layer, driver=driver, **extra)
