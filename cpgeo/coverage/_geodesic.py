"""Geodesic distances on the WGS84 ellipsoid and the chord bounds the spatial index uses.

The spatial index works on Earth-centred, Earth-fixed (ECEF) coordinates of points on the
WGS84 ellipsoid (height 0), in kilometres, so that the straight-line ("chord") distance
between two points can be compared with their geodesic distance by two rigorous bounds:

* **chord <= geodesic**, always: the straight segment is the shortest curve in space
  between the two points and the geodesic is one such curve. A query with chord radius
  ``R`` therefore never misses a pair whose geodesic is ``<= R`` (:func:`outer_chord_km`).
* **chord >= 2 rho sin(s / (2 rho))** for a geodesic of length ``s <= pi rho``, where
  ``rho`` is the smallest radius of curvature anywhere on the ellipsoid, the meridional
  radius at the equator ``a (1 - e^2)`` = 6335.439 km. A geodesic has no geodesic
  curvature, so its curvature as a space curve is its normal curvature, at most
  ``1 / rho``; by Schur's comparison theorem its chord is at least that of a circular arc
  of radius ``rho`` and the same length. Hence a pair whose chord is ``<= 2 rho sin(R /
  (2 rho))`` has geodesic ``<= R`` (:func:`inner_chord_km`).

Between the two bounds lies an ambiguous band ``R^3 / (24 rho^2)`` wide — 0.13 m at
``R = 50 km`` — whose pairs get the exact geodesic. On a unit sphere instead the band
would have to cover the ellipsoid-versus-sphere distortion (up to about 0.5% of the
distance, 250 m at 50 km): the ellipsoidal ECEF coordinates make it 2,000 times thinner.
Floating-point error of the chord (coordinates near 6,400 km, float64) is below 1e-11 km;
both bounds keep a 1e-9 km (1 micrometre) margin on top of it.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

#: The WGS84 ellipsoid, as used for every distance in cpgeo.
GEOD = Geod(ellps="WGS84")

_A_KM = GEOD.a / 1000.0
_E2 = GEOD.es
#: Smallest radius of curvature on the WGS84 ellipsoid (meridional, at the equator), km.
RHO_MIN_KM = _A_KM * (1.0 - _E2)
_FLOAT_SLACK_KM = 1e-9
# below this many lines per thread, threads cost more than they save
_PARALLEL_CHUNK = 50_000


def geodesic_km(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> NDArray[np.float64]:
    """Geodesic distance on the WGS84 ellipsoid, kilometres.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Longitudes and latitudes in degrees (EPSG:4326); scalars or arrays that
        broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distances in kilometres on the WGS84 ellipsoid (as pyproj.Geod / GeographicLib
        give them), with the broadcast shape of the inputs (0-d for scalar inputs).
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (lon1, lat1, lon2, lat2))
    )
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    if flat[0].size == 0:
        return np.zeros(shape, dtype=np.float64)
    return _inv_m(flat).reshape(shape) / 1000.0


def _inv_m(flat: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Geodesic lengths (m) of flat coordinate arrays, on several threads when large.

    pyproj releases the GIL inside its loop, so chunks run in parallel.
    """
    size = flat[0].size
    workers = min(os.cpu_count() or 1, size // _PARALLEL_CHUNK)
    if workers <= 1:
        return np.asarray(GEOD.inv(flat[0], flat[1], flat[2], flat[3])[2], dtype=np.float64)
    bounds = np.linspace(0, size, workers + 1).astype(int)
    out = np.empty(size, dtype=np.float64)

    def run(k: int) -> None:
        sl = slice(bounds[k], bounds[k + 1])
        out[sl] = GEOD.inv(flat[0][sl], flat[1][sl], flat[2][sl], flat[3][sl])[2]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(workers)))
    return out


def ecef_km(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """ECEF coordinates (km) of points on the WGS84 ellipsoid surface, shape ``(n, 3)``.

    Parameters
    ----------
    lon, lat
        Degrees, EPSG:4326, one-dimensional.
    """
    lam = np.radians(lon)
    phi = np.radians(lat)
    sin_phi = np.sin(phi)
    prime_vertical = _A_KM / np.sqrt(1.0 - _E2 * sin_phi * sin_phi)
    horizontal = prime_vertical * np.cos(phi)
    out = np.empty((lam.size, 3), dtype=np.float64)
    out[:, 0] = horizontal * np.cos(lam)
    out[:, 1] = horizontal * np.sin(lam)
    out[:, 2] = prime_vertical * (1.0 - _E2) * sin_phi
    return out


def outer_chord_km(radius_km: float) -> float:
    """Chord radius (km) that contains every pair with geodesic ``<= radius_km``."""
    return radius_km * (1.0 + 1e-12) + _FLOAT_SLACK_KM


def inner_chord_km(radius_km: float) -> float:
    """Chord radius (km) below which every pair has geodesic ``<= radius_km``.

    Returns 0 (every candidate is checked exactly) when the radius is so large that the
    comparison argument no longer applies.
    """
    if radius_km <= 0.0 or radius_km >= 0.5 * math.pi * RHO_MIN_KM:
        return 0.0
    inner = 2.0 * RHO_MIN_KM * math.sin(radius_km / (2.0 * RHO_MIN_KM))
    return max(0.0, inner * (1.0 - 1e-12) - _FLOAT_SLACK_KM)
