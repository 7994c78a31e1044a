"""What a seeded offline demo campaign decided, as plain data: the trace `test_loop_scale` compares with the one
recorded from main before the loop's scale work (`fixtures/demo_campaign_traces.json`).

Regenerate (only when a change of behaviour is intended):
`.venv/bin/python -m genie_enhance_tests.engine.campaign_trace`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from genie_enhance.demo.build import DEMO_BENCHMARKS, build_demo, fresh_working_space
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import run_campaign
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance_tests.support.paths import FIXTURES

TRACES = FIXTURES / "demo_campaign_traces.json"
SEEDS = (0, 1)
MAX_ITERATIONS = 3


def campaign_trace(root: Path, seed: int) -> dict[str, Any]:
    """Run the demo campaign (bare space, `seed`, at most `MAX_ITERATIONS`) through the engine; what it decided."""
    files = build_demo(root / "demo")
    space = fresh_working_space(files)
    settings = CampaignSettings(space_key="demo", benchmarks=str(DEMO_BENCHMARKS), seed=seed,
                                max_iterations=MAX_ITERATIONS)
    rt = build_runtime(settings, local_backend(files.warehouse, space, seed=seed), root / "out")
    try:
        campaign_id = run_campaign(rt, new=True)
        store = rt.tracking
        iterations = [{
            "iteration": h.iteration, "decision": h.decision, "reason": h.decision_reason, "stop": h.stop_reason,
            "scores": [h.score_train, h.score_holdout, h.score_all], "config": h.config_version_id,
            "applied": h.applied_version_id, "counts": [h.fixes_proposed, h.fixes_applied, h.fixes_rejected],
            "fixes": sorted([f.fix_key, f.status, f.status_reason] for f in store.fixes(campaign_id, h.iteration)),
            "results": sorted([r.question_id, r.verdict, r.category] for r in store.results(campaign_id, h.iteration)),
        } for h in store.history(campaign_id)]
        final = store.campaign(campaign_id)
        return {"seed": seed, "stop_reason": final.stop_reason, "best": final.best_version_id,
                "iterations": iterations}
    finally:
        rt.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        traces = [campaign_trace(Path(tmp) / f"seed{seed}", seed) for seed in SEEDS]
    TRACES.write_text(json.dumps(traces, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {TRACES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
