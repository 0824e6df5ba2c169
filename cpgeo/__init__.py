"""cpgeo: coverage and site planning for Community Police Offices in Iraq.

Community Police Offices serve up to five Community Policing Forums within a 50-km
radius. cpgeo computes which communities fall within that radius (geodesic distance on
the WGS84 ellipsoid), flags offices carrying more forums than they can, and proposes
new or rehabilitated office sites.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from cpgeo import coverage, settings, siting
from cpgeo._errors import InputError, NetworkUnavailableError, SolverError
from cpgeo._figures import FIGURE_KEYS, Figures, figures
from cpgeo.data import load_demo
from cpgeo.io import read_layer
from cpgeo.scenario import Scenario

try:
    __version__ = version("cpgeo")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "FIGURE_KEYS",
    "Figures",
    "InputError",
    "NetworkUnavailableError",
    "Scenario",
    "SolverError",
    "__version__",
    "coverage",
    "figures",
    "load_demo",
    "read_layer",
    "settings",
    "siting",
]
