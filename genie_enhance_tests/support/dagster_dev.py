"""A real `dagster dev` for tests: started on a free port with a fresh DAGSTER_HOME, driven over GraphQL, stopped
cleanly with every process it spawned accounted for.

`dagster dev` runs five long-lived processes (itself, the webserver, the daemon, the code-server proxy and the gRPC
code server) plus one worker per run. It shuts them all down on SIGINT to the `dagster dev` process only; a
signal to the whole group makes the children race their parent's shutdown and hang (dagster_notes §4). SIGINT is
reset to its default in the child because a test runner started as a background job inherits it ignored, and a
Python that starts with SIGINT ignored never raises KeyboardInterrupt. The server gets its own session, so every
process it spawned can be found afterwards by session id, even one re-parented to init.

Usage: tests take the session's shared server (`dagster_dev_session`, registered in defs/conftest.py):
    server = dagster_dev_session.get()          # started on first use, ready (code location loaded)
    run_id = server.launch_run("start_campaign", {"ops": {...}})
    server.wait_for_run(run_id, timeout_s=60)
    assert stop_problems(server) == []          # SIGINT, every process gone, port free
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WORKSPACE = REPO / "workspace.yaml"
COMMITTED_INSTANCE_YAML = REPO / "dagster_home" / "dagster.yaml"
DAGSTER = Path(sys.executable).with_name("dagster")
TERMINAL_RUN_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})

_WORKSPACE_QUERY = """{
  workspaceOrError {
    __typename
    ... on PythonError { message }
    ... on Workspace { locationEntries { name loadStatus locationOrLoadError {
      __typename
      ... on PythonError { message stack }
      ... on RepositoryLocation { repositories { name } }
    } } }
  }
}"""
_RUN_FIELDS = """runId jobName status creationTime startTime endTime tags { key value }
  stats { __typename ... on RunStatsSnapshot { launchTime startTime endTime stepsSucceeded stepsFailed } }"""
_LAUNCH = """mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"""
_RUNS = f"""query Runs($filter: RunsFilter, $limit: Int) {{
  runsOrError(filter: $filter, limit: $limit) {{
    __typename
    ... on Runs {{ results {{ {_RUN_FIELDS} }} }}
    ... on PythonError {{ message }}
    ... on InvalidPipelineRunsFilterError {{ message }}
  }}
}}"""
_PARTITION_KEYS = """query Keys($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    __typename
    ... on AssetNode { partitionKeys }
    ... on AssetNotFoundError { message }
  }
}"""
_SENSOR = """query Sensor($selector: SensorSelector!, $limit: Int) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { minIntervalSeconds sensorState { status ticks(limit: $limit) {
      status timestamp skipReason runKeys cursor error { message }
    } } }
    ... on PythonError { message }
    ... on SensorNotFoundError { message }
  }
}"""
_MATERIALIZATIONS = """query Mats($key: AssetKeyInput!, $limit: Int) {
  assetOrError(assetKey: $key) {
    __typename
    ... on Asset { assetMaterializations(limit: $limit) {
      runId partition timestamp metadataEntries {
        label __typename
        ... on TextMetadataEntry { text }
        ... on FloatMetadataEntry { floatValue }
        ... on IntMetadataEntry { intValue }
        ... on BoolMetadataEntry { boolValue }
        ... on MarkdownMetadataEntry { mdStr }
        ... on JsonMetadataEntry { jsonString }
      }
    } }
    ... on AssetNotFoundError { message }
  }
}"""

_FAILURES = """query Failures($runId: ID!) {
  logsForRun(runId: $runId, limit: 1000) {
    __typename
    ... on EventConnection { events {
      __typename
      ... on ExecutionStepFailureEvent { stepKey error { message } }
      ... on RunFailureEvent { message }
    } }
  }
}"""


class DagsterDevError(RuntimeError):
    """The server did not start, a GraphQL call failed, or a wait ran out of time (with the log tail)."""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_bound(port: int) -> bool:
    """Whether something still listens on `port` (SO_REUSEADDR: a closed socket in TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def prepare_home(home: Path, instance_yaml: Path = COMMITTED_INSTANCE_YAML) -> Path:
    """A fresh DAGSTER_HOME holding a copy of the committed instance config.

    The UI's one-time "Join the Dagster community" dialog is marked as seen (what dismissing it writes), so it
    does not cover the page in browser tests.
    """
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(instance_yaml, home / "dagster.yaml")
    (home / ".nux").mkdir(exist_ok=True)
    (home / ".nux" / "nux.yaml").write_text("seen: 1\n", encoding="utf-8")
    return home


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    session: int
    state: str
    command: str


def _read_stat(pid: int) -> ProcessInfo | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw_cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    rest = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp session ...
    command = raw_cmd.replace(b"\0", b" ").decode(errors="replace").strip()
    return ProcessInfo(pid, int(rest[1]), int(rest[3]), rest[0], command)


def session_processes(session: int) -> list[ProcessInfo]:
    """Live (non-zombie) processes of a session: everything `dagster dev` spawned, re-parented or not."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _read_stat(int(entry.name))
            if info is not None and info.session == session and info.state != "Z":
                found.append(info)
    return sorted(found, key=lambda p: p.pid)


def _default_sigint() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class StopReport:
    seconds: float
    returncode: int | None
    orphans: list[ProcessInfo] = field(default_factory=list)  # killed by us after the grace period
    port_bound: bool = False


@dataclass
class DagsterDev:
    """A running `dagster dev` and a small GraphQL client for it."""

    process: subprocess.Popen
    port: int
    home: Path
    log_path: Path
    location: str = ""
    repository: str = ""
    processes_at_ready: list[ProcessInfo] = field(default_factory=list)
    stop_report: StopReport | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- GraphQL -----------------------------------------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, timeout_s: float = 30) -> dict:
        """POST one query; the `data` dict, or DagsterDevError naming the GraphQL errors."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise DagsterDevError(f"GraphQL HTTP {exc.code}: {exc.read()[:2000]!r}") from exc
        if payload.get("errors"):
            raise DagsterDevError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def version(self) -> str:
        return self.graphql("{ version }")["version"]

    def _selector(self, **names: str) -> dict[str, str]:
        return {"repositoryLocationName": self.location, "repositoryName": self.repository, **names}

    def launch_run(self, job: str, run_config: Mapping[str, Any] | None = None) -> str:
        """Launch `job` with `run_config` (the launchpad's path); returns the run id."""
        params = {"selector": self._selector(jobName=job), "runConfigData": dict(run_config or {})}
        result = self.graphql(_LAUNCH, {"params": params})["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise DagsterDevError(f"launchRun of {job} failed: {result}")
        return result["run"]["runId"]

    def runs(self, job: str | None = None, tags: Mapping[str, str] | None = None, limit: int = 200) -> list[dict]:
        """Runs, newest first, filtered by job and tags."""
        run_filter: dict[str, Any] = {}
        if job:
            run_filter["pipelineName"] = job
        if tags:
            run_filter["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        result = self.graphql(_RUNS, {"filter": run_filter, "limit": limit})["runsOrError"]
        if result["__typename"] != "Runs":
            raise DagsterDevError(f"runsOrError: {result}")
        return result["results"]

    def run(self, run_id: str) -> dict:
        result = self.graphql(_RUNS, {"filter": {"runIds": [run_id]}, "limit": 1})["runsOrError"]
        if not result.get("results"):
            raise DagsterDevError(f"run {run_id} not found: {result}")
        return result["results"][0]

    def run_failures(self, run_id: str) -> list[str]:
        """Why a run failed: each failed step's error, then the run's failure message."""
        result = self.graphql(_FAILURES, {"runId": run_id})["logsForRun"]
        found = []
        for event in result.get("events", []):
            if event["__typename"] == "ExecutionStepFailureEvent":
                found.append(f"{event['stepKey']}: {(event.get('error') or {}).get('message', '').strip()}")
            elif event["__typename"] == "RunFailureEvent":
                found.append(event["message"])
        return found

    def wait_for_run(self, run_id: str, timeout_s: float = 120, poll_s: float = 0.5) -> dict:
        """The run once it reached SUCCESS, FAILURE or CANCELED."""
        return self.wait_until(lambda: (r := self.run(run_id))["status"] in TERMINAL_RUN_STATUSES and r,
                               timeout_s, f"run {run_id} to finish", poll_s)

    def partition_keys(self, asset: str) -> list[str]:
        """The partition keys of an asset as the UI lists them (dynamic partitions included)."""
        result = self.graphql(_PARTITION_KEYS, {"key": {"path": asset.split("/")}})["assetNodeOrError"]
        if result["__typename"] != "AssetNode":
            raise DagsterDevError(f"assetNodeOrError {asset}: {result}")
        return result["partitionKeys"]

    def sensor(self, name: str, ticks: int = 20) -> dict:
        """The sensor's interval, status and latest ticks (newest first)."""
        result = self.graphql(_SENSOR, {"selector": self._selector(sensorName=name), "limit": ticks})
        sensor = result["sensorOrError"]
        if sensor["__typename"] != "Sensor":
            raise DagsterDevError(f"sensorOrError {name}: {sensor}")
        return sensor

    def materializations(self, asset: str, limit: int = 200) -> list[dict]:
        """Materializations of an asset, newest first; `metadata` maps label → value."""
        result = self.graphql(_MATERIALIZATIONS, {"key": {"path": asset.split("/")}, "limit": limit})["assetOrError"]
        if result["__typename"] != "Asset":
            return []
        events = result["assetMaterializations"]
        for event in events:
            event["metadata"] = {e["label"]: _entry_value(e) for e in event.pop("metadataEntries")}
        return events

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def wait_until(self, condition, timeout_s: float, what: str, poll_s: float = 0.5):  # noqa: ANN001
        """Poll `condition()` until it returns something truthy; fail with the server log after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            self._check_alive()
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DagsterDevError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{self.log_tail()}")
            time.sleep(poll_s)

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise DagsterDevError(f"dagster dev exited with {self.process.returncode}\n{self.log_tail()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, timeout_s: float) -> None:
        """Until the webserver answers and the code location is loaded (its load error raised, if any)."""
        deadline = time.monotonic() + timeout_s
        self.wait_until(self._answers, timeout_s, "the webserver to answer /server_info")
        entry = self.wait_until(self._loaded_location, max(deadline - time.monotonic(), 1), "the code location")
        loaded = entry["locationOrLoadError"]
        if loaded["__typename"] != "RepositoryLocation":
            raise DagsterDevError(f"code location {entry['name']} failed to load: {loaded.get('message')}\n"
                                  f"{loaded.get('stack')}")
        self.location, self.repository = entry["name"], loaded["repositories"][0]["name"]
        self.processes_at_ready = session_processes(self.process.pid)

    def _loaded_location(self) -> dict | None:
        workspace = self.graphql(_WORKSPACE_QUERY)["workspaceOrError"]
        if workspace["__typename"] != "Workspace":
            raise DagsterDevError(f"workspace failed: {workspace}")
        entries = workspace["locationEntries"]
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            return entries[0]
        return None

    def stop(self, grace_s: float = 45) -> StopReport:
        """SIGINT `dagster dev`, wait for it and every process of its session; kill and report stragglers."""
        if self.stop_report is not None:
            return self.stop_report
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 15
        while (left := session_processes(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for proc in left:  # only processes of the session we created
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while left and session_processes(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.stop_report = StopReport(time.monotonic() - started, self.process.returncode, left,
                                      port_is_bound(self.port))
        return self.stop_report


def _entry_value(entry: dict) -> Any:
    for key in ("floatValue", "intValue", "boolValue", "text", "mdStr"):
        if key in entry:
            return entry[key]
    if "jsonString" in entry:
        return json.loads(entry["jsonString"])
    return None


def start_dagster_dev(home: Path, log_dir: Path, *, env: Mapping[str, str] | None = None,
                      workspace: Path = WORKSPACE, cwd: Path | None = None) -> DagsterDev:
    """Start `dagster dev -w workspace -p <free port> -h 127.0.0.1` (not yet ready; call `wait_ready`)."""
    port = free_port()
    log_path = log_dir / f"dagster_dev_{port}.log"
    child_env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1", **(env or {})}
    command = [str(DAGSTER), "dev", "-w", str(workspace), "-p", str(port), "-h", "127.0.0.1"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd or log_dir, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_default_sigint)
    return DagsterDev(process, port, home, log_path)


def stop_problems(server: DagsterDev) -> list[str]:
    """Stop the server (if not yet) and say what was not clean: exit code, stragglers, the port still bound."""
    report = server.stop()
    problems = []
    if report.returncode != 0:
        problems.append(f"dagster dev exited with {report.returncode}")
    if report.orphans:
        problems.append("processes left running (killed): " + "; ".join(f"{p.pid} {p.command[:100]}"
                                                                         for p in report.orphans))
    if report.port_bound:
        problems.append(f"port {server.port} still bound")
    return problems


@dataclass(frozen=True)
class DagsterProject:
    """A project directory outside the repository: genie_enhance.yaml over a fresh demo build, and a DAGSTER_HOME."""

    root: Path
    config: Path
    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {"GENIE_ENHANCE_CONFIG": str(self.config)}


def make_dagster_project(root: Path, spaces: Mapping[str, Mapping[str, Any]]) -> DagsterProject:
    """`root/genie_enhance.yaml` (LLM off) with local spaces over a demo built into `root/demo`."""
    # Imported here: defs/conftest.py imports this module, and these pull in the whole package.
    from genie_enhance.demo.build import build_demo
    from genie_enhance_tests.support.dagster_world import write_config

    demo = root / "demo"
    demo.mkdir(parents=True)
    build_demo(demo)
    config = write_config(root, demo, {key: dict(value) for key, value in spaces.items()}, llm={"mode": "off"})
    return DagsterProject(root, config, root / "dagster_home")


# The smoke campaign's space: the bare demo config and a target it does not reach, so the policy stops it within
# max_iterations (max_iterations, no_fixes or stalled, depending on what the proposers find).
SMOKE_SPACE = "demo"
SMOKE_SPACES = {SMOKE_SPACE: {"target": 0.99, "limits": {"max_iterations": 3}}}


class SharedDagsterDev:
    """One `dagster dev` for the session's `dagster dev` modules over one project (~10 s of startup saved per
    module, and the UI checks see the smoke campaign's iterations). Started on first use, started again if a test
    stopped it and a later one needs it."""

    def __init__(self, project: DagsterProject, log_dir: Path) -> None:
        self.project = project
        self.log_dir = log_dir
        self._server: DagsterDev | None = None

    def get(self, ready_timeout_s: float = 120) -> DagsterDev:
        if self._server is None or self._server.stop_report is not None:
            prepare_home(self.project.home)
            server = start_dagster_dev(self.project.home, self.log_dir, env=self.project.env, cwd=self.project.root)
            try:
                server.wait_ready(ready_timeout_s)
            except BaseException:
                server.stop()
                raise
            self._server = server
        return self._server

    def stop(self) -> list[str]:
        """Stop the server if one runs; what was not clean about it (see `stop_problems`)."""
        return stop_problems(self._server) if self._server is not None else []
