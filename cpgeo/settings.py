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

# --- limits on input files -------------------------------------------------------------
# Files come from many hands; these caps refuse one too big to read before reading it,
# so a mistaken export or a hostile upload cannot exhaust the memory of a laptop or of
# the server that runs the app. Each message names the setting to raise.

#: Largest file (MiB) the app accepts as an upload. Streamlit keeps each upload in
#: memory, so this is half its default of 200 MB; it still holds the largest layer
#: cpgeo reads (a CSV of ``max_rows`` rows of id, name, governorate, latitude, longitude
#: and population is about 70 MB). ``server.maxUploadSize`` in ``.streamlit/config.toml``
#: must equal it (a test checks): Streamlit reads that file, not this module.
max_upload_mb: int = 100

#: Most rows (CSV, XLSX) or features (GeoJSON, GeoPackage, Shapefile) in one layer. Iraq
#: has some tens of thousands of named places and a few hundred police offices, so a
#: million is far above any real layer, yet small enough to validate in memory.
max_rows: int = 1_000_000

#: Most bytes (MiB) that the members of a zip archive read (a zipped Shapefile's files,
#: every part of an XLSX workbook) may expand to, judged from the archive's directory
#: before anything is decompressed. A workbook of ``max_rows`` rows is about 300 MB of
#: XML, so 1 GiB leaves room and still bounds a zip bomb.
max_uncompressed_mb: int = 1024

#: Highest compression ratio (uncompressed / compressed size) of a zip member larger than
#: 1 MiB. Deflate tops out near 1,030:1 on runs of one byte, which is what zip bombs are
#: made of; workbook XML compresses 5-15 times and Shapefile geometry 1.5-4 times.
#: A Shapefile's ``.dbf`` is not judged by it: it pads every text value with spaces to
#: its field's width, so a table of short values in wide fields can compress 100-1000
#: times (it stays bounded by ``max_uncompressed_mb`` and ``max_rows``).
max_compression_ratio: float = 200.0
