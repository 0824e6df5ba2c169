"""The scenario: every layer of one planning question, as GeoDataFrames in EPSG:4326."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

ILLUSTRATIVE_NOTICE = (
    "ILLUSTRATIVE DATA: the demo offices, forums and candidate stations are invented for "
    "demonstration, placed at real towns; they are not the programme's real sites."
)


@dataclass(frozen=True)
class Scenario:
    """Layers of one planning question.

    Attributes
    ----------
    boundaries
        Governorate polygons: ``id`` (ISO 3166-2), ``name``, ``governorate``, geometry.
    communities
        Points with ``id``, ``name``, ``governorate``, ``population`` (integer >= 0).
    offices
        Community Police Offices: ``id``, ``name``, ``governorate``; optional
        ``established`` and ``donor``.
    cpfs
        Community Policing Forums: ``id``, ``name``, ``governorate``; optional ``office_id``,
        ``established`` and ``donor``.
    stations
        Police stations that could be rehabilitated as offices, or None.
    illustrative
        True when offices / forums / stations are invented demo data.
    sources
        Layer name -> one-line provenance (source, licence, date).
    """

    boundaries: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    offices: gpd.GeoDataFrame
    cpfs: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame | None = None
    illustrative: bool = False
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def notice(self) -> str:
        """The illustrative-data notice, or an empty string for real data."""
        return ILLUSTRATIVE_NOTICE if self.illustrative else ""

    def with_layers(self, **layers: gpd.GeoDataFrame | None) -> Scenario:
        """Return a copy with some layers replaced (e.g. user uploads over the demo)."""
        return replace(self, **layers)  # type: ignore[arg-type]
