"""The scenario: every layer of one planning question, as GeoDataFrames in EPSG:4326."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

#: Layers that can be illustrative (invented demo data), and how a notice names them.
ILLUSTRATIVE_LAYER_NAMES: dict[str, str] = {
    "offices": "offices",
    "cpfs": "forums",
    "stations": "candidate police stations",
}

_POINT_LAYERS = ("communities", "offices", "cpfs", "stations")


def illustrative_notice(layers: tuple[str, ...], lang: str = "en") -> str:
    """Return the notice naming exactly the illustrative ``layers`` ("" for none).

    ``lang`` is one of :data:`cpgeo.i18n.LANGUAGES`; the English words ILLUSTRATIVE
    DATA stay at the head of every language's notice, so that it reads the same to
    anyone who forwards a screen or file.
    """
    names = [ILLUSTRATIVE_LAYER_NAMES[k] for k in ILLUSTRATIVE_LAYER_NAMES if k in layers]
    if not names:
        return ""
    if lang != "en":
        from cpgeo.i18n import gettext

        listed = "، ".join(gettext(name, lang) for name in names)
        return "ILLUSTRATIVE DATA · " + gettext(
            "the demo layers in use ({layers}) are invented for demonstration, placed at "
            "real towns; they are not the programme's real sites.",
            lang,
        ).format(layers=listed)
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"ILLUSTRATIVE DATA: the demo {listed} in use are invented for demonstration, "
        "placed at real towns; they are not the programme's real sites."
    )


@dataclass(frozen=True)
class Scenario:
    """Layers of one planning question.

    Attributes
    ----------
    boundaries
        Governorate polygons: ``id`` (ISO 3166-2), ``name``, ``governorate``, geometry;
        or administrative areas at any level with P-codes (:mod:`cpgeo.admin`), whose
        districts every point layer then carries.
    communities
        Points with ``id``, ``name``, ``governorate``, ``population`` (integer >= 0, NA
        when unknown).
    offices
        Community Police Offices: ``id``, ``name``, ``governorate``; optional
        ``established`` and ``donor``.
    cpfs
        Community Policing Forums: ``id``, ``name``, ``governorate``; optional ``office_id``,
        ``established`` and ``donor``.
    stations
        Police stations that could be rehabilitated as offices, or None.
    illustrative_layers
        Names of the layers that are invented demo data (of ``"offices"``, ``"cpfs"``,
        ``"stations"``); empty for the user's own data.
    sources
        Layer name -> one-line provenance (source, licence, date).
    """

    boundaries: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    offices: gpd.GeoDataFrame
    cpfs: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame | None = None
    illustrative_layers: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def illustrative(self) -> bool:
        """True when some layer in use is invented demo data."""
        return bool(self.illustrative_layers)

    @property
    def notice(self) -> str:
        """The illustrative-data notice naming the demo layers in use, or ``""``."""
        return illustrative_notice(self.illustrative_layers)

    def notice_in(self, lang: str) -> str:
        """Return the illustrative-data notice in ``lang`` (:func:`illustrative_notice`)."""
        return illustrative_notice(self.illustrative_layers, lang)

    def with_layers(self, **layers: gpd.GeoDataFrame | None) -> Scenario:
        """Return a copy with some layers replaced, keeping their provenance as it was."""
        return replace(self, **layers)  # type: ignore[arg-type]

    def with_user_layers(
        self, layers: Mapping[str, gpd.GeoDataFrame], sources: Mapping[str, str]
    ) -> Scenario:
        """Return a copy with the user's own ``layers`` in place of the ones here.

        The replaced layers are no longer illustrative and take their provenance from
        ``sources`` (layer name -> e.g. ``"user file offices.csv"``).
        """
        unknown = set(layers) - {"boundaries", *_POINT_LAYERS}
        if unknown:
            msg = f"unknown layer(s) {', '.join(sorted(unknown))}"
            raise ValueError(msg)
        merged = dict(self.sources)
        merged.update({k: sources.get(k, f"user data ({k})") for k in layers})
        out = replace(
            self,
            illustrative_layers=tuple(k for k in self.illustrative_layers if k not in layers),
            sources=merged,
            **layers,  # type: ignore[arg-type]
        )
        return out.with_areas()

    def with_areas(self) -> Scenario:
        """Return a copy whose point layers carry their districts (see :mod:`cpgeo.admin`).

        Only when the boundaries are districts or sub-districts; a layer that already
        has district columns is kept as it is.
        """
        from cpgeo.admin import attach_areas, has_districts

        if not has_districts(self.boundaries):
            return self
        changed = {}
        for kind in _POINT_LAYERS:
            layer = getattr(self, kind)
            if layer is not None and "district_pcode" not in layer.columns:
                changed[kind] = attach_areas(layer, self.boundaries)
        return replace(self, **changed) if changed else self
