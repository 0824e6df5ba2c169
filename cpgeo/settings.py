"""User-changeable defaults.

Change a value by assignment (``cpgeo.settings.radius_km = 30``); every public function
whose matching argument is left as ``None`` falls back to the value here at call time.
"""

from __future__ import annotations

import logging
from pathlib import Path

#: Catchment radius of a Community Police Office, kilometres on the WGS84 ellipsoid.
radius_km: float = 50.0

#: Forums (CPFs) one office can serve.
max_cpfs: int = 5

#: The governorates where offices are to be rehabilitated or built (canonical names).
FOCUS_GOVERNORATES: tuple[str, ...] = ("Salah al-Din", "Anbar", "Diyala", "Ninewa")

#: Snap distance (km) for points that fall just outside every generalised governorate
#: polygon (a river bank, a border town): such a point takes the nearest governorate.
governorate_snap_km: float = 5.0

#: Points farther than this (km) outside Iraq's governorates are rejected as bad input.
outside_iraq_tolerance_km: float = 25.0

#: Road-distance catchments: a community or office farther than this (km) from every
#: road of the network is off the network (not attached to a road far away).
road_snap_km: float = 5.0

#: Iraq's extent with a margin, (min lon, min lat, max lon, max lat), EPSG:4326.
IRAQ_BBOX: tuple[float, float, float, float] = (38.5, 28.8, 48.9, 37.6)

#: Where downloads (Overpass answers, road graphs) are cached.
cache_folder: Path = Path.home() / ".cache" / "cpgeo"

#: Seconds before a network request gives up.
requests_timeout_s: float = 30.0

#: Level of cpgeo's log messages; they are quiet unless ``log_console`` is True.
log_level: int = logging.INFO

#: Send cpgeo's log messages to stderr.
log_console: bool = False
