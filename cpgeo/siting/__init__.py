"""Siting: candidate sites, covering models and office proposals.

The solvers take plain boolean coverage matrices (numpy or scipy.sparse; rows = demand
points, columns = candidate sites); :func:`propose_sites` builds them from a scenario.
"""

from cpgeo.siting._covering import greedy_mclp, solve_lscp, solve_mclp
from cpgeo.siting._result import SitingResult

__all__ = [
    "SitingResult",
    "greedy_mclp",
    "solve_lscp",
    "solve_mclp",
]
