"""The PDF funder report: organisation, period, KPI tiles, charts, statements, definitions.

Built with Qt's own PDF writer (``QPdfWriter`` + ``QTextDocument``), from the same
:class:`~tracker_desktop.core.workbook.ExportData` as the workbook, so the numbers are the
metrics engine's.  Charts are painted with ``QPainter`` into images embedded in the page.
Works on A4 and US Letter (the page size follows the locale unless given).
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)

from tracker_desktop.core.workbook import DashboardBlock, DashboardRow, ExportData

PALETTE = ("#1F4E79", "#E07B39", "#5B9BD5", "#70AD47", "#A5A5A5", "#FFC000")
CHART_W, CHART_H = 1400, 640


def default_page_size() -> QPageSize.PageSizeId:
    country = QLocale().territory()
    letter = {
        QLocale.Country.UnitedStates,
        QLocale.Country.Canada,
        QLocale.Country.Mexico,
        QLocale.Country.Philippines,
        QLocale.Country.Chile,
    }
    return QPageSize.PageSizeId.Letter if country in letter else QPageSize.PageSizeId.A4


def page_size_named(name: str | None) -> QPageSize.PageSizeId:
    if not name:
        return default_page_size()
    key = name.strip().lower()
    if key == "letter":
        return QPageSize.PageSizeId.Letter
    if key == "a4":
        return QPageSize.PageSizeId.A4
    raise ValueError(f"Unknown page size {name!r}: use A4 or Letter")


# --- charts -----------------------------------------------------------------------------
def _fmt_value(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0%}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def nice_scale(highest: float, percent: bool) -> tuple[float, float]:
    """(axis top, tick step): steps of 1, 2 or 5 x 10^k, at most 5 ticks; 0-100% for rates."""
    if percent:
        return 1.0, 0.25
    if highest <= 0:
        return 1.0, 1.0
    raw = highest / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if highest >= 1:
        step = max(step, 1.0)
    return math.ceil(highest / step) * step, step


def paint_bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    percent: bool = False,
    horizontal: bool = False,
) -> QImage:
    """A clean bar chart (grouped when several series) as an image."""
    image = QImage(CHART_W, CHART_H, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont("DejaVu Sans")
    font.setPixelSize(30)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#1F4E79"))
    painter.drawText(QRectF(0, 0, CHART_W, 50), Qt.AlignmentFlag.AlignLeft, title)
    font.setBold(False)
    font.setPixelSize(22)
    painter.setFont(font)
    values = [v for _name, vals in series for v in vals if v is not None]
    top, step = nice_scale(max(values) if values else 0.0, percent)
    legend_h = 40 if len(series) > 1 else 0
    if not categories or not values:
        painter.setPen(QColor("#595959"))
        painter.drawText(
            QRectF(0, 60, CHART_W, CHART_H - 60), Qt.AlignmentFlag.AlignCenter, "No data yet"
        )
        painter.end()
        return image
    if horizontal:
        label_w = 330
        area = QRectF(label_w, 70, CHART_W - label_w - 120, CHART_H - 90 - legend_h)
        slot = area.height() / len(categories)
        bar = slot * 0.7 / len(series)
        for i, category in enumerate(categories):
            y = area.top() + i * slot
            painter.setPen(QColor("#262626"))
            painter.drawText(
                QRectF(0, y, label_w - 12, slot),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(category),
            )
            for s, (_name, vals) in enumerate(series):
                v = vals[i] if i < len(vals) else None
                if v is None:
                    continue
                w = area.width() * float(v) / top
                rect = QRectF(area.left(), y + slot * 0.15 + s * bar, w, bar)
                painter.fillRect(rect, QColor(PALETTE[s % len(PALETTE)]))
                painter.drawText(
                    QRectF(rect.right() + 8, rect.top(), 110, rect.height()),
                    Qt.AlignmentFlag.AlignVCenter,
                    _fmt_value(float(v), percent),
                )
    else:
        area = QRectF(90, 70, CHART_W - 120, CHART_H - 150 - legend_h)
        painter.setPen(QPen(QColor("#D9D9D9"), 1))
        ticks = round(top / step)
        for tick in range(ticks + 1):
            y = area.bottom() - area.height() * tick / ticks
            painter.drawLine(int(area.left()), int(y), int(area.right()), int(y))
            painter.setPen(QColor("#595959"))
            painter.drawText(
                QRectF(0, y - 14, 80, 28),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                _fmt_value(step * tick, percent),
            )
            painter.setPen(QPen(QColor("#D9D9D9"), 1))
        slot = area.width() / len(categories)
        bar = slot * 0.75 / len(series)
        every = max(1, math.ceil(len(categories) / 8))
        for i, category in enumerate(categories):
            x = area.left() + i * slot
            for s, (_name, vals) in enumerate(series):
                v = vals[i] if i < len(vals) else None
                if v is None:
                    continue
                h = area.height() * float(v) / top
                rect = QRectF(x + slot * 0.125 + s * bar, area.bottom() - h, bar, h)
                painter.fillRect(rect, QColor(PALETTE[s % len(PALETTE)]))
                if len(categories) <= 12:
                    painter.setPen(QColor("#262626"))
                    painter.drawText(
                        QRectF(rect.left() - 30, rect.top() - 30, rect.width() + 60, 28),
                        Qt.AlignmentFlag.AlignCenter,
                        _fmt_value(float(v), percent),
                    )
            if i % every == 0:
                painter.setPen(QColor("#262626"))
                painter.drawText(
                    QRectF(x - slot * (every - 1) / 2, area.bottom() + 6, slot * every, 60),
                    Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                    str(category),
                )
    if len(series) > 1:
        x = 90.0
        for s, (name, _vals) in enumerate(series):
            painter.fillRect(QRectF(x, CHART_H - 32, 24, 24), QColor(PALETTE[s % len(PALETTE)]))
            painter.setPen(QColor("#262626"))
            painter.drawText(QRectF(x + 32, CHART_H - 36, 400, 32), str(name))
            x += 60 + painter.fontMetrics().horizontalAdvance(str(name))
    painter.end()
    return image


def _block_series(block: DashboardBlock) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    categories = [str(cells[0][1]) for cells in block.rows]
    series: list[tuple[str, list[float | None]]] = []
    for c, header in enumerate(block.headers[1:], 1):
        values: list[float | None] = []
        for cells in block.rows:
            v = cells[c][1] if c < len(cells) else None
            values.append(None if v is None or v == "" else float(v))
        series.append((header, values))
    return categories, series


# --- document ---------------------------------------------------------------------------
def _tile_value(row: DashboardRow) -> str:
    if row.value is None:
        return "—"
    if row.kind == "percent":
        return f"{float(row.value):.0%}"
    if row.kind == "money":
        return f"${float(row.value):,.2f}"
    if row.kind in ("count", "int"):
        return f"{float(row.value):,.0f}"
    return f"{float(row.value):,.1f}"


def report_html(data: ExportData, chart_names: Sequence[str]) -> str:
    esc = html.escape
    org = data.organisation or "Participant Tracker"
    parts = [
        "<html><body style='font-family: DejaVu Sans, Arial; color:#262626;'>",
        f"<h1 style='color:#1F4E79; margin-bottom:0'>{esc(org)}</h1>",
        "<h2 style='margin-top:2px; color:#404040'>Participant outcomes report</h2>",
        f"<p style='color:#595959'>{esc(data.period)}<br/>{esc(data.filters_text)}</p>",
    ]
    tiles = [r for r in data.dashboard if r.key in KPI_KEYS] or data.dashboard[:6]
    tiles = sorted(tiles, key=lambda r: KPI_KEYS.index(r.key) if r.key in KPI_KEYS else 99)[:8]
    parts.append("<table width='100%' cellspacing='6' cellpadding='10'>")
    for start in range(0, len(tiles), 4):
        parts.append("<tr>")
        for row in tiles[start : start + 4]:
            parts.append(
                "<td width='25%' style='background-color:#EAF1F8; border:1px solid #BDD7EE'>"
                f"<div style='font-size:20pt; font-weight:bold; color:#1F4E79'>"
                f"{esc(_tile_value(row))}</div>"
                f"<div style='font-size:9pt'>{esc(row.label)}</div></td>"
            )
        parts.append("</tr>")
    parts.append("</table>")
    # Like "Copy statements": a sentence per number; the metrics with nothing to count yet
    # share one line instead of a page of "n/a" sentences.
    statements = [r for r in data.dashboard if r.statement and r.value is not None]
    no_data = [r.label for r in data.dashboard if r.statement and r.value is None]
    if statements or no_data:
        parts.append("<h3 style='color:#1F4E79'>What the numbers say</h3><ul>")
        parts += [f"<li style='margin-bottom:4px'>{esc(r.statement)}</li>" for r in statements]
        if no_data:
            parts.append(
                "<li style='margin-bottom:4px; color:#555555'>No data to count yet: "
                f"{esc(', '.join(no_data))}.</li>"
            )
        parts.append("</ul>")
    for name in chart_names:
        parts.append(f"<p align='center'><img src='chart://{name}' width='620'/></p>")
    if data.definitions:
        parts.append("<h3 style='color:#1F4E79'>Definitions</h3>")
        parts.append("<table cellpadding='3' cellspacing='0' width='100%'>")
        for name, text in data.definitions:
            parts.append(
                f"<tr><td width='28%' valign='top'><b>{esc(name)}</b></td>"
                f"<td valign='top' style='font-size:9pt'>{esc(text)}</td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<p style='font-size:8pt; color:#7F7F7F'>"
        + (
            "De-identified report: no names or contact details."
            if data.deidentified
            else "Produced by Participant Tracker from the organisation's encrypted records."
        )
        + "</p></body></html>"
    )
    return "".join(parts)


PDF_CHARTS = (
    "by_stage",
    "enrollments_by_month",
    "retention",
    "measure_entry_exit",
    "credentials_by_type",
)
KPI_KEYS = [
    "participants_total",
    "participants_active",
    "employment_rate",
    "wage_mean",
    "retention_90",
    "earning_power_increased",
    "credential_rate",
    "followup_reach_rate",
]


def ensure_gui_app() -> Any:
    """A QGuiApplication for headless use (the CLI); reuses a running one."""
    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["tracker-desktop"])
    return app


def write_pdf_report(data: ExportData, path: Path, page_size: str | None = None) -> Path:
    """Write the funder report to ``path`` (A4 or Letter); returns the path."""
    size_id = page_size_named(page_size)
    document = QTextDocument()
    document.setDefaultFont(QFont("DejaVu Sans", 10))
    chart_names: list[str] = []
    for block in data.blocks:
        if not block.rows or block.key not in PDF_CHARTS:
            continue
        categories, series = _block_series(block)
        spec = next((c for c in data.charts if c.categories_from == block.key), None)
        image = paint_bar_chart(
            spec.title if spec else block.title,
            categories,
            series,
            percent=bool(spec and spec.percent),
            horizontal=bool(spec and spec.kind == "bar"),
        )
        name = block.key
        document.addResource(
            QTextDocument.ResourceType.ImageResource, QUrl(f"chart://{name}"), image
        )
        chart_names.append(name)
    document.setHtml(report_html(data, chart_names))

    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(b"")  # a read-only folder fails here with a clear OSError
    writer = QPdfWriter(str(partial))
    writer.setTitle(f"{data.organisation or 'Participant Tracker'} - participant outcomes report")
    writer.setCreator("Participant Tracker")
    writer.setResolution(150)
    layout = QPageLayout(
        QPageSize(size_id),
        QPageLayout.Orientation.Portrait,
        QMarginsF(15, 15, 15, 15),
        QPageLayout.Unit.Millimeter,
    )
    writer.setPageLayout(layout)
    try:
        paint_rect = writer.pageLayout().paintRectPixels(writer.resolution())
        document.setPageSize(QSizeF(paint_rect.width(), paint_rect.height()))
        # Text is laid out in document points; scale so 10 pt looks like 10 pt at 150 dpi.
        document.documentLayout().setPaintDevice(writer)
        document.print_(writer)
        del writer
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


__all__ = ["ensure_gui_app", "nice_scale", "paint_bar_chart", "write_pdf_report"]
