"""Siting: candidate sites, covering models and office proposals.

The solvers take plain boolean coverage matrices (numpy or scipy.sparse; rows = demand
points, columns = candidate sites); :func:`propose_sites` builds them from a scenario.
"""

from cpgeo.siting._covering import greedy_mclp, solve_lscp, solve_mclp
from cpgeo.siting._result import SitingResult
from cpgeo.siting.candidates import (
    CANDIDATE_TYPES,
    NEW_BUILD_COST,
    REHAB_COST,
    candidate_sites,
)
from cpgeo.siting.propose import Proposal, plan_sites, propose_sites
from cpgeo.siting.sensitivity import Sensitivity, sensitivity

__all__ = [
    "CANDIDATE_TYPES",
    "NEW_BUILD_COST",
    "REHAB_COST",
    "Proposal",
    "Sensitivity",
    "SitingResult",
    "candidate_sites",
    "greedy_mclp",
    "plan_sites",
    "propose_sites",
    "sensitivity",
    "solve_lscp",
    "solve_mclp",
]
