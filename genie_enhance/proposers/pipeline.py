"""Run the proposers in order and turn their output into one clean batch of proposals.

Order of the steps, and why:
1. the heuristic proposer first (grounded, free, deterministic), then the others (e.g. the LLM proposer) only for
   the train failures no earlier proposal targets — cheap and trusted fixes win, the LLM fills the gaps;
2. dedupe by `fix.key` (the first proposal wins);
3. drop blocked fixes (reverted or found invalid earlier in the campaign) and fixes that would not change the
   space — applied in order onto the current config, so a fix made redundant by an earlier one of the same batch
   goes too;
4. the leakage guard, so nothing that reaches the config carries a holdout question, its SQL or its answer: its
   text rules judge every proposal before step 3 (a leaking fix is never applied to the running space, so it
   cannot hide a later fix as a no-op), its result rule — a query on the warehouse — only the fixes step 3 would
   keep, just before they are kept;
5. optionally cap the batch at `max_fixes`.
Every dropped proposal is returned with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from genie_enhance.errors import FixError
from genie_enhance.proposers.base import Proposal, ProposalSet, Proposer, ProposerContext
from genie_enhance.proposers.guard import LeakageGuard, leakage_reason


def _ordered(proposers: Sequence[Proposer]) -> list[Proposer]:
    """Heuristic proposers first, the rest in the given order."""
    return sorted(proposers, key=lambda p: 0 if getattr(p, "name", "") == "heuristic" else 1)


def _gather(ctx: ProposerContext, proposers: Sequence[Proposer]) -> list[Proposal]:
    gathered: list[Proposal] = []
    for index, proposer in enumerate(_ordered(proposers)):
        context = ctx
        if index > 0:
            addressed = {qid for p in gathered for qid in p.question_ids}
            left = [(r, d) for r, d in ctx.train_failures if r.id not in addressed]
            if not left:
                break
            context = ctx.model_copy(update={"train_failures": left})
        gathered += proposer.propose(context)
    return gathered


def propose_all(
    ctx: ProposerContext,
    proposers: Sequence[Proposer],
    guard: LeakageGuard,
    *,
    max_fixes: int | None = None,
) -> ProposalSet:
    """The kept proposals (in order) and every rejected one with its reason."""
    rejected: list[tuple[Proposal, str]] = []
    unique: list[Proposal] = []
    seen: dict[str, Proposal] = {}
    for proposal in _gather(ctx, proposers):
        first = seen.get(proposal.fix.key)
        if first is not None:
            rejected.append((proposal, f"duplicate of a fix already proposed by {first.proposer}"))
            continue
        seen[proposal.fix.key] = proposal
        unique.append(proposal)
    leaks = {id(p): leak for p in unique if (leak := guard.inspect(p, results=False)) is not None}
    kept: list[Proposal] = []
    space = ctx.space
    for proposal in unique:
        if id(proposal) in leaks:
            continue  # judged last, below; never applied to the running space
        blocked = ctx.blocked_reasons.get(proposal.fix.key) or ("this fix was reverted earlier in the campaign"
                                                                if proposal.fix.key in ctx.blocked_keys else None)
        if blocked:
            rejected.append((proposal, f"blocked: {blocked}"))
            continue
        try:
            candidate = proposal.fix.apply(space)
        except FixError as exc:
            rejected.append((proposal, f"cannot apply: {exc}"))
            continue
        if candidate.model_dump(mode="json") == space.model_dump(mode="json"):
            rejected.append((proposal, "no-op: the current space already has this"))
            continue
        leak = guard.result_leak(proposal) if max_fixes is None or len(kept) < max_fixes else None  # over the cap
        if leak is not None:
            leaks[id(proposal)] = leak
            continue
        space = candidate
        kept.append(proposal)
    rejected += [(p, leakage_reason(leaks[id(p)])) for p in unique if id(p) in leaks]
    if max_fixes is not None and len(kept) > max_fixes:
        rejected += [(p, f"over the cap of {max_fixes} fixes per batch") for p in kept[max_fixes:]]
        kept = kept[:max_fixes]
    return ProposalSet(kept=kept, rejected=rejected)
