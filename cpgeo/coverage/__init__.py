"""Geodesic coverage: distances, radius membership, office load and forum assignment.

Every distance is the geodesic on the WGS84 ellipsoid in kilometres; every radius test is
inclusive (``<= radius_km``) and exact: a KD-tree on ECEF coordinates proposes candidates
and the exact geodesic settles the pairs the chord bounds cannot.
"""

from __future__ import annotations

from cpgeo.coverage._community import community_coverage, governorate_summary
from cpgeo.coverage._geodesic import geodesic_km
from cpgeo.coverage._index import coverage_matrix, nearest, pairs_within
from cpgeo.coverage._load import CPF_STATUSES, CpfAssignment, assign_cpfs, cpf_status, office_load
from cpgeo.coverage.network import network_coverage, road_coverage_matrix

__all__ = [
    "CPF_STATUSES",
    "CpfAssignment",
    "assign_cpfs",
    "community_coverage",
    "coverage_matrix",
    "cpf_status",
    "geodesic_km",
    "governorate_summary",
    "nearest",
    "network_coverage",
    "office_load",
    "pairs_within",
    "road_coverage_matrix",
]
