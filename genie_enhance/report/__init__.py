"""The campaign report: `ReportData` assembled from the tracking store (`data`), drawn as inline SVG (`charts`) and
rendered into one self-contained HTML file (`render`). A package of its own beside `tracking`, which it only reads."""

from genie_enhance.report.data import ReportData, build_report_data
from genie_enhance.report.render import render_html, render_report

__all__ = ["ReportData", "build_report_data", "render_html", "render_report"]
