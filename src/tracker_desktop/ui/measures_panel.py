"""The "Measures & surveys" tab of a participant record: outcome measure values at entry,
during, exit and follow-up with a small chart per measure, and experience survey answers.

pyqtgraph is imported only when a chart is drawn, never at app start.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import journey
from tracker_desktop.core.records import TimePoint
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.journey_common import (
    date_edit,
    fill_row,
    fmt_day,
    from_qdate,
    readonly_table,
    selected_key,
)
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import error_label, hint_label

VALUE_COLUMNS = ("Measure", "When", "Date", "Value")
CHART_HEIGHT = 150
POINT_COLORS = {
    TimePoint.ENTRY: "#1f6f8b",
    TimePoint.DURING: "#5b6770",
    TimePoint.EXIT: "#2e7d32",
    TimePoint.FOLLOW_UP: "#c77800",
}


def parse_value(text: str) -> float | None:
    cleaned = text.strip().replace("$", "").replace(",", "").strip()
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


def format_value(measure: journey.Measure | None, value: float) -> str:
    unit = (measure.unit or "") if measure else ""
    if unit.startswith("$"):
        return f"${value:,.2f}" + (unit[1:] and f" {unit[1:].strip()}")
    return f"{value:g}" + (f" {unit}" if unit and unit != "score" else "")


class SurveyDialog(QDialog):
    """Answers to one survey on one date; questions left on "—" are not answered."""

    def __init__(self, survey: journey.Survey, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.survey = survey
        self.setWindowTitle(f"{survey.name} survey")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.on = date_edit(None, "Date answered")
        form.addRow("Date", self.on)
        self.answers: dict[int, QComboBox] = {}
        for question in survey.questions:
            combo = QComboBox()
            combo.setAccessibleName(question.text)
            combo.addItem("—", None)
            if question.scale == "yesno":
                combo.addItem("Yes", 1.0)
                combo.addItem("No", 0.0)
            else:
                for value in range(1, 6):
                    combo.addItem(str(value), float(value))
            label = QLabel(question.text)
            label.setWordWrap(True)
            form.addRow(label, combo)
            if question.id is not None:
                self.answers[question.id] = combo
        layout.addLayout(form)
        layout.addWidget(hint_label("1 = strongly disagree … 5 = strongly agree."))
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[int, float]:
        return {
            qid: float(combo.currentData())
            for qid, combo in self.answers.items()
            if combo.currentData() is not None
        }

    def _accept(self) -> None:
        if not self.values():
            self.error.setText("Answer at least one question.")
            return
        self.accept()


class MeasuresPanel(QWidget):
    def __init__(self, session: Session, participant_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.participant_id = participant_id
        self._measures: dict[int, journey.Measure] = {}
        self._surveys: list[journey.Survey] = []
        self.chart_widgets: dict[int, Any] = {}
        layout = QVBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(splitter)

        # -- outcome measures -------------------------------------------------------------
        measures_box = QGroupBox("Outcome measures")
        measures_layout = QHBoxLayout(measures_box)
        left = QVBoxLayout()
        entry = QHBoxLayout()
        self.measure = QComboBox()
        self.measure.setAccessibleName("Measure")
        self.measure.currentIndexChanged.connect(self._measure_changed)
        self.measure.setMinimumWidth(220)
        entry.addWidget(self.measure, 2)
        self.time_point = QComboBox()
        self.time_point.setAccessibleName("When")
        for point in TimePoint:
            self.time_point.addItem(journey.TIME_POINT_LABELS[point], point.value)
        entry.addWidget(self.time_point)
        self.measured_on = date_edit(None, "Date measured")
        entry.addWidget(self.measured_on)
        self.value = QLineEdit()
        self.value.setAccessibleName("Value")
        self.value.setMinimumWidth(150)
        self.value.returnPressed.connect(self.record_value)
        entry.addWidget(self.value)
        self.record_button = QPushButton("Record")
        self.record_button.setObjectName("primary")
        self.record_button.clicked.connect(self.record_value)
        entry.addWidget(self.record_button)
        left.addLayout(entry)
        self.value_error = error_label()
        left.addWidget(self.value_error)
        self.values_table = readonly_table(VALUE_COLUMNS, "Measure values")
        left.addWidget(self.values_table, 1)
        row = QHBoxLayout()
        self.remove_value_button = QPushButton("Remove value")
        self.remove_value_button.clicked.connect(self.remove_value)
        row.addWidget(self.remove_value_button)
        row.addStretch(1)
        left.addLayout(row)
        measures_layout.addLayout(left, 3)

        self.charts_host = QWidget()
        self.charts_grid = QGridLayout(self.charts_host)
        self.charts_grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts_host)
        scroll.setMinimumWidth(340)
        measures_layout.addWidget(scroll, 2)
        splitter.addWidget(measures_box)

        # -- surveys ------------------------------------------------------------------------
        surveys_box = QGroupBox("Experience surveys")
        surveys_layout = QVBoxLayout(surveys_box)
        top = QHBoxLayout()
        top.addWidget(QLabel("Survey"))
        self.survey = QComboBox()
        self.survey.setAccessibleName("Survey")
        self.survey.currentIndexChanged.connect(lambda _i: self._fill_responses())
        top.addWidget(self.survey, 1)
        self.answer_button = QPushButton("Record answers…")
        self.answer_button.clicked.connect(self.record_answers)
        top.addWidget(self.answer_button)
        self.remove_response_button = QPushButton("Remove")
        self.remove_response_button.clicked.connect(self.remove_response)
        top.addWidget(self.remove_response_button)
        surveys_layout.addLayout(top)
        self.responses = readonly_table(("Date",), "Survey answers")
        surveys_layout.addWidget(self.responses)
        self.no_responses = hint_label()
        surveys_layout.addWidget(self.no_responses)
        self.message = hint_label()
        surveys_layout.addWidget(self.message)
        splitter.addWidget(surveys_box)
        splitter.setSizes([420, 220])
        self.refresh()

    def _repo(self) -> Repository:
        return self.session.require_repo()

    def has_unsaved_changes(self) -> bool:
        return bool(self.value.text().strip())

    def save(self) -> bool:
        return self.record_value() if self.value.text().strip() else True

    def clear(self) -> None:
        self.values_table.setRowCount(0)
        self.responses.setRowCount(0)
        self._clear_charts()

    # -- display -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.session.is_open:
            return
        repo = self._repo()
        measures = journey.list_measures(repo, include_inactive=True)
        self._measures = {m.id: m for m in measures if m.id is not None}
        keep = self.measure.currentData()
        self.measure.blockSignals(True)
        self.measure.clear()
        for measure in measures:
            if measure.active:
                self.measure.addItem(measure.name, measure.id)
        index = self.measure.findData(keep)
        self.measure.setCurrentIndex(max(0, index))
        self.measure.blockSignals(False)
        self._measure_changed()
        series = journey.measurement_series(repo, self.participant_id)
        rows = [
            (self._measures.get(mid), point) for mid, points in series.items() for point in points
        ]
        rows.sort(key=lambda r: (r[0].name if r[0] else "", r[1].measured_on or date.max))
        self.values_table.setRowCount(len(rows))
        for index, (measure, point) in enumerate(rows):
            fill_row(
                self.values_table,
                index,
                (
                    measure.name if measure else "?",
                    journey.TIME_POINT_LABELS.get(point.time_point, point.time_point),
                    fmt_day(point.measured_on),
                    format_value(measure, point.value),
                ),
                key=point.id,
                align_right=(3,),
            )
        self._draw_charts(series)
        keep_survey = self.survey.currentData()
        self._surveys = journey.list_surveys(repo, include_inactive=True)
        self.survey.blockSignals(True)
        self.survey.clear()
        for survey in self._surveys:
            self.survey.addItem(survey.name + ("" if survey.active else " (inactive)"), survey.id)
        self.survey.setCurrentIndex(max(0, self.survey.findData(keep_survey)))
        self.survey.blockSignals(False)
        self._fill_responses()

    def _measure_changed(self, *_args: object) -> None:
        measure = self._measures.get(self.measure.currentData())
        if measure is not None:
            unit = f" ({measure.unit})" if measure.unit else ""
            self.value.setPlaceholderText(measure.range_text() + unit)
            self.value.setToolTip(f"{measure.name}: {measure.range_text()}{unit}")

    def _clear_charts(self) -> None:
        while self.charts_grid.count():
            item = self.charts_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.chart_widgets = {}

    def _draw_charts(self, series: dict[int, list[journey.MeasurementPoint]]) -> None:
        self._clear_charts()
        drawable = {
            mid: [p for p in points if p.measured_on is not None]
            for mid, points in series.items()
            if mid in self._measures
        }
        drawable = {mid: points for mid, points in drawable.items() if points}
        if not drawable:
            self.charts_grid.addWidget(
                hint_label("Charts appear here once a measure has a dated value."), 0, 0
            )
            return
        import pyqtgraph as pg  # lazy: only when a record with values is shown

        pg.setConfigOptions(antialias=True, background="w", foreground="#33414a")
        row = 0
        for mid, points in sorted(drawable.items(), key=lambda kv: self._measures[kv[0]].name):
            measure = self._measures[mid]
            change = journey.measure_change(measure, series[mid])
            title = QLabel(f"<b>{measure.name}</b>" + (f" — {change}" if change else ""))
            title.setWordWrap(True)
            self.charts_grid.addWidget(title, row, 0)
            plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
            plot.setFixedHeight(CHART_HEIGHT)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=False, y=True, alpha=0.2)
            plot.getAxis("left").setWidth(56)
            xs = [datetime.combine(p.measured_on, time(12)).timestamp() for p in points]  # type: ignore[arg-type]
            ys = [p.value for p in points]
            plot.plot(xs, ys, pen=pg.mkPen("#1f6f8b", width=2))
            brushes = [pg.mkBrush(POINT_COLORS.get(p.time_point, "#1f6f8b")) for p in points]
            plot.plot(xs, ys, pen=None, symbol="o", symbolSize=9, symbolBrush=brushes)
            if measure.scale_min is not None and measure.scale_max is not None:
                plot.setYRange(measure.scale_min, measure.scale_max, padding=0.08)
            elif max(ys) == min(ys):  # one value: give the axis some room so it shows labels
                spread = abs(ys[0]) * 0.2 or 1.0
                plot.setYRange(ys[0] - spread, ys[0] + spread, padding=0)
            if len(xs) == 1:
                plot.setXRange(xs[0] - 86400 * 30, xs[0] + 86400 * 30)
            plot.setAccessibleName(f"{measure.name} over time")
            self.charts_grid.addWidget(plot, row + 1, 0)
            self.chart_widgets[mid] = plot
            row += 2
        legend = hint_label(
            "Points: "
            + " · ".join(
                f"<span style='color:{POINT_COLORS[t]}'>●</span> {journey.TIME_POINT_LABELS[t]}"
                for t in TimePoint
            )
        )
        legend.setTextFormat(Qt.TextFormat.RichText)
        self.charts_grid.addWidget(legend, row, 0)
        self.charts_grid.setRowStretch(row + 1, 1)

    def _fill_responses(self) -> None:
        survey = next((s for s in self._surveys if s.id == self.survey.currentData()), None)
        if survey is None:
            self.responses.setRowCount(0)
            return
        headers = ["Date", *[q.text for q in survey.questions]]
        self.responses.setColumnCount(len(headers))
        self.responses.setHorizontalHeaderLabels(headers)
        responses = [
            r
            for r in journey.list_survey_responses(self._repo(), self.participant_id)
            if r.survey_id == survey.id
        ]
        self.responses.setRowCount(len(responses))
        self.no_responses.setVisible(not responses)
        self.no_responses.setText(
            f"No {survey.name} answers recorded yet. Use “Record answers…” after each survey."
        )
        for index, response in enumerate(responses):
            cells: list[object] = [fmt_day(response.responded_on)]
            for question in survey.questions:
                value = response.answers.get(question.id or -1)
                if value is None:
                    cells.append("—")
                elif question.scale == "yesno":
                    cells.append("Yes" if value else "No")
                else:
                    cells.append(f"{value:g}")
            fill_row(self.responses, index, cells, key=response.id)

    # -- actions ------------------------------------------------------------------------------
    def record_value(self) -> bool:
        self.value_error.clear()
        measure_id = self.measure.currentData()
        if measure_id is None:
            self.value_error.setText("Define a measure in Settings first.")
            return False
        value = parse_value(self.value.text())
        if value is None:
            self.value_error.setText(
                f"Enter a number for {self.measure.currentText()}"
                + (f" (got {self.value.text()!r})." if self.value.text().strip() else ".")
            )
            return False
        try:
            with self._repo().transaction() as tx:
                journey.record_measurement(
                    tx,
                    self.participant_id,
                    int(measure_id),
                    str(self.time_point.currentData()),
                    from_qdate(self.measured_on.date()),
                    value,
                )
        except journey.JourneyError as exc:
            self.value_error.setText(str(exc))
            return False
        self.value.clear()
        self.refresh()
        self.session.notify("participants")
        return True

    def remove_value(self) -> None:
        key = selected_key(self.values_table)
        if key is None:
            self.value_error.setText("Select a value to remove.")
            return
        with self._repo().transaction() as tx:
            tx.delete("measurements", int(str(key)))
        self.refresh()
        self.session.notify("participants")

    def record_answers(self) -> None:
        survey = next((s for s in self._surveys if s.id == self.survey.currentData()), None)
        if survey is None or survey.id is None:
            self.message.setText("Define a survey in Settings first.")
            return
        dialog = SurveyDialog(survey, self)
        self._last_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            with self._repo().transaction() as tx:
                journey.record_survey_response(
                    tx,
                    self.participant_id,
                    survey.id,
                    from_qdate(dialog.on.date()),
                    dialog.values(),
                )
        except journey.JourneyError as exc:
            QMessageBox.warning(self, "Survey not saved", str(exc))
            return
        self.message.setText(
            f"Saved {survey.name} answers for {fmt_day(from_qdate(dialog.on.date()))}."
        )
        self._fill_responses()
        self.session.notify("participants")

    def remove_response(self) -> None:
        key = selected_key(self.responses)
        if key is None:
            self.message.setText("Select a row of answers to remove.")
            return
        with self._repo().transaction() as tx:
            journey.delete_survey_response(tx, int(str(key)))
        self._fill_responses()
        self.session.notify("participants")
