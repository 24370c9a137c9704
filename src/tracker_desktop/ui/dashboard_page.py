"""The Dashboard: KPI tiles, charts and the participants behind every number.

Everything shown comes from ONE call to :func:`tracker_desktop.core.metrics.compute`;
this module only draws.  pyqtgraph is imported here (and nowhere else at start-up), so
the app opens fast and loads the charting library when the dashboard is first visited.

Loading the file and computing run off the UI thread (ui/tasks.run_task).  The loaded
snapshot is kept: changing the program or cohort filter recomputes from it; a changed
as-of date or a data change reloads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import metrics
from tracker_desktop.core.dataset import Dataset
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import SNAPSHOT_KEEP_MAX, Session
from tracker_desktop.ui.tasks import run_task
from tracker_desktop.ui.widgets import error_label, hint_label, page_title

pg.setConfigOptions(antialias=True, background="w", foreground="#33414b")

TILE_KEYS = (
    "participants_total",
    "employment_rate",
    "wage_mean",
    "earning_power_increased",
    "employer_benefits",
    "credential_rate",
    "promotion_12m",
    "retention_90",
    "followup_reach_rate",
    "reduced_benefits",
    "measure_improved",
    "data_during_program",
)
STATE_COLORS = {"green": "#1d7a3e", "amber": "#b7791f", "red": "#b3261e", "none": "#8a96a0"}
STATE_WORDS = {
    "green": "On target",
    "amber": "Close to target",
    "red": "Below target",
    "none": "",
}
BAR_COLORS = ("#1f6f8b", "#f6a04d", "#6a9955", "#a05195")
DATE_DEBOUNCE_MS = 400
ANY_DATE = QDate(2000, 1, 1)  # the minimum of the cohort date boxes, shown as "Any"
PART_LABELS = {
    "numerator": "Counted",
    "denominator": "Out of",
    "unknown": "Unknown / not reached",
}


OUTCOME_HEADERS = [
    "Measure",
    "Program",
    "Entry: n, mean",
    "Exit: n, mean",
    "Improved",
    "Pairs improved",
]


def _mean_text(stat: metrics.MeasureStat | None) -> str:
    if stat is None or not stat.n or stat.mean is None:
        return "–"
    return f"{stat.n:,} · {stat.mean:,.2f}"


@dataclass
class Computed:
    """What a background recompute hands back to the UI thread."""

    dataset: Dataset
    report: metrics.MetricsReport
    seconds: float
    generation: int


# --- tiles ------------------------------------------------------------------------------
class KpiTile(QFrame):
    """One number: value, n, target and a red/amber/green state.  Click to drill down."""

    clicked = Signal(str)

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("tile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumWidth(210)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 12, 10)
        layout.setSpacing(2)
        self.title = QLabel()
        self.title.setStyleSheet("color: #44535e; font-weight: 600;")
        self.title.setWordWrap(True)
        self.value = QLabel("…")
        self.value.setStyleSheet("font-size: 22pt; font-weight: 700; color: #10242f;")
        self.detail = QLabel()
        self.detail.setStyleSheet("color: #5b6770;")
        self.detail.setWordWrap(True)
        self.target = QLabel()
        self.target.setStyleSheet("color: #5b6770;")
        for label in (self.title, self.value, self.detail, self.target):
            layout.addWidget(label)
        self._paint("none")

    def show_result(self, result: metrics.MetricResult, report: metrics.MetricsReport) -> None:
        self.result = result
        self.title.setText(result.label)
        self.value.setText(result.display)
        self.detail.setText(tile_detail(result, report))
        state = result.state
        if result.target is None:
            target = "No target set"
        else:
            target = f"Target {metrics.format_value(result.target, result.unit)}"
            if STATE_WORDS[state]:
                target += f"  ·  {STATE_WORDS[state]}"
        self.target.setText(target)
        self.setToolTip(
            f"<b>{result.label}</b><br>{result.definition}<br><br><i>{result.statement}</i>"
            "<br><br>Click to list the participants behind this number."
        )
        self.setAccessibleName(f"{result.label}: {result.display}. {target}")
        self._paint(state)

    def _paint(self, state: str) -> None:
        color = STATE_COLORS[state]
        self.setStyleSheet(
            "QFrame#tile { background: #ffffff; border: 1px solid #d5dde3; "
            f"border-left: 6px solid {color}; border-radius: 6px; }}"
            "QFrame#tile:focus { border: 2px solid #1f6f8b; "
            f"border-left: 6px solid {color}; }}"
        )
        self.state = state
        self.target.setStyleSheet(
            f"color: {color if state != 'none' else '#5b6770'}; font-weight: 600;"
        )

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.key)
            return
        super().keyPressEvent(event)


def tile_detail(result: metrics.MetricResult, report: metrics.MetricsReport) -> str:
    if result.key == "participants_total":
        active = report.metrics["participants_active"].numerator or 0
        exited = report.metrics["participants_exited"].numerator or 0
        return f"{int(active):,} active · {int(exited):,} exited"
    if result.key == "wage_mean":
        median = report.metrics["wage_median"].display
        return f"median {median} · {int(result.denominator or 0):,} current jobs"
    if result.numerator is None or result.denominator is None:
        return ""
    text = f"{int(result.numerator):,} of {int(result.denominator):,}"
    if result.unknown:
        text += f" · {result.unknown:,} {result.unknown_word}"
    return text


# --- charts -----------------------------------------------------------------------------
class BarChart(QFrame):
    """A titled pyqtgraph bar chart: value labels, click a bar, save as PNG."""

    bar_clicked = Signal(str, str)  # chart key, category

    def __init__(self, key: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("tile")
        self.categories: list[str] = []
        self.heights: list[float] = []
        self.unit = metrics.COUNT
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        header = QHBoxLayout()
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: 600; color: #1f3b4d; font-size: 11pt;")
        header.addWidget(self.title, 1)
        self.info = QToolButton()
        self.info.setText("?")
        self.info.setAccessibleName(f"How '{title}' is counted")
        self.info.setToolTip(title)
        header.addWidget(self.info)
        self.extra = QHBoxLayout()
        header.addLayout(self.extra)
        self.save_button = QToolButton()
        self.save_button.setText("Save PNG…")
        self.save_button.setToolTip("Save this chart as a PNG picture")
        self.save_button.clicked.connect(self._ask_save)
        header.addWidget(self.save_button)
        layout.addLayout(header)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        self.plot.setFixedHeight(250)
        self.plot.getPlotItem().getViewBox().setDefaultPadding(0.04)
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)
        layout.addWidget(self.plot, 1)
        self.empty = QLabel("")
        self.empty.setStyleSheet("color: #5b6770; background: white; font-size: 11pt;")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setFixedHeight(250)  # the plot's height: the tiles keep their layout
        layout.addWidget(self.empty)
        self.empty.hide()
        self.selected = -1
        self.values: list[str] = []
        self.highlight: Any = None
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot.setAccessibleName(f"{title} chart")
        self.plot.setToolTip(
            "Click a bar (or use the arrow keys and Enter) to list its participants"
        )
        self.plot.installEventFilter(self)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        """Keyboard: Left/Right pick a bar, Enter lists its participants."""
        if watched is self.plot and event.type() == event.Type.KeyPress and self.categories:
            key = event.key()
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                step = -1 if key == Qt.Key.Key_Left else 1
                start = self.selected if self.selected >= 0 else (-1 if step > 0 else 0)
                self.select_bar((start + step) % len(self.categories))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
                if self.selected >= 0:
                    self.bar_clicked.emit(self.key, self.categories[self.selected])
                return True
        return super().eventFilter(watched, event)

    def select_bar(self, index: int) -> None:
        self.selected = index
        if self.highlight is not None:
            self.plot.removeItem(self.highlight)
        height = self.heights[index] if index < len(self.heights) else 0.0
        self.highlight = pg.BarGraphItem(
            x=[index], height=[height], width=0.86, brush=None, pen=pg.mkPen("#f6a04d", width=3)
        )
        self.plot.addItem(self.highlight)
        value = self.values[index] if index < len(self.values) else ""
        self.plot.setAccessibleDescription(f"{self.categories[index]}: {value}")
        self.plot.setToolTip(f"{self.categories[index]}: {value} (Enter lists the participants)")

    def set_definition(self, text: str) -> None:
        self.info.setToolTip(f"<b>{self.title.text()}</b><br>{text}")

    def set_data(
        self,
        categories: list[str],
        series: dict[str, list[float | None]],
        unit: str,
        empty_text: str = "No data yet for these filters.",
    ) -> None:
        self.plot.clear()
        self.highlight = None
        self.selected = -1
        self.categories = list(categories)
        first = next(iter(series.values()), [])
        self.values = [metrics.format_value(v, unit) if v is not None else "n/a" for v in first]
        self.unit = unit
        scale = 100.0 if unit == metrics.PERCENT else 1.0
        count = len(categories)
        names = list(series)
        width = 0.8 / max(len(names), 1)
        tallest = 0.0
        self.heights = [0.0] * count
        for position, name in enumerate(names):
            values = series[name]
            heights = [(v or 0.0) * scale for v in values]
            xs = np.arange(count) - 0.4 + width * (position + 0.5)
            color = BAR_COLORS[position % len(BAR_COLORS)]
            bars = pg.BarGraphItem(
                x=xs, height=heights, width=width * 0.9, brush=color, pen=pg.mkPen(None)
            )
            self.plot.addItem(bars)
            for index, height in enumerate(heights):
                self.heights[index] = max(self.heights[index], height)
            tallest = max([tallest, *heights]) if heights else tallest
            if count <= 16:
                for x, value in zip(xs, values, strict=True):
                    text = metrics.format_value(value, unit) if value is not None else "n/a"
                    label = pg.TextItem(text, color="#33414b", anchor=(0.5, 1.0))
                    label.setPos(float(x), (value or 0.0) * scale)
                    self.plot.addItem(label)
        if len(names) > 1:
            legend = self.plot.addLegend(offset=(-10, 10))
            for position, name in enumerate(names):
                legend.addItem(
                    pg.BarGraphItem(
                        x=[0], height=[0], width=0, brush=BAR_COLORS[position % len(BAR_COLORS)]
                    ),
                    name,
                )
        axis = self.plot.getAxis("bottom")
        step = max(1, -(-count // 8)) if count > 10 else 1
        limit = 30 if count <= 4 else 14
        # Many bars: two-word labels go on two lines, or pyqtgraph drops the ones that
        # overlap (the stage chart lost "No stage recorded" and ran "Graduated" into
        # "Shift Lead").
        wrap = count > 5
        axis.setHeight(50 if wrap else None)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * (0.85 if wrap else 1.0))
        axis.setStyle(tickFont=font)
        axis.setTicks(
            [
                [
                    (i, _short(c, limit, wrap=wrap))
                    for i, c in enumerate(categories)
                    if i % step == 0
                ],
                [],
            ]
        )
        top = 100.0 if unit == metrics.PERCENT else max(tallest * 1.18, 1.0)
        self.plot.setYRange(0, top, padding=0)
        self.plot.setXRange(-0.6, max(count - 0.4, 0.6), padding=0)
        left = {metrics.PERCENT: "%", metrics.CURRENCY: "$", metrics.COUNT: ""}
        self.plot.setLabel("left", left.get(unit, ""))
        has_data = count > 0 and any(v for vs in series.values() for v in vs if v)
        # No data: the sentence takes the chart's place (bare axes looked broken).
        self.empty.setText("" if has_data else empty_text)
        self.empty.setVisible(not has_data)
        self.plot.setVisible(has_data)

    def bar_position(self, index: int) -> QPointF:
        """Where bar ``index`` is on screen (widget coordinates of the plot)."""
        height = self.heights[index] if self.heights else 0.0
        y = max(height / 2, 0.5 if self.unit != metrics.PERCENT else 1.0)
        view = self.plot.getPlotItem().getViewBox()
        scene = view.mapViewToScene(QPointF(float(index), y))
        return QPointF(self.plot.mapFromScene(scene))

    def _scene_clicked(self, event: Any) -> None:
        view = self.plot.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        index = round(point.x())
        if 0 <= index < len(self.categories) and abs(point.x() - index) <= 0.45:
            self.bar_clicked.emit(self.key, self.categories[index])

    def _ask_save(self) -> None:
        name = self.title.text().lower().replace(" ", "-").replace("/", "-")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save chart as PNG", str(Path.home() / f"{name}.png"), "PNG image (*.png)"
        )
        if path:
            if not path.lower().endswith(".png"):
                path += ".png"
            self.save_png(Path(path))

    def save_png(self, path: Path) -> bool:
        return bool(self.grab().save(str(path), "PNG"))


def _short(text: str, limit: int = 14, *, wrap: bool = False) -> str:
    """An axis label: known long names shortened, then cut at ``limit`` characters (per
    line: with ``wrap`` the first space becomes a line break)."""
    text = text.replace("Apprentice Level", "Level").replace(" (mean)", "")
    text = text.replace("No stage recorded", "No stage")
    if wrap and " " in text and len(text) > 9:
        first, rest = text.split(" ", 1)
        return f"{_short(first, limit)}\n{_short(rest, limit)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the participants behind a number --------------------------------------------------------
class PeopleModel(QAbstractTableModel):
    HEADERS = ("Code", "First name", "Last name", "Program", "Enrolled", "Status", "Stage")
    COLUMNS = metrics.PEOPLE_COLUMNS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame = pd.DataFrame(columns=["id", *self.COLUMNS])
        self._cells: list[list[str]] = []

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        self.frame = frame.reset_index(drop=True)
        cells = []
        for column in self.COLUMNS:
            values = self.frame[column]
            if column == "enrolled_on":
                cells.append([d.strftime("%Y-%m-%d") if pd.notna(d) else "" for d in values])
            elif column == "status":
                cells.append(["" if pd.isna(v) else str(v).capitalize() for v in values])
            else:
                cells.append(["" if pd.isna(v) else str(v) for v in values])
        self._cells = cells
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.frame)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self._cells[index.column()][index.row()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def participant_id(self, row: int) -> int | None:
        if 0 <= row < len(self.frame):
            return int(self.frame.iloc[row]["id"])
        return None


class DrillPanel(QGroupBox):
    """Lists the participants behind the number last clicked."""

    open_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Participants behind a number", parent)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.heading = QLabel("Click a tile or a bar to list the participants behind it.")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: 600;")
        top.addWidget(self.heading, 1)
        self.part = QComboBox()
        self.part.setAccessibleName("Which participants")
        for part, label in PART_LABELS.items():
            self.part.addItem(label, part)
        self.part.setToolTip(
            "Counted: the numerator.  Out of: the denominator.  Unknown: left out because "
            "data is missing."
        )
        top.addWidget(self.part)
        self.open_button = QPushButton("Open record")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_selected)
        top.addWidget(self.open_button)
        self.close_button = QPushButton("Hide")
        top.addWidget(self.close_button)
        layout.addLayout(top)
        self.model = PeopleModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.open_button.setEnabled(bool(self.table.selectionModel().hasSelection()))
        )
        layout.addWidget(self.table, 1)

    def show_people(self, heading: str, people: pd.DataFrame, parts: bool) -> None:
        self.heading.setText(heading)
        self.part.setVisible(parts)
        self.model.set_frame(people)
        self.open_button.setEnabled(False)

    def names(self) -> list[str]:
        return [f"{r.first_name} {r.last_name}" for r in self.model.frame.itertuples()]

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_row(rows[0].row())

    def _open_row(self, row: int) -> None:
        pid = self.model.participant_id(row)
        if pid is not None:
            self.open_requested.emit(pid)


# --- the page -------------------------------------------------------------------------------
CHARTS: tuple[tuple[str, str], ...] = (
    ("by_stage", "Participants by current stage"),
    ("enrollments_by_month", "Enrollments per month"),
    ("wage_distribution", "Current hourly wages"),
    ("measure_entry_exit", "Entry vs exit, per measure"),
    ("retention", "Retention after exit (employed at follow-up)"),
    ("followup_reach", "Follow-up reach rate"),
    ("data_timing", "Outcome data: during vs after the program"),
    ("credentials_by_type", "Credentials earned by type"),
)


class DashboardPage(Page):
    title = "Dashboard"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.report: metrics.MetricsReport | None = None
        self._dirty = True
        self._generation = 0
        self._busy = False
        self._drill: tuple[str, str | None] | None = None
        self._outcome_rows: list[metrics.MeasureChange] = []
        self._waiting_for_snapshot = False
        session.data_changed.connect(self._on_data_changed)
        session.snapshot_ready.connect(self._snapshot_arrived)

        outer = QVBoxLayout(self)
        header = QHBoxLayout()
        header.addWidget(page_title("Dashboard"))
        header.addStretch(1)
        self.copy_button = QPushButton("Copy statements")
        self.copy_button.setToolTip(
            "Copy the funder sentences (e.g. '78% of our graduates retained employment…') "
            "to the clipboard"
        )
        self.copy_button.clicked.connect(self.copy_statements)
        header.addWidget(self.copy_button)
        self.definitions_button = QPushButton("Definitions")
        self.definitions_button.setCheckable(True)
        self.definitions_button.setToolTip("Show exactly how every number is counted")
        self.definitions_button.toggled.connect(self._toggle_definitions)
        header.addWidget(self.definitions_button)
        outer.addLayout(header)

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Program"))
        self.program = QComboBox()
        self.program.setAccessibleName("Program filter")
        self.program.addItem("All programs", None)
        self.program.setMinimumWidth(150)
        filters.addWidget(self.program)
        filters.addSpacing(12)
        filters.addWidget(QLabel("Enrolled from"))
        self.date_from = self._cohort_edit("Cohort: enrolled on or after")
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to"))
        self.date_to = self._cohort_edit("Cohort: enrolled on or before")
        filters.addWidget(self.date_to)
        filters.addSpacing(12)
        filters.addWidget(QLabel("As of"))
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setDate(QDate.currentDate())
        self.as_of.setAccessibleName("As of date")
        self.as_of.setToolTip("Count everything as it stood on this day")
        filters.addWidget(self.as_of)
        self.reset_button = QPushButton("Reset filters")
        self.reset_button.clicked.connect(self.reset_filters)
        filters.addWidget(self.reset_button)
        filters.addStretch(1)
        outer.addLayout(filters)
        self.status = hint_label("")
        outer.addWidget(self.status)
        self.message = error_label()
        self.message.hide()
        outer.addWidget(self.message)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        tiles = QGridLayout()
        tiles.setSpacing(10)
        self.tiles: dict[str, KpiTile] = {}
        for position, key in enumerate(TILE_KEYS):
            tile = KpiTile(key)
            tile.clicked.connect(self.show_metric_people)
            tiles.addWidget(tile, position // 4, position % 4)
            self.tiles[key] = tile
        body_layout.addLayout(tiles)
        charts = QGridLayout()
        charts.setSpacing(10)
        self.charts: dict[str, BarChart] = {}
        for position, (key, title) in enumerate(CHARTS):
            chart = BarChart(key, title)
            chart.bar_clicked.connect(self.show_bar_people)
            charts.addWidget(chart, position // 2, position % 2)
            self.charts[key] = chart
        self.measure_choice = QComboBox()
        self.measure_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.measure_choice.setAccessibleName("Measure shown")
        self.measure_choice.currentIndexChanged.connect(lambda _i: self._draw_measure())
        self.charts["measure_entry_exit"].extra.addWidget(self.measure_choice)
        body_layout.addLayout(charts)
        body_layout.addWidget(self._build_outcomes())
        body_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        self.splitter.addWidget(self.scroll)
        self.definitions = QTextBrowser()
        self.definitions.setAccessibleName("Metric definitions")
        self.definitions.hide()
        self.splitter.addWidget(self.definitions)
        self.drill = DrillPanel()
        self.drill.hide()
        self.drill.close_button.clicked.connect(self.drill.hide)
        self.drill.part.currentIndexChanged.connect(lambda _i: self._redo_drill())
        self.drill.open_requested.connect(self._open_participant)
        self.splitter.addWidget(self.drill)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 2)
        outer.addWidget(self.splitter, 1)

        # Dates are typed digit by digit: wait for a pause before recomputing.
        self._date_timer = QTimer(self)
        self._date_timer.setSingleShot(True)
        self._date_timer.setInterval(DATE_DEBOUNCE_MS)
        self._date_timer.timeout.connect(lambda: self.recompute())
        self.program.currentIndexChanged.connect(lambda _i: self.recompute())
        for edit in (self.date_from, self.date_to, self.as_of):
            edit.dateChanged.connect(lambda _d: self._date_timer.start())

    def _cohort_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(ANY_DATE)
        edit.setSpecialValueText("Any")
        edit.setDate(ANY_DATE)
        edit.setAccessibleName(name)
        edit.setToolTip(f"{name} (the earliest date, shown as 'Any', means no limit)")
        return edit

    # -- filters ----------------------------------------------------------------------------
    def filters(self) -> metrics.Filters:
        def day(edit: QDateEdit) -> date | None:
            value = edit.date()
            return None if value == ANY_DATE else date(value.year(), value.month(), value.day())

        as_of = self.as_of.date()
        return metrics.Filters(
            program=self.program.currentData(),
            date_from=day(self.date_from),
            date_to=day(self.date_to),
            as_of=date(as_of.year(), as_of.month(), as_of.day()),
        )

    def reset_filters(self) -> None:
        for widget in (self.program, self.date_from, self.date_to, self.as_of):
            widget.blockSignals(True)
        self.program.setCurrentIndex(0)
        self.date_from.setDate(ANY_DATE)
        self.date_to.setDate(ANY_DATE)
        self.as_of.setDate(QDate.currentDate())
        for widget in (self.program, self.date_from, self.date_to, self.as_of):
            widget.blockSignals(False)
        self.recompute()

    @property
    def dataset(self) -> Dataset | None:
        """The snapshot the numbers come from: the session's (read ahead after unlock, kept
        between visits up to SNAPSHOT_KEEP_MAX participants, dropped at lock)."""
        return self.session.snapshot

    @dataset.setter
    def dataset(self, dataset: Dataset | None) -> None:
        self.session.snapshot = dataset

    # -- page protocol ----------------------------------------------------------------------
    def refresh(self) -> None:
        if self._dirty or self.report is None:
            self.recompute(reload=True)

    def clear(self) -> None:
        self._generation += 1  # results still on their way are dropped
        self.dataset = None
        self.report = None
        self._dirty = True
        self.drill.model.set_frame(self.drill.model.frame.iloc[0:0])
        self.drill.hide()
        for tile in self.tiles.values():
            tile.value.setText("…")
            tile.detail.setText("")
            tile.target.setText("")
        for chart in self.charts.values():
            chart.plot.clear()
        self.outcomes.setRowCount(0)
        self._outcome_rows = []
        self.status.setText("")

    def hideEvent(self, event: Any) -> None:
        """Leaving the dashboard of a large tracker: keep the numbers, free the snapshot
        (the next filter change reloads it).  A small one keeps it, so coming back after a
        save re-reads only what changed (session.SNAPSHOT_KEEP_MAX)."""
        if self.dataset is not None and len(self.dataset.participants) > SNAPSHOT_KEEP_MAX:
            self.dataset = None
            if self.report is not None:
                self.report.slim()
        super().hideEvent(event)

    def _snapshot_arrived(self) -> None:
        if self._waiting_for_snapshot:
            self._waiting_for_snapshot = False
            if self.isVisible():
                self.recompute(reload=True)

    def _on_data_changed(self, _what: str) -> None:
        self._dirty = True
        if self.isVisible() and self.session.is_open:
            self.recompute(reload=True)

    # -- computing ---------------------------------------------------------------------------
    def recompute(self, reload: bool = False) -> None:
        self._date_timer.stop()
        if not self.session.is_open:
            return
        filters = self.filters()
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            self._show_message("The cohort's 'from' date is after its 'to' date.")
            return
        self._show_message("")
        repo = self.session.require_repo()
        cached = self.dataset
        if cached is None and self.session.snapshot_loading:
            # Read ahead since the unlock and nearly there: wait for it, not a second read.
            self._waiting_for_snapshot = True
            self.status.setText("Reading the tracker…")
            return
        # assessments are summed up to the as-of date: a new date re-reads them
        stale = reload or self._dirty or (cached is not None and cached.as_of != filters.as_of)
        self._dirty = False
        self._generation += 1
        generation = self._generation
        self.status.setText("Updating…")

        def work(progress: Callable[..., bool]) -> Computed:
            started = time.perf_counter()
            if cached is None:
                dataset = metrics.load_dataset(repo, filters.as_of, details=False)
            elif stale:  # re-read only the tables saved changes touched
                dataset = metrics.refresh_dataset(repo, cached, filters.as_of)
            else:
                dataset = cached
            progress(1, 2, "Computing")
            report = metrics.compute(dataset, filters)
            return Computed(dataset, report, time.perf_counter() - started, generation)

        run_task(work, self._show, self._failed, parent=self)

    def _show(self, computed: Computed) -> None:
        if computed.generation != self._generation or not self.session.is_open:
            return
        self.dataset = computed.dataset
        self.report = report = computed.report
        self._fill_programs(computed.dataset.programs)
        for key, tile in self.tiles.items():
            if key in report.metrics:
                tile.show_result(report.metrics[key], report)
        for key, chart in self.charts.items():
            if key == "measure_entry_exit":
                continue
            breakdown = report.breakdowns[key]
            chart.set_definition(breakdown.definition)
            chart.set_data(breakdown.categories, breakdown.series, breakdown.unit)
        self._fill_measures(report)
        self._fill_outcomes(report)
        self.definitions.setHtml(definitions_html(report))
        total = int(report.metrics["participants_total"].numerator or 0)
        self.status.setText(
            f"{total:,} participants · as of {report.as_of.isoformat()} · "
            f"updated {time.strftime('%H:%M')}"
        )
        self.status.setToolTip(f"Computed in {computed.seconds:.2f} s")
        if total == 0:
            self._show_message(
                "No participants match these filters yet: every rate shows n/a. "
                "Add participants, import a spreadsheet, or widen the filters."
            )
        if self._drill is not None and self.drill.isVisible():
            self._redo_drill()

    def _failed(self, error: BaseException, _trace: str) -> None:
        self.status.setText("")
        if not self.session.is_open:
            return
        self._show_message(f"The dashboard could not be updated: {error}")

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _fill_programs(self, programs: list[str]) -> None:
        current = self.program.currentData()
        wanted = [None, *programs]
        have = [self.program.itemData(i) for i in range(self.program.count())]
        if have == wanted:
            return
        self.program.blockSignals(True)
        self.program.clear()
        self.program.addItem("All programs", None)
        for program in programs:
            self.program.addItem(program, program)
        index = self.program.findData(current) if current else 0
        self.program.setCurrentIndex(max(index, 0))
        self.program.blockSignals(False)

    def _fill_measures(self, report: metrics.MetricsReport) -> None:
        breakdown = report.breakdowns["measure_entry_exit"]
        current = self.measure_choice.currentText()
        self.measure_choice.blockSignals(True)
        self.measure_choice.clear()
        self.measure_choice.addItems(breakdown.categories)
        with_data = [
            c
            for i, c in enumerate(breakdown.categories)
            if breakdown.series["Entry"][i] is not None
        ]
        choice = current if current in breakdown.categories else (with_data or [""])[0]
        self.measure_choice.setCurrentText(choice)
        self.measure_choice.blockSignals(False)
        self.charts["measure_entry_exit"].set_definition(breakdown.definition)
        self._draw_measure()

    def _draw_measure(self) -> None:
        if self.report is None:
            return
        breakdown = self.report.breakdowns["measure_entry_exit"]
        chart = self.charts["measure_entry_exit"]
        name = self.measure_choice.currentText()
        if name not in breakdown.categories:
            chart.set_data([], {"Mean": []}, metrics.NUMBER)
            return
        index = breakdown.categories.index(name)
        entry = breakdown.series["Entry"][index]
        later = breakdown.series["Exit or latest"][index]
        unit = metrics.CURRENCY if "wage" in name.lower() else metrics.NUMBER
        # The same people on both bars (those with both values), which is why the means
        # differ from the outcome table's, which averages every entry and every exit value.
        both = len(breakdown.members.get(name, ()))
        chart.set_data(
            [f"Entry (mean of {both:,})", f"Exit or latest (mean of {both:,})"],
            {"Mean": [entry, later]},
            unit,
            empty_text=f"No participant has both an entry and a later {name} value yet.",
        )

    # -- outcome measures by program ----------------------------------------------------------
    def _build_outcomes(self) -> QFrame:
        box = QFrame()
        box.setObjectName("tile")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(10, 8, 10, 8)
        title = QLabel("Outcome measures by program")
        title.setStyleSheet("font-weight: 600; color: #1f3b4d; font-size: 11pt;")
        title.setToolTip(metrics.definition_for("measure_improved").text)
        layout.addWidget(title)
        layout.addWidget(
            hint_label(
                "Mean at entry and at exit (or latest), over everyone measured at that point; "
                "improved = later value beats entry value, among participants with both. "
                "Double-click a row to list who improved."
            )
        )
        self.outcomes = QTableWidget(0, len(OUTCOME_HEADERS))
        self.outcomes.setHorizontalHeaderLabels(OUTCOME_HEADERS)
        self.outcomes.verticalHeader().setVisible(False)
        self.outcomes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.outcomes.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.outcomes.setAlternatingRowColors(True)
        header = self.outcomes.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.outcomes.setMinimumHeight(160)
        self.outcomes.cellDoubleClicked.connect(self._outcome_people)
        layout.addWidget(self.outcomes)
        return box

    def _fill_outcomes(self, report: metrics.MetricsReport) -> None:
        stats = {(s.measure, s.program, s.time_point): s for s in report.measure_stats}
        rows = [c for c in report.measure_changes if c.pairs or c.program == "All"]
        self.outcomes.setRowCount(len(rows))
        self._outcome_rows = rows
        for r, change in enumerate(rows):
            entry = stats.get((change.measure, change.program, "entry"))
            later = stats.get((change.measure, change.program, "exit"))
            cells = [
                change.measure_name,
                "All programs" if change.program == "All" else change.program,
                _mean_text(entry),
                _mean_text(later),
                metrics.format_value(change.pct_improved, metrics.PERCENT),
                f"{change.improved:,} of {change.pairs:,}",
            ]
            for c, text in enumerate(cells):
                self.outcomes.setItem(r, c, QTableWidgetItem(text))
        # show every row: the page scrolls, the table should not
        height = self.outcomes.horizontalHeader().height() + 4
        height += sum(self.outcomes.rowHeight(r) for r in range(len(rows)))
        self.outcomes.setFixedHeight(max(160, min(height, 900)))

    def _outcome_people(self, row: int, _column: int) -> None:
        if self.report is None or not 0 <= row < len(self._outcome_rows):
            return
        change = self._outcome_rows[row]
        key = f"measure_improved.{change.measure}"
        if key not in self.report.metrics:
            return
        people = self.report.participants_behind(key, "numerator")
        if change.program != "All":
            people = people[people["program"] == change.program]
        self._drill = None
        label = "all programs" if change.program == "All" else change.program
        self.drill.show_people(
            f"{change.measure_name} improved ({label}) — {len(people):,} participants",
            people,
            False,
        )
        self.drill.show()

    # -- drill down -----------------------------------------------------------------------------
    def show_metric_people(self, key: str) -> None:
        self._drill = (key, None)
        self.drill.part.blockSignals(True)
        self.drill.part.setCurrentIndex(0)
        self.drill.part.blockSignals(False)
        self._redo_drill()

    def show_bar_people(self, chart_key: str, category: str) -> None:
        if chart_key == "measure_entry_exit":
            category = self.measure_choice.currentText()
        self._drill = (chart_key, category)
        self._redo_drill()

    def _redo_drill(self) -> None:
        if self.report is None or self._drill is None:
            return
        key, category = self._drill
        report = self.report
        if category is None:
            result = report.metrics[key]
            part = str(self.drill.part.currentData())
            people = report.participants_behind(key, part)
            heading = f"{result.label} ({result.display}): {PART_LABELS[part].lower()}"
            self.drill.show_people(f"{heading} — {len(people):,} participants", people, True)
        else:
            breakdown = report.breakdowns[key]
            people = report.participants_behind(key, category=category)
            self.drill.show_people(
                f"{breakdown.label}: {category} — {len(people):,} participants", people, False
            )
        self.drill.show()

    def _open_participant(self, participant_id: int) -> None:
        window = self.window()
        show = getattr(window, "show_screen", None)
        if show is None:
            return
        page = show("participants")
        opener = getattr(page, "open_participant", None)
        if opener is not None:
            opener(participant_id)

    # -- statements and definitions ---------------------------------------------------------------
    def statements_text(self) -> str:
        if self.report is None:
            return ""
        report = self.report
        keys = [k for k in report.metrics if report.metrics[k].value is not None]
        head = f"{report.organisation}: " if report.organisation else ""
        lines = [f"{head}{report.filters.describe()}", ""]
        lines += [f"- {text}" for text in report.statements(keys)]
        return "\n".join(lines)

    def copy_statements(self) -> None:
        text = self.statements_text()
        if not text:
            return
        QGuiApplication.clipboard().setText(text)
        self.status.setText("Funder statements copied to the clipboard.")

    def _toggle_definitions(self, shown: bool) -> None:
        self.definitions.setVisible(shown)
        if shown:
            total = max(self.splitter.height(), 300)
            drill = self.splitter.sizes()[2] if self.drill.isVisible() else 0
            self.splitter.setSizes(
                [int((total - drill) * 0.55), int((total - drill) * 0.45), drill]
            )


def definitions_html(report: metrics.MetricsReport) -> str:
    parts = [
        "<h3>How every number is counted</h3>",
        "<p><b>Population, active, current job.</b> "
        + (metrics.__doc__ or "")
        .split("The words used in the definitions mean exactly this:")[-1]
        .split("Empty denominators")[0]
        .replace("\n*", "<br>•")
        .replace("**", "")
        + "</p>",
    ]
    for result in report.metrics.values():
        parts.append(f"<p><b>{result.label}</b>: {result.definition}</p>")
    for breakdown in report.breakdowns.values():
        parts.append(f"<p><b>{breakdown.label}</b> (chart): {breakdown.definition}</p>")
    return "".join(parts)
