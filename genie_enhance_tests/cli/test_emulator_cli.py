"""`genie-enhance emulator`: prints one JSON line when ready, serves the real SDK, stops cleanly on SIGINT and
SIGTERM, and refuses bad input with a clear message (exit 2)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genie_enhance.cli import app
from genie_enhance_tests.support.emulator import TOKEN, client_for, emulator_space

CLI = Path(sys.executable).with_name("genie-enhance")


class _Host:
    """Just enough of an `Emulator` for `client_for`."""

    def __init__(self, host: str) -> None:
        self.host = host


@pytest.mark.parametrize(("stop_signal", "token_from_env"), [(signal.SIGINT, False), (signal.SIGTERM, True)])
def test_cli_prints_its_address_serves_and_stops_on_signal(emulator_files, stop_signal, token_from_env) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    args = [str(CLI), "emulator", "--port", "0", "--warehouse", str(emulator_files.warehouse),
            "--space", str(emulator_files.space), "--space-id", "ab" * 16, "--warehouse-id", "wh01", "--seed", "3"]
    if token_from_env:
        env["DATABRICKS_TOKEN"] = TOKEN
    else:
        args += ["--token", TOKEN]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "the emulator did not print its address within 60 s"
        info = json.loads(proc.stdout.readline())
        assert info["host"].startswith("http://127.0.0.1:") and not info["host"].endswith(":0")
        assert (info["space_id"], info["warehouse_id"]) == ("ab" * 16, "wh01")
        w = client_for(_Host(info["host"]))
        assert w.genie.get_space(info["space_id"]).title == "emu_space"
        result = w.statement_execution.execute_statement(statement="SELECT COUNT(*) FROM emu.sales.customers",
                                                         warehouse_id=info["warehouse_id"])
        assert result.result.data_array == [["5"]]
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == "" and "emulator stopped" in err and TOKEN not in err


def test_cli_requires_a_token(emulator_files, monkeypatch) -> None:
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["emulator", "--warehouse", str(emulator_files.warehouse), "--space", str(emulator_files.space)])
    assert result.exit_code == 2 and "DATABRICKS_TOKEN" in result.output


def test_cli_rejects_missing_files_and_invalid_spaces(emulator_files, tmp_path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["emulator", "--warehouse", str(tmp_path / "none.duckdb"), "--space",
                                  str(emulator_files.space), "--token", TOKEN])
    assert missing.exit_code == 2 and "none.duckdb" in missing.output
    doc = emulator_space()
    doc["data_sources"]["tables"].reverse()
    unsorted = tmp_path / "unsorted.json"
    unsorted.write_text(json.dumps(doc), encoding="utf-8")
    rejected = runner.invoke(app, ["emulator", "--warehouse", str(emulator_files.warehouse), "--space", str(unsorted),
                                   "--token", TOKEN])
    assert rejected.exit_code == 2 and "data_sources.tables" in rejected.output and TOKEN not in rejected.output


def _answer(w, space_id: str, question: str) -> str | None:
    """The SQL Genie answered `question` with (None when it answered without SQL)."""
    started = w.genie.start_conversation(space_id, question).response
    for _ in range(10):
        message = w.genie.get_message(space_id, started.conversation_id, started.message_id)
        if message.status.value in ("COMPLETED", "FAILED"):
            break
    queries = [a.query.query for a in message.attachments or [] if a.query is not None]
    return queries[0] if queries else None


def test_cli_propagation_answers_from_the_previous_config_for_n_seconds(emulator_files) -> None:
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    args = [str(CLI), "emulator", "--port", "0", "--warehouse", str(emulator_files.warehouse),
            "--space", str(emulator_files.space), "--token", TOKEN, "--propagation-s", "5"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "the emulator did not print its address within 60 s"
        info = json.loads(proc.stdout.readline())
        w = client_for(_Host(info["host"]))
        question = "What is the total revenue?"
        before = _answer(w, info["space_id"], question)
        assert before is not None and "amount" in before  # the synonym `revenue` → orders.amount
        space = w.genie.get_space(info["space_id"], include_serialized_space=True)
        doc = json.loads(space.serialized_space)
        for table in doc["data_sources"]["tables"]:
            for column in table.get("column_configs", []):
                column.pop("synonyms", None)
        w.genie.update_space(info["space_id"], serialized_space=json.dumps(doc), etag=space.etag)
        updated = time.monotonic()
        assert _answer(w, info["space_id"], question) == before  # still the previous config
        assert time.monotonic() - updated < 5, "the check above must run within the propagation window"
        time.sleep(max(0.0, updated + 5.1 - time.monotonic()))
        assert _answer(w, info["space_id"], question) != before  # the new config is in effect
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
