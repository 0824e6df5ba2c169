"""Local copies of the JavaScript and CSS that folium would load from public CDNs.

folium's elements list their assets as ``(name, url)`` pairs in ``default_js`` and
``default_css``. Here every name cpgeo's maps may use is mapped to a file of an installed
XStatic package, so that a map draws with no internet access. Assets are given either as
``data:`` URIs (inlined: a standalone HTML file and the Streamlit component need nothing
else) or as URLs under a folder filled by :func:`copy_assets` (static file serving).

Assets that only style icons or popups (Bootstrap, Font Awesome, awesome-markers) are
dropped: cpgeo's maps draw no icon fonts and use plain Leaflet tooltips.
"""

from __future__ import annotations

import base64
import functools
import importlib
import re
from pathlib import Path

# folium link name -> (XStatic module, file inside its BASE_DIR)
_ASSETS: dict[str, tuple[str, str]] = {
    "leaflet": ("xstatic.pkg.leaflet", "leaflet.js"),
    "leaflet_css": ("xstatic.pkg.leaflet", "leaflet.css"),
    "jquery": ("xstatic.pkg.jquery", "jquery.min.js"),
    "markerclusterjs": ("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster.js"),
    "markerclustercss": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": (
        "xstatic.pkg.leaflet_markercluster",
        "MarkerCluster.Default.css",
    ),
}

#: folium link names that are deliberately not loaded (icon fonts, popup styling).
DROPPED: frozenset[str] = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)

_MIME = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
}
_SOURCE_MAP = re.compile(r"^\s*(//|/\*)# sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|https?:|#)([^'\")]+)\1\s*\)")


def asset_names() -> tuple[str, ...]:
    """Return the folium link names that have a local copy."""
    return tuple(_ASSETS)


def asset_path(name: str) -> Path:
    """Return the installed file for folium link ``name``.

    Raises
    ------
    KeyError
        If ``name`` has no local copy.

    """
    module_name, filename = _ASSETS[name]
    module = importlib.import_module(module_name)
    return Path(module.BASE_DIR) / filename


@functools.cache
def _text(name: str) -> str:
    """Return the asset's text, source-map comments removed and CSS images inlined."""
    path = asset_path(name)
    text = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
    if path.suffix == ".css":

        def inline(match: re.Match[str]) -> str:
            target = (path.parent / match.group(2)).resolve()
            if not target.is_file():
                return match.group(0)
            return f'url("{_data_uri(target.read_bytes(), _MIME[target.suffix])}")'

        text = _CSS_URL.sub(inline, text)
    return text


def _data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


@functools.cache
def asset_data_uri(name: str) -> str:
    """Return folium link ``name`` as a self-contained ``data:`` URI."""
    return _data_uri(_text(name).encode("utf-8"), _MIME[asset_path(name).suffix])


def asset_text(name: str) -> str:
    """Return the asset's text (CSS with its images inlined), for an inline tag."""
    return _text(name)


def local_links(
    links: list[tuple[str, str]], *, base_url: str | None = None
) -> list[tuple[str, str]]:
    """Map folium ``(name, url)`` asset pairs to local copies.

    Parameters
    ----------
    links
        An element's ``default_js`` or ``default_css``.
    base_url
        None for ``data:`` URIs; otherwise the URL of a folder filled by
        :func:`copy_assets` (e.g. ``"app/static/vendor"``).

    Returns
    -------
    list of (name, url)
        Local links; names in :data:`DROPPED` are left out.

    Raises
    ------
    ValueError
        If a link has no local copy and is not deliberately dropped (so that no map
        silently falls back to a CDN).

    """
    out: list[tuple[str, str]] = []
    for name, url in links:
        if name in DROPPED:
            continue
        if name not in _ASSETS:
            if url.startswith("data:"):
                out.append((name, url))
                continue
            msg = f"no local copy of the map asset {name!r} ({url}); cpgeo maps must work offline"
            raise ValueError(msg)
        if base_url is None:
            out.append((name, asset_data_uri(name)))
        else:
            out.append((name, f"{base_url.rstrip('/')}/{name}/{asset_path(name).name}"))
    return out


def copy_assets(dest: Path) -> Path:
    """Copy every local asset (CSS images inlined) into ``dest/<name>/``.

    For static file serving; the copy is made from the installed XStatic packages and
    is not meant to be committed. Returns ``dest``.
    """
    dest = Path(dest)
    for name in _ASSETS:
        folder = dest / name
        folder.mkdir(parents=True, exist_ok=True)
        src = asset_path(name)
        (folder / src.name).write_text(_text(name), encoding="utf-8")
    return dest
