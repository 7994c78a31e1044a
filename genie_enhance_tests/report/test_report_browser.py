"""The campaign report in a real headless Chromium: charts drawn, the grid's click panel works, nothing fetched."""

from __future__ import annotations

import pytest

from genie_enhance.report.render import render_report
from genie_enhance_tests.report.report_helpers import CATEGORY, EVIL_QUESTION, FAILING, QUESTIONS, build_campaign
from genie_enhance_tests.support.browser import browser_page, watch

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def report_path(tmp_path):
    campaign = build_campaign(tmp_path)
    return render_report(campaign.store, campaign.campaign_id, tmp_path / "report.html")


def _visible_size(page, selector: str) -> tuple[float, float]:
    locator = page.locator(selector)
    assert locator.count() == 1 and locator.is_visible(), f"{selector} is not visible"
    box = locator.bounding_box()
    return box["width"], box["height"]


def test_report_in_headless_chromium(report_path, tmp_path):
    with browser_page() as page:
        problems = watch(page)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(report_path.as_uri())
        page.wait_for_load_state("load")

        for chart in ("#score-chart", "#category-chart"):
            width, height = _visible_size(page, chart)
            assert width > 300 and height > 150
        for series in ("train", "holdout", "all"):
            width, height = _visible_size(page, f'#score-chart polyline[data-series="{series}"]')
            assert width > 0 and height > 0
        segments = sum(len({CATEGORY[q] for q in FAILING[i]}) for i in FAILING)  # one per category per bar
        assert page.locator("#category-chart rect[data-category]").count() == segments

        panel = page.locator("#cell-panel")
        assert panel.is_hidden()
        page.locator('#question-grid button[data-q="q2"][data-i="1"]').click()
        assert panel.is_visible()
        assert page.locator("#panel-generated-sql").inner_text() == QUESTIONS["q2"][3]
        assert page.locator("#panel-expected-sql").inner_text() == QUESTIONS["q2"][2]
        assert "wrong_column" in panel.inner_text() and "value_difference" in panel.inner_text()

        page.locator('#question-grid button[data-q="q3"][data-i="1"]').click()  # the question with <script> in it
        assert page.locator("#panel-generated-sql").inner_text() == QUESTIONS["q3"][3]
        assert page.locator("#panel-expected-sql").inner_text() == QUESTIONS["q3"][2]
        assert EVIL_QUESTION in panel.inner_text()
        assert dialogs == []  # shown as text, never executed

        page.locator("#only-failing").check()
        never_failed = [q for q in QUESTIONS if not any(q in failing for failing in FAILING.values())]
        for qid in QUESTIONS:
            row = page.locator(f'#question-grid tr[data-question="{qid}"]')
            assert row.is_hidden() == (qid in never_failed), qid

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)

    assert problems.ok, problems.describe()
    assert problems.requests == [report_path.as_uri()]  # the page itself, nothing else
    data = shot.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 20_000


def test_fix_effects_lesson_rates_and_holdout_questions_in_chromium(tmp_path):
    """Each fix shows its own effect on the questions it targets beside its batch's Δ; the lessons' smoothed
    success rate is explained with its n; the holdout questions are listed by text."""
    campaign = build_campaign(tmp_path)
    path = render_report(campaign.store, campaign.campaign_id, tmp_path / "report.html")
    fixes = {(f.iteration, f.question_ids[0]): f.fix_id for f in campaign.store.fixes(campaign.campaign_id)
             if f.status in ("kept", "reverted")}
    with browser_page() as page:
        problems = watch(page)
        page.goto(path.as_uri())
        page.wait_for_load_state("load")

        def cells(iteration: int, question: str) -> list[str]:
            row = page.locator(f'#fixes-applied tr[data-fix="{fixes[(iteration, question)]}"] td')
            return [text.strip() for text in row.all_inner_texts()[-3:]]  # own effect, batch Δ objective, Δ train

        # batch 1 (iteration 1 → 2): q2 and q3 went from failing to passing; the objective (holdout) rose 50 pp
        assert cells(1, "q2") == ["+100.0 pp\n0 → 1 of 1 pass", "+50.0 pp", "+50.0 pp"]
        assert cells(1, "q3") == ["+100.0 pp\n0 → 1 of 1 pass", "+50.0 pp", "+50.0 pp"]
        # batch 2 (iteration 2 → 3): its fix's question q4 failed before and after; the batch lost 50 pp
        assert cells(2, "q4") == ["+0.0 pp\n0 → 0 of 1 pass", "-50.0 pp", "-25.0 pp"]
        note = page.locator("#fix-effect-note")
        assert note.is_visible() and "own effect" in note.inner_text() and "batch Δ" in note.inner_text()

        rate = page.locator("#success-rate-note")
        assert rate.is_visible()
        assert "(helped + 1) / (n + 2)" in rate.inner_text() and "Laplace" in rate.inner_text()
        lessons = page.locator("#lessons-table tbody tr").all_inner_texts()
        assert lessons and all("n=" in row for row in lessons)

        holdout = page.locator("#holdout-questions li")
        assert holdout.count() == 2 and holdout.first.is_visible()
        texts = holdout.all_inner_texts()
        for qid in ("q5", "q6"):
            assert any(QUESTIONS[qid][1] in text for text in texts), texts
    assert problems.ok, problems.describe()
