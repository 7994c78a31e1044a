"""Proposers turn diagnosed train failures into config fixes: the heuristic (SQL-diff, data-grounded) proposer,
the LLM proposer (`llm_proposer`), the leakage guard and the pipeline that runs them as one batch."""

from genie_enhance.proposers.base import Proposal, ProposalSet, Proposer, ProposerContext
from genie_enhance.proposers.guard import LeakageGuard, assert_no_leakage
from genie_enhance.proposers.heuristic import HeuristicProposer
from genie_enhance.proposers.pipeline import propose_all

__all__ = [
    "HeuristicProposer",
    "LeakageGuard",
    "Proposal",
    "ProposalSet",
    "Proposer",
    "ProposerContext",
    "assert_no_leakage",
    "propose_all",
]
