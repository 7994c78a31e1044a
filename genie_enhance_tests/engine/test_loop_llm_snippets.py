"""An LLM proposing snippets that read files: `genie-enhance run --llm on` (a subprocess, local backend) against
the scripted chat-completions server. The expression `(SELECT * FROM read_csv('/etc/passwd'))` and the measure
`SUM((SELECT COUNT(*) FROM read_text('/etc/passwd')))` are refused by validation (deny list) and never applied;
a fair measure in the same reply is applied. The refusal names the function."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.loop_world import Q_BUSY_DAYS, Q_FREQUENT, cli_command, cli_env, make_world, qid
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, text

API_KEY = "sk-scripted-5d1e0b77c2a94f31bb08"
READ_CSV = {"type": "add_sql_snippet", "kind": "expression", "alias": "passwd_rows",
            "sql": "(SELECT * FROM read_csv('/etc/passwd'))", "rationale": "more context",
            "question_ids": [qid(Q_FREQUENT)]}
READ_TEXT = {"type": "add_sql_snippet", "kind": "measure", "alias": "passwd_count",
             "sql": "SUM((SELECT COUNT(*) FROM read_text('/etc/passwd')))", "rationale": "a useful count",
             "question_ids": [qid(Q_BUSY_DAYS)]}
FAIR = {"type": "add_sql_snippet", "kind": "measure", "alias": "gross_revenue",
        "sql": "SUM(orders.gross_amt_usd)", "rationale": "revenue is gross amount",
        "question_ids": [qid(Q_FREQUENT)]}
REPLY = json.dumps({"fixes": [READ_CSV, READ_TEXT, FAIR], "notes": "snippets"})


def test_file_reading_snippets_from_the_llm_are_refused_and_never_applied(tmp_path: Path, demo_db: Path) -> None:
    world = make_world(tmp_path, demo_db, derived=True)
    with ScriptedOpenAI(fallback=text(REPLY, 200, 40)) as server:
        env = cli_env(world, OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=server.base_url)
        args = world.run_args("--llm", "on", "--json", "--target", "0.95", "--max-iterations", "2")
        done = subprocess.run([*cli_command(), *args], capture_output=True, text=True, env=env, cwd=world.root,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert server.requests, ("precondition: the LLM proposer was asked", done.stdout[-3000:], done.stderr[-2000:])
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    store = TrackingStore(world.tracking)
    by_sql = {f.payload.get("sql"): f for f in store.fixes(summary["campaign"])
              if f.fix_type == "add_sql_snippet" and (f.proposer or "").startswith("llm:")}
    for bad, function in ((READ_CSV, "read_csv"), (READ_TEXT, "read_text")):
        fix = by_sql[bad["sql"]]
        assert fix.status == "invalid", (fix.status, fix.status_reason)
        assert "denied_function" in fix.status_reason and function in fix.status_reason
    assert by_sql[FAIR["sql"]].status in ("applied", "kept")
    final = Path(summary["final_space"]).read_text(encoding="utf-8")
    live = world.space.read_text(encoding="utf-8")
    assert "SUM(orders.gross_amt_usd)" in final
    for text_ in (final, live):
        assert "read_csv" not in text_ and "read_text" not in text_ and "/etc/passwd" not in text_
