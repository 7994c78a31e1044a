"""Geometry of the report's two inline SVG charts, computed in Python so the report needs no chart library.

The template draws the elements; this module only decides where they go (pixel coordinates, tick labels,
colors). Keeping layout here makes it testable without parsing SVG and keeps the template free of arithmetic.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from genie_enhance.report.data import CategoryTable, IterationRow

SERIES_COLORS = {"train": "#2563eb", "holdout": "#d97706", "all": "#059669"}
CATEGORY_PALETTE = (
    "#dc2626", "#7c3aed", "#0891b2", "#ea580c", "#4f46e5", "#be185d", "#65a30d", "#0d9488", "#a16207",
    "#9333ea", "#e11d48", "#475569",
)
WIDTH, HEIGHT = 760, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 150, 20, 48


class Box(BaseModel):
    """The plot area inside the chart's margins."""

    left: float = MARGIN_LEFT
    top: float = MARGIN_TOP
    right: float = WIDTH - MARGIN_RIGHT
    bottom: float = HEIGHT - MARGIN_BOTTOM

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


class Tick(BaseModel):
    pos: float
    label: str


class Point(BaseModel):
    x: float
    y: float
    iteration: int
    value: float


class Series(BaseModel):
    name: str
    color: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


class ScoreChart(BaseModel):
    width: int = WIDTH
    height: int = HEIGHT
    box: Box
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series]
    missing: list[str]  # series with no value at all (e.g. no holdout split)
    target_y: float | None
    target: float | None
    rollbacks: list[Tick]  # x of each rollback iteration


class Segment(BaseModel):
    category: str
    color: str
    count: int
    y: float
    height: float


class Bar(BaseModel):
    iteration: int
    x: float
    width: float
    total: int
    segments: list[Segment]


class CategoryChart(BaseModel):
    width: int = WIDTH
    height: int = HEIGHT
    box: Box
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    bars: list[Bar]
    legend: list[tuple[str, str]]  # (category, color)


def _x_positions(iterations: list[int], box: Box) -> dict[int, float]:
    """Iterations evenly spaced across the plot (a single one centered)."""
    if len(iterations) == 1:
        return {iterations[0]: box.left + box.width / 2}
    step = box.width / (len(iterations) - 1)
    return {it: box.left + i * step for i, it in enumerate(iterations)}


def _score_y(value: float, box: Box) -> float:
    return box.bottom - max(0.0, min(1.0, value)) * box.height


def score_chart(rows: list[IterationRow], target: float | None) -> ScoreChart:
    """Train/holdout/all score lines over the iterations, a dashed target line and rollback markers."""
    plot = Box()
    inset = Box(left=plot.left + 16, right=plot.right - 16)  # keep end points off the axes
    xs = _x_positions([r.iteration for r in rows], inset) if rows else {}
    series, missing = [], []
    for name, color in SERIES_COLORS.items():
        points = [
            Point(x=xs[r.iteration], y=_score_y(v, plot), iteration=r.iteration, value=v)
            for r in rows if (v := getattr(r.scores, name)) is not None
        ]
        if points:
            series.append(Series(name=name, color=color, points=points))
        else:
            missing.append(name)
    return ScoreChart(
        box=plot,
        x_ticks=[Tick(pos=x, label=str(it)) for it, x in xs.items()],
        y_ticks=[Tick(pos=_score_y(v / 4, plot), label=f"{v * 25}%") for v in range(5)],
        series=series, missing=missing, target=target,
        target_y=None if target is None else _score_y(target, plot),
        rollbacks=[Tick(pos=xs[r.iteration], label=str(r.iteration)) for r in rows if r.rollback],
    )


def _count_ticks(maximum: int) -> list[int]:
    """About five round integer ticks from 0 up to at least `maximum`."""
    step = max(1, math.ceil(maximum / 5))
    top = max(step, math.ceil(maximum / step) * step)
    return list(range(0, top + 1, step))


def category_chart(table: CategoryTable) -> CategoryChart:
    """One stacked bar per iteration: failures by category, most frequent category at the bottom."""
    box = Box()
    colors = {c: CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)] for i, c in enumerate(table.categories)}
    ticks = _count_ticks(max((table.total(i) for i in range(len(table.iterations))), default=0))
    scale = box.height / ticks[-1]
    slot = box.width / max(1, len(table.iterations))
    bar_width = min(64.0, slot * 0.6)
    bars = []
    for index, iteration in enumerate(table.iterations):
        x = box.left + slot * index + (slot - bar_width) / 2
        y, segments = box.bottom, []
        for category in table.categories:
            count = table.counts[category][index]
            if count:
                y -= count * scale
                segments.append(Segment(category=category, color=colors[category], count=count, y=y,
                                        height=count * scale))
        bars.append(Bar(iteration=iteration, x=x, width=bar_width, total=table.total(index), segments=segments))
    return CategoryChart(
        box=box,
        x_ticks=[Tick(pos=b.x + bar_width / 2, label=str(b.iteration)) for b in bars],
        y_ticks=[Tick(pos=box.bottom - t * scale, label=str(t)) for t in ticks],
        bars=bars, legend=list(colors.items()),
    )
