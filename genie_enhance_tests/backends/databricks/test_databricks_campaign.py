"""Whole campaigns through `genie-enhance run --backend databricks`: the real CLI, the real `WorkspaceClient`
(unified auth from DATABRICKS_HOST/DATABRICKS_TOKEN) and HTTP, against the emulator serving a copy of the demo.

* the same final scores, versions and per-question verdicts as `--backend local` on the same data;
* with fail-rate 0.2 and a tight client rate limit the campaign finishes, retries what is retryable, reports
  `api_errors` for failures that persist, and never turns a service failure into a wrong answer;
* an edit made by someone else between export and apply is detected and survives: the campaign records it and
  rebases its batch onto it, `apply` refuses;
* the token never shows up in logs, output, the tracking store, the report, the final space or a proposal.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401  (registers every command on the app)
from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.cli.app import app
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.emulator import Emulator, FaultOptions
from genie_enhance.space.io import canonical_bytes, load_space, parse_space
from genie_enhance.tracking import TrackingStore

TOKEN = "dapi-h6-never-leak-9c41e7b2a05d38f6"
SPACE_ID = "01f0aa11bb22cc33dd44ee55ff667788"
WAREHOUSE_ID = "demo-warehouse-1"
BENCHMARK_FILE = DEMO_BENCHMARKS / "commerce.md"  # one demo file keeps the module fast (copied: see `shared`)
FAST = ["--poll-interval", "0.001", "--concurrency", "8", "--llm", "off", "--json",
        "--settle-s", "0", "--settle-slow-s", "0"]  # the emulator applies updates at once (no --propagation-s)
UNLIMITED = ["--rate-per-minute", "1000000"]
TIGHT_RATE = 900.0  # questions per minute: slower than the emulator answers, so the throttle shapes the traffic
LOGGERS = ("databricks.sdk", "urllib3", "genie_enhance", "openai", "httpx2", "dagster")


@dataclass
class Invocation:
    exit_code: int
    stdout: str
    stderr: str
    logs: str

    def summary(self) -> dict[str, Any]:
        assert self.exit_code == 0, self.stderr + self.stdout
        return json.loads(self.stdout.strip().splitlines()[-1])


@dataclass
class Shared:
    """Module state: the demo copy, every CLI invocation (for the leak check) and output directories."""

    root: Path
    warehouse: Path
    bare: Path
    benchmarks: Path
    invocations: list[Invocation] = field(default_factory=list)
    out_dirs: list[Path] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")


def _invoke(shared: Shared, args: list[str], host: str | None = None) -> Invocation:
    """Run the CLI in-process with unified auth from the environment only, every logger at DEBUG, collected."""
    env = {name: None for name in os.environ if name.startswith("DATABRICKS_")}
    env.update(DATABRICKS_CONFIG_FILE=str(shared.root / "no-databrickscfg"), OPENAI_BASE_URL=None, OPENAI_API_KEY=None,
               DAGSTER_HOME=str(shared.root / "dagster_home"))
    if host is not None:
        env.update(DATABRICKS_HOST=host, DATABRICKS_TOKEN=TOKEN)
    handler, root = _Collect(), logging.getLogger()
    saved = {name: (logging.getLogger(name).level, logging.getLogger(name).propagate) for name in LOGGERS}
    root.addHandler(handler)  # everything else, at its usual level
    for name in LOGGERS:  # these at DEBUG (the SDK logs every request and response), kept out of pytest's capture
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(handler)
    try:
        result = CliRunner().invoke(app, args, env=env)
    finally:
        root.removeHandler(handler)
        for name, (level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
    done = Invocation(result.exit_code, result.stdout, result.stderr, "\n".join(handler.lines))
    shared.invocations.append(done)
    return done


@pytest.fixture(scope="module")
def shared(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Shared:
    root = tmp_path_factory.mktemp("dbx-campaign")
    warehouse = root / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    bare = root / "space_bare.json"
    bare.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    benchmarks = root / BENCHMARK_FILE.name
    shutil.copy(BENCHMARK_FILE, benchmarks)  # one snapshot for every run of the module
    return Shared(root, warehouse, bare, benchmarks)


def _emulator(shared: Shared, **faults: Any) -> Emulator:
    """An emulator of the bare demo space (started and stopped by `with`)."""
    emulator, _ = Emulator.for_space(shared.warehouse, shared.bare, token=TOKEN, space_id=SPACE_ID,
                                     warehouse_id=WAREHOUSE_ID, faults=FaultOptions(**faults))
    return emulator


def _databricks_args(shared: Shared, out: Path, *extra: str, benchmarks: Path | None = None) -> list[str]:
    return ["run", "--backend", "databricks", "--space-id", SPACE_ID, "--warehouse-id", WAREHOUSE_ID,
            "--benchmarks", str(benchmarks or shared.benchmarks), "--out", str(out), *FAST, *extra]


def _subset(shared: Shared, count: int) -> Path:
    """The first `count` benchmarks as a JSON benchmark file (for tests about one mechanism, not about scores)."""
    path = shared.root / f"first_{count}.json"
    items = [{"id": b.id, "question": b.question, "expected_sql": b.expected_sql}
             for b in load_benchmarks(shared.benchmarks)[:count]]
    path.write_text(json.dumps({"benchmarks": items}), encoding="utf-8")
    return path


def _verdicts(out: Path) -> dict[str, dict[str, tuple[str, str | None]]]:
    """Config version id → question id → (verdict, category), for every iteration of the campaign in `out`."""
    store = TrackingStore(out / "tracking.duckdb")
    campaign = store.latest_campaign()
    found: dict[str, dict[str, tuple[str, str | None]]] = {}
    for it in store.history(campaign.campaign_id):
        found[it.config_version_id] = {r.question_id: (r.verdict, r.category)
                                       for r in store.results(campaign.campaign_id, it.iteration)}
    return found


@dataclass
class Campaign:
    out: Path
    summary: dict[str, Any]
    verdicts: dict[str, dict[str, tuple[str, str | None]]]
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def local_campaign(shared: Shared) -> Campaign:
    space = shared.root / "local_space.json"
    shutil.copy(shared.bare, space)
    out = shared.root / "out-local"
    done = _invoke(shared, ["run", "--backend", "local", "--warehouse", str(shared.warehouse), "--space", str(space),
                            "--benchmarks", str(shared.benchmarks), "--out", str(out), *FAST, *UNLIMITED])
    return Campaign(out, done.summary(), _verdicts(out))


@pytest.fixture(scope="module")
def databricks_campaign(shared: Shared, local_campaign: Campaign) -> Iterator[Campaign]:
    out = shared.root / "out-databricks"
    shared.out_dirs.append(out)
    with _emulator(shared) as emulator:
        summary = _invoke(shared, _databricks_args(shared, out, *UNLIMITED), emulator.host).summary()
        live = emulator.workspace.space(SPACE_ID).serialized_space
        # `rollback` shares the runtime wiring: restore the campaign's first version on the live space.
        first = TrackingStore(out / "tracking.duckdb").history(summary["campaign"])[0].config_version_id
        rolled = _invoke(shared, ["rollback", "--to", first, "--backend", "databricks", "--space-id", SPACE_ID,
                                  "--warehouse-id", WAREHOUSE_ID, "--out", str(out)], emulator.host)
        restored = emulator.workspace.space(SPACE_ID).space
    yield Campaign(out, summary, _verdicts(out), {"live": live, "rollback": rolled, "restored": restored})


def test_databricks_campaign_reaches_the_same_scores_as_local(databricks_campaign: Campaign, local_campaign: Campaign) -> None:
    db, local = databricks_campaign.summary, local_campaign.summary
    same = ("stop_reason", "iterations", "initial", "final", "best_version", "fixes_applied",
            "fixes_rejected", "rollbacks", "genie_calls", "holdout_ids")
    assert {k: db[k] for k in same} == {k: local[k] for k in same}
    assert db["final"]["all"] > db["initial"]["all"] + 0.3  # the campaign did improve the space
    assert db["api_errors"] == 0 == local["api_errors"]
    assert databricks_campaign.verdicts == local_campaign.verdicts  # every iteration, every question
    # Genie holds exactly the config the local campaign wrote to its file, and final_space.json says so.
    final = (databricks_campaign.out / "final_space.json").read_bytes()
    assert final == (local_campaign.out / "final_space.json").read_bytes()
    assert canonical_bytes(parse_space(databricks_campaign.extra["live"])) + b"\n" == final
    assert (databricks_campaign.out / "report.html").stat().st_size > 0


def test_rollback_restores_the_first_version_on_the_live_space(databricks_campaign: Campaign, shared: Shared) -> None:
    rolled = databricks_campaign.extra["rollback"]
    assert rolled.exit_code == 0, rolled.stderr
    assert canonical_bytes(databricks_campaign.extra["restored"]) == canonical_bytes(load_space(shared.bare))


@pytest.fixture(scope="module")
def faulty_campaign(shared: Shared, local_campaign: Campaign) -> Iterator[Campaign]:
    """fail-rate 0.2 (503, 429 + Retry-After, FAILED messages), a tight client rate, and two questions the service
    always fails: one retryable (times out every time), one not (content filter)."""
    benchmarks = load_benchmarks(shared.benchmarks)
    holdout = set(local_campaign.summary["holdout_ids"])
    # the first train question in file order is asked first, so its retries overlap the rest of the scoring
    timing_out = next(b for b in benchmarks if b.id not in holdout)
    filtered = next(b.question for b in benchmarks if b.id in holdout)
    out = shared.root / "out-faulty"
    shared.out_dirs.append(out)
    with _emulator(shared, fail_rate=0.2, retry_after_s=0, seed=11) as emulator:
        emulator.faults.fail_question(timing_out.question, "REPLY_PROCESS_TIMEOUT_EXCEPTION")
        emulator.faults.fail_question(filtered, "CONTENT_FILTER_EXCEPTION")
        # target 1: the always-failing holdout question keeps the campaign from converging, so both iterations run
        summary = _invoke(shared, _databricks_args(shared, out, "--max-iterations", "2", "--target", "1",
                                                   "--rate-per-minute", str(TIGHT_RATE)), emulator.host).summary()
        posts = emulator.requests("start-conversation")
    yield Campaign(out, summary, _verdicts(out), {"timing_out": (timing_out.id, timing_out.question),
                                                 "filtered": filtered, "posts": posts, "questions": len(benchmarks)})


def test_faults_never_count_as_wrong_answers(faulty_campaign: Campaign, local_campaign: Campaign) -> None:
    summary = faulty_campaign.summary
    assert summary["iterations"] == 2 and summary["stop_reason"] == "max_iterations"
    # Two questions fail every time in each iteration: reported as api_errors, apart from wrong answers.
    assert summary["api_errors"] >= 2 * summary["iterations"]
    compared = 0
    for version, theirs in faulty_campaign.verdicts.items():
        clean = local_campaign.verdicts.get(version)
        if clean is None:
            continue  # a config the clean run never scored (the failures changed what was proposed)
        compared += 1
        for qid, (verdict, category) in theirs.items():
            if (verdict, category) != clean[qid]:
                assert (verdict, category) in (("error", "api_error"), ("error", "timeout")), (qid, verdict, category)
    assert compared >= 1  # at least the bare space was scored by both runs
    timing_out_id, _ = faulty_campaign.extra["timing_out"]
    for per_question in faulty_campaign.verdicts.values():
        assert per_question[timing_out_id] == ("error", "timeout")


def test_faulty_campaign_retries_what_is_retryable_within_the_rate(faulty_campaign: Campaign) -> None:
    posts, summary = faulty_campaign.extra["posts"], faulty_campaign.summary
    _, timing_out = faulty_campaign.extra["timing_out"]
    accepted = [r.body["content"] for r in posts if r.status == 200]
    # the retryable failure was asked 1 + 3 retries times per iteration; the content-filtered one never again
    assert accepted.count(timing_out) == 4 * summary["iterations"]
    assert accepted.count(faulty_campaign.extra["filtered"]) == summary["iterations"]
    rejected = [r for r in posts if r.status in (429, 503)]
    assert rejected, "the fault injection rejected some question POSTs (the SDK retried them)"
    questions = faulty_campaign.extra["questions"]
    assert summary["genie_calls"] == len(accepted) > questions * summary["iterations"] + 3 * summary["iterations"]
    # the client throttle held: every ask (retries included) waited for its token, TIGHT_RATE per minute
    times = sorted(r.at for r in posts if r.status == 200)
    assert times[-1] - times[0] >= (len(times) - 1) * 60.0 / TIGHT_RATE * 0.95


@pytest.fixture(scope="module")
def concurrent_edit(shared: Shared) -> Iterator[dict[str, Any]]:
    """A campaign and an `apply`, each facing an edit made by someone else between its export and its update."""
    out = shared.root / "out-concurrent"
    shared.out_dirs.append(out)
    benchmarks = _subset(shared, 20)
    with _emulator(shared) as emulator:
        emulator.faults.arm_concurrent_edit(skip=2)  # the admission check: catalog, space
        campaign = _invoke(shared, _databricks_args(shared, out, *UNLIMITED, "--max-iterations", "3",
                                                    benchmarks=benchmarks), emulator.host)
        after_campaign = emulator.workspace.space(SPACE_ID).space
        patches_campaign = [r.status for r in emulator.requests("update-space")]
    campaign_out, out = out, shared.root / "out-concurrent-apply"  # `apply` faces an edit on a fresh bare space
    shared.out_dirs.append(out)
    with _emulator(shared) as emulator:
        dry = _invoke(shared, _databricks_args(shared, out, *UNLIMITED, "--dry-run", benchmarks=benchmarks),
                      emulator.host)
        emulator.faults.arm_concurrent_edit(skip=2)  # the admission check: catalog, space
        applied = _invoke(shared, ["apply", "--proposal", str(out / "proposal.json"), "--backend", "databricks",
                                   "--space-id", SPACE_ID, "--warehouse-id", WAREHOUSE_ID, "--out", str(out)],
                          emulator.host)
        after_apply = emulator.workspace.space(SPACE_ID).space
        patches = [r.status for r in emulator.requests("update-space")]
    yield {"out": campaign_out, "campaign": campaign, "after_campaign": after_campaign,
           "patches_campaign": patches_campaign, "dry": dry, "apply": applied, "after_apply": after_apply, "patches": patches}


def _edits(space) -> list[str]:
    return [q.question[0] for q in space.config.sample_questions if q.question[0].startswith("Concurrent edit")]


def test_concurrent_edit_during_a_campaign_is_recorded_and_the_batch_rebased(concurrent_edit: dict[str, Any],
                                                                            shared: Shared) -> None:
    summary = concurrent_edit["campaign"].summary()
    patches = concurrent_edit["patches_campaign"]
    assert patches[:2] == [409, 200]  # the stale etag refused, then the rebased batch written with the new one
    assert summary["fixes_applied"] > 0 and summary["stop_reason"] != "concurrent_edit"
    live = concurrent_edit["after_campaign"]
    assert len(_edits(live)) == 1  # the other party's edit is there …
    bare = load_space(shared.bare)
    assert live.instructions != bare.instructions or live.data_sources != bare.data_sources  # … and our fixes
    store = TrackingStore(concurrent_edit["out"] / "tracking.duckdb")
    events = [e for e in store.events(summary["campaign"]) if e.kind == "concurrent_edit"]
    assert len(events) == 1 and "changed since it was exported" in events[0].message and "rebasing" in events[0].message
    external = [v for v in store.versions(summary["campaign"]) if v.source == "external"]
    assert [v.iteration for v in external] == [1]
    first = store.history(summary["campaign"])[0]
    assert first.fixes_applied > 0 and first.decision == "continue"  # iteration 1 went on: not `no_fixes`
    assert [v.parent_id for v in store.versions(summary["campaign"]) if v.version_id == first.applied_version_id] \
        == [external[0].version_id]  # the batch was applied on top of their version
    assert _edits(load_space(Path(summary["final_space"]))) == _edits(live)


def test_concurrent_edit_before_apply_is_refused(concurrent_edit: dict[str, Any]) -> None:
    dry = concurrent_edit["dry"]
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout.strip().splitlines()[-1])["fixes"] > 0
    applied = concurrent_edit["apply"]
    assert applied.exit_code == 2
    assert "changed since it was exported" in applied.stderr and "nothing was written" in applied.stderr
    assert concurrent_edit["patches"] == [409]  # never a successful write over the other party's edit
    assert len(_edits(concurrent_edit["after_apply"])) == 1  # the other party's edit survives


def test_the_token_never_leaks(shared: Shared, databricks_campaign: Campaign, faulty_campaign: Campaign,
                               concurrent_edit: dict[str, Any]) -> None:
    logs = "\n".join(i.logs for i in shared.invocations)
    assert "databricks.sdk DEBUG" in logs and "/api/2.0/genie/spaces" in logs  # the SDK's request log was captured
    for invocation in shared.invocations:
        for text in (invocation.stdout, invocation.stderr, invocation.logs):
            assert TOKEN not in text
    files = [concurrent_edit["out"] / "proposal.json"]
    for out in shared.out_dirs:
        files += [out / "tracking.duckdb", out / "report.html", out / "final_space.json"]
    files += [p for p in (shared.root / "dagster_home").rglob("*") if p.is_file()]  # the CLI's Dagster instance
    checked = [path for path in files if path.exists()]
    assert len(checked) >= 12
    for path in checked:
        data = path.read_bytes()
        assert TOKEN.encode() not in data, path
        assert TOKEN[5:].encode() not in data, path  # not even without its prefix
