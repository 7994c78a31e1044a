"""The campaign report: data assembly from a real tracking store and the self-contained HTML it renders."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from genie_enhance.report.data import build_report_data
from genie_enhance.report.render import fmt_pct, render_html, render_report
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Verdict
from genie_enhance.tracking import IterationSummary, TrackingError, TrackingStore
from genie_enhance_tests.report.report_helpers import (
    EVIL_QUESTION,
    FAILING,
    QUESTIONS,
    SCORES,
    SECRET,
    build_campaign,
)
from genie_enhance_tests.tracking.tracking_helpers import run_iteration, spec

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SECTIONS = ("summary", "scores", "questions", "fixes", "leakage", "categories", "llm", "lessons", "config")


# ---------------------------------------------------------------------------------------------------- tiny DOM
@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def by_id(self, element_id: str) -> Node:
        found = self.find_all(id=element_id)
        assert len(found) == 1, f"expected one element #{element_id}, found {len(found)}"
        return found[0]

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def answered(qid: str, question: str, verdict: str, label: str | None = None) -> QuestionResult:
    return QuestionResult(id=qid, question=question, role="train", label=label, expected_sql="SELECT 1",
                          verdict=Verdict(verdict))


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def svg(html: str, element_id: str) -> ET.Element:
    """The inline SVG with this id, parsed as XML (so it must also be well-formed)."""
    match = re.search(rf'<svg id="{element_id}".*?</svg>', html, re.S)
    assert match, f"no <svg id={element_id}>"
    return ET.fromstring(match.group(0))


NS = {"s": "http://www.w3.org/2000/svg"}


# ---------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    return build_campaign(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def report(campaign, tmp_path_factory) -> tuple[Path, str, Node]:
    path = render_report(campaign.store, campaign.campaign_id, tmp_path_factory.mktemp("out") / "sub" / "report.html")
    text = path.read_text(encoding="utf-8")
    return path, text, parse_html(text)


# ---------------------------------------------------------------------------------------------------- tests
def test_render_report_writes_one_readable_file(report):
    path, text, _ = report
    assert path.name == "report.html" and path.is_file()
    assert path.stat().st_mode & 0o644 == 0o644
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert not list(path.parent.glob(".report.html.*"))  # no temp file left behind


def test_report_is_self_contained(report):
    _, text, dom = report
    for node in dom.iter():
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = node.attrs.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value), f"<{node.tag} {name}={value!r}> fetches from the network"
    assert all("src" not in script.attrs for script in dom.find_all("script"))
    assert not [l for l in dom.find_all("link") if "stylesheet" in l.attrs.get("rel", "")]
    assert not re.search(r"<script[^>]*\ssrc=", text) and "@import" not in text and "url(" not in text
    csp = next(m.attrs["content"] for m in dom.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp


def test_report_has_every_section(report):
    _, _, dom = report
    for section in SECTIONS:
        assert dom.by_id(section).tag == "section"
    for element_id in ("score-chart", "question-grid", "category-chart", "config-diff", "llm-table", "lessons-table"):
        dom.by_id(element_id)


def test_header_shows_campaign_facts_and_holdout_ids(report, campaign):
    _, _, dom = report
    header = dom.by_id("summary").text
    assert campaign.campaign_id in header and "space_bare.json" in header and "local" in header
    assert "max_iterations" in header
    # final = the config left live: iteration 2's (iteration 3's batch was rolled back)
    for split, index in (("train", 0), ("holdout", 1), ("all", 2)):
        card = dom.find_all("div", data_score=split)[0].text
        assert f"{fmt_pct(SCORES[1][index])} → {fmt_pct(SCORES[2][index])}" in card
    holdout = [li.text for li in dom.by_id("holdout-questions").find_all("li")]
    assert sorted(holdout) == sorted(f"{QUESTIONS[q][1]} {q}" for q in ("q5", "q6"))  # by text, not bare id
    assert "1 rollback" in header and "3 applied" in header and "2 rejected/invalid" in header
    assert "4 LLM calls" in header and "18 Genie" in header


def test_secrets_never_reach_the_report(report):
    _, text, _ = report
    assert SECRET not in text and "sk-live" not in text
    assert "[redacted]" in text  # the settings' api_key is shown as redacted, not dropped silently


def test_score_chart_has_one_line_per_series_with_a_point_per_iteration(report):
    _, text, _ = report
    chart = svg(text, "score-chart")
    lines = chart.findall(".//s:polyline", NS)
    assert sorted(l.get("data-series") for l in lines) == ["all", "holdout", "train"]
    for line in lines:
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(points) == len(SCORES)
        xs = [x for x, _ in points]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
        # higher score = higher on the chart (smaller y), in the order of the recorded scores
        index = ("train", "holdout", "all").index(line.get("data-series"))
        values = [SCORES[i][index] for i in sorted(SCORES)]
        by_value = sorted(range(len(values)), key=lambda i: values[i])
        by_height = sorted(range(len(points)), key=lambda i: -points[i][1])
        assert [values[i] for i in by_value] == [values[i] for i in by_height]
    assert len(chart.findall(".//s:line[@data-target]", NS)) == 1
    assert [g.get("data-rollback") for g in chart.findall(".//s:g[@data-rollback]", NS)] == ["3"]
    labels = {t.text for t in chart.findall(".//s:text", NS)}
    assert {"iteration", "score", "train", "holdout", "all", "target", "0%", "100%"} <= labels


def test_category_chart_stacks_failures_per_iteration(report):
    _, text, dom = report
    chart = svg(text, "category-chart")
    bars = chart.findall(".//s:g[@class='bar']", NS)
    assert [int(b.get("data-iteration")) for b in bars] == sorted(FAILING)
    for bar in bars:
        expected = len(FAILING[int(bar.get("data-iteration"))])
        assert int(bar.get("data-total")) == expected
        assert sum(int(r.get("data-count")) for r in bar.findall("s:rect", NS)) == expected
    first = {r.get("data-category"): int(r.get("data-count")) for r in bars[0].findall("s:rect", NS)}
    assert first == {"wrong_column": 2, "wrong_aggregation": 1, "missing_table": 1}
    rows = {tr.find_all("td")[0].text: [td.text for td in tr.find_all("td")[1:]]
            for tr in dom.by_id("category-table").find_all("tr") if tr.find_all("td")}
    assert rows["wrong_column"] == ["2", "0", "2"]


def test_question_grid_has_a_colored_cell_per_question_and_iteration(report):
    _, _, dom = report
    grid = dom.by_id("question-grid")
    rows = [tr for tr in grid.find_all("tr") if "data-question" in tr.attrs]
    assert [tr.attrs["data-question"] for tr in rows] == ["q1", "q2", "q3", "q4", "q5", "q6"]  # train first
    for tr in rows:
        qid = tr.attrs["data-question"]
        buttons = tr.find_all("button")
        assert [b.attrs["data-verdict"] for b in buttons] == [
            "fail" if qid in FAILING[i] else "pass" for i in sorted(FAILING)]
        assert all(f"v-{b.attrs['data-verdict']}" in b.attrs["class"] for b in buttons)
        assert QUESTIONS[qid][0] in tr.text  # role
    q2_first = next(b for b in dom.find_all("button") if b.attrs.get("data-q") == "q2" and b.attrs["data-i"] == "1")
    assert q2_first.text.strip() == "wrong column"
    assert "SUM(net_amt_usd)" in q2_first.attrs["title"] and "value_difference" in q2_first.attrs["title"]
    data = json.loads(dom.by_id("grid-data").text)
    assert data["q2"]["cells"]["1"]["generated_sql"] == QUESTIONS["q2"][3]
    assert data["q2"]["cells"]["1"]["expected_sql"] == QUESTIONS["q2"][2]


def test_user_text_is_escaped(report):
    _, text, dom = report
    assert EVIL_QUESTION not in text and "<script>alert" not in text
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in text
    assert "'</pre><b>x</b>'" not in text  # expected SQL of q3
    assert len(dom.find_all("script")) == 2  # the JSON data block and the report's own script, nothing injected
    assert EVIL_QUESTION in dom.by_id("question-grid").text  # escaped, yet reads as the original text
    assert json.loads(dom.by_id("grid-data").text)["q3"]["question"] == EVIL_QUESTION


def test_fix_tables_show_status_reasons_and_measured_effect(report):
    _, _, dom = report
    applied = [tr for tr in dom.by_id("fixes-applied").find_all("tr") if "data-fix" in tr.attrs]
    rejected = [tr for tr in dom.by_id("fixes-rejected").find_all("tr") if "data-fix" in tr.attrs]
    assert sorted(tr.attrs["data-status"] for tr in applied) == ["kept", "kept", "reverted"]
    assert sorted(tr.attrs["data-status"] for tr in rejected) == ["invalid", "rejected"]
    reverted = next(tr for tr in applied if tr.attrs["data-status"] == "reverted").text
    assert '"sales"' in reverted and "-50.0 pp" in reverted and "heuristic" in reverted
    rejected_text = " ".join(tr.text for tr in rejected)
    assert "leakage guard" in rejected_text and "no_such_col" in rejected_text


def test_llm_section_lists_calls_and_totals(report, campaign):
    _, _, dom = report
    calls = campaign.store.llm_calls(campaign.campaign_id)
    table = dom.by_id("llm-table")
    body = [tr for tr in table.find_all("tr") if tr.find_all("td")]
    assert len(body) == len(calls)
    assert "unknown" in table.text and "HTTP 429" in table.text
    total = f"${sum(c.cost_usd for c in calls):,.4f}"
    assert total in table.find_all("tr")[-1].text and total in dom.by_id("llm").text


def test_lessons_and_config_diff(report):
    _, _, dom = report
    lessons = dom.by_id("lessons-table").text
    assert "add_synonym" in lessons and "wrong_column" in lessons and "+50.0 pp" in lessons
    diff = dom.by_id("config-diff")
    added = [s.text.removeprefix("+") for s in diff.find_all("span", class_="add")]
    assert any(line.strip() == '"revenue"' for line in added)
    assert any('"synonyms"' in line for line in added)
    assert not any("sales" in s.text for s in diff.find_all("span"))  # the rolled-back synonym is not final
    versions = dom.by_id("versions-table")
    roles = {tr.attrs["id"].removeprefix("version-"): tr.text for tr in versions.find_all("tr") if "id" in tr.attrs}
    assert len(roles) == 3 and sum("first" in t for t in roles.values()) == 1
    linked = [a.attrs["href"] for a in versions.find_all("a")]
    assert linked and all(href.removeprefix("#version-") in roles for href in linked)


def test_report_data_model(campaign):
    data = build_report_data(campaign.store, campaign.campaign_id)
    assert [r.iteration for r in data.iterations] == [1, 2, 3]
    assert data.rollback_iterations == [3]
    assert data.header.final_iteration == 2 and data.header.final_version_id == campaign.versions[1]
    assert data.diff.first_version_id == campaign.versions[0]
    assert data.header.settings["llm"]["api_key"] == "[redacted]"
    assert data.categories.counts["wrong_aggregation"] == [1, 1, 1]
    assert data.llm_totals.cost_unknown == 1 and data.llm_totals.calls == 4
    assert {r.question_id: r.role for r in data.grid}["q5"] == "holdout"


def test_minimal_campaign_without_holdout_or_llm_calls(tmp_path):
    store = TrackingStore(tmp_path / "tracking.duckdb")
    store.start_campaign(spec("solo"))
    run_iteration(store, "solo", 1, 0.4)
    html = render_html(build_report_data(store, "solo"))
    dom = parse_html(html)
    chart = svg(html, "score-chart")
    lines = chart.findall(".//s:polyline", NS)
    assert [l.get("data-series") for l in lines] == ["train"] and len(lines[0].get("points").split()) == 1
    assert "No score for holdout, all" in dom.by_id("scores").text
    assert "No LLM calls" in dom.by_id("no-llm-calls").text
    assert "No change" in dom.by_id("config-diff").text
    assert not chart.findall(".//s:g[@data-rollback]", NS)


def test_rollback_that_stops_the_campaign_is_still_marked(tmp_path):
    store = TrackingStore(tmp_path / "tracking.duckdb")
    store.start_campaign(spec("stop-rb"))
    for iteration, objective in ((1, 0.6), (2, 0.3)):
        run_iteration(store, "stop-rb", iteration, objective, complete=False)
        if iteration == 2:
            store.record_event("stop-rb", "rollback", "objective fell", iteration=2)
        store.complete_iteration("stop-rb", iteration, IterationSummary(
            objective=objective, score_train=objective, decision="continue" if iteration == 1 else "stop",
            stop_reason=None if iteration == 1 else "max_iterations"))
    data = build_report_data(store, "stop-rb")
    assert data.rollback_iterations == [2] and data.header.rollbacks == 1
    chart = svg(render_html(data), "score-chart")
    assert [g.get("data-rollback") for g in chart.findall(".//s:g[@data-rollback]", NS)] == ["2"]


def test_unknown_campaign_is_an_error(tmp_path):
    store = TrackingStore(tmp_path / "tracking.duckdb")
    with pytest.raises(TrackingError, match="unknown campaign 'nope'"):
        render_report(store, "nope", tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_long_question_ids_are_shortened_with_the_full_id_in_the_title(tmp_path):
    store = TrackingStore(tmp_path / "tracking.duckdb")
    store.start_campaign(spec("ids"))
    long_id = "2bbea70898417ffb15f6a832b37ab94c"
    version = store.record_version(b"{}", source="snapshot", campaign_id="ids", iteration=1)
    store.begin_iteration("ids", 1, "1", version)
    store.record_results("ids", 1, [answered(long_id, "How many?", "pass")])
    store.complete_iteration("ids", 1, IterationSummary(score_train=1.0, objective=1.0))
    dom = parse_html(render_html(build_report_data(store, "ids")))
    code = dom.by_id("question-grid").find_all("code")[0]
    assert code.text == "2bbea708…" and code.attrs["title"] == long_id


def test_labels_are_shown_next_to_the_question_in_the_grid_tooltip_and_panel(tmp_path):
    store = TrackingStore(tmp_path / "tracking.duckdb")
    store.start_campaign(spec("labels"))
    version = store.record_version(b"{}", source="snapshot", campaign_id="labels", iteration=1)
    store.begin_iteration("labels", 1, "1", version)
    store.record_results("labels", 1, [
        answered("a" * 32, "총매출은?", "fail", label="kpi_001"),
        answered("b" * 32, "No label?", "pass"),
    ])
    store.complete_iteration("labels", 1, IterationSummary(score_train=0.5, objective=0.5))
    data = build_report_data(store, "labels")
    assert [(row.label, row.question) for row in data.grid] == [("kpi_001", "총매출은?"), (None, "No label?")]
    html = render_html(data)
    labelled, plain = parse_html(html).by_id("question-grid").find_all("td", **{"class": "q"})
    assert labelled.text == "aaaaaaaa… kpi_001 총매출은?" and plain.text == "bbbbbbbb… No label?"
    button = parse_html(html).by_id("question-grid").find_all("button")[0]
    assert button.attrs["title"].startswith(f"{'a' * 32} (kpi_001) · iteration 1")
    panel = json.loads(parse_html(html).by_id("grid-data").text)
    assert panel["a" * 32]["label"] == "kpi_001" and panel["b" * 32]["label"] is None
