"""Settings tabs for the journey: stages, outcome measures, surveys, follow-up schedule.

Each tab edits a copy and writes it with "Save changes" in one audited transaction; a tab
with unsaved edits is not reloaded under the user's hands.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import defaults, journey
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import Progress, run_task
from tracker_desktop.ui.widgets import error_label, hint_label

OK_STYLE = "color: #1d6b35; font-weight: 600;"


def _editable_table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAccessibleName(name)
    return table


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text().strip() if item is not None else ""


def _number(
    table: QTableWidget, row: int, column: int, what: str, problems: list[str], whole: bool = False
) -> float | None:
    raw = _text(table, row, column)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"Row {row + 1}: {what} must be a number (got {raw!r}).")
        return None
    if whole and value != int(value):
        problems.append(f"Row {row + 1}: {what} must be a whole number (got {raw}).")
    return value


def _fmt(value: float | int | None) -> str:
    return "" if value is None else f"{value:g}"


class _EditorTab(QWidget):
    """Common shape: a table, row buttons, Save / Revert, a message line."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.dirty = False
        self.layout_ = QVBoxLayout(self)
        self.message = error_label()
        self.save_button = QPushButton("Save changes")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(self.revert)

    def _buttons(self, *extra: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        for button in extra:
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        return row

    def _say(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet(OK_STYLE if ok else "")
        self.message.setText(text)

    def mark_dirty(self, *_args: object) -> None:
        self.dirty = True
        self.message.setStyleSheet("")
        self.message.setText("")

    def has_unsaved_changes(self) -> bool:
        return self.dirty

    def refresh(self) -> None:
        if self.session.is_open and not self.dirty:
            self.load()

    def revert(self) -> None:
        self.dirty = False
        self.load()
        self._say("Changes discarded.", True)

    def clear(self) -> None:
        self.dirty = False

    def load(self) -> None:
        raise NotImplementedError

    def save(self) -> bool:
        raise NotImplementedError


def _move_row(table: QTableWidget, delta: int) -> bool:
    row = table.currentRow()
    target = row + delta
    if row < 0 or not 0 <= target < table.rowCount():
        return False
    for column in range(table.columnCount()):
        widget_a = table.cellWidget(row, column)
        widget_b = table.cellWidget(target, column)
        if widget_a is not None and widget_b is not None and isinstance(widget_a, QComboBox):
            assert isinstance(widget_b, QComboBox)
            a, b = widget_a.currentIndex(), widget_b.currentIndex()
            widget_a.setCurrentIndex(b)
            widget_b.setCurrentIndex(a)
            continue
        item_a = table.takeItem(row, column)
        item_b = table.takeItem(target, column)
        table.setItem(row, column, item_b)
        table.setItem(target, column, item_a)
    table.setCurrentCell(target, 0)
    return True


# --- stages -----------------------------------------------------------------------------
STAGE_COLUMNS = [
    "Stage",
    "Season",
    "Expected length",
    "Min days",
    "Max days",
    "Shift h/week cap",
    "PD h/week cap",
    "Stations",
    "Move on when",
    "Final",
]
C_NAME, C_SEASON, C_LENGTH, C_MIN, C_MAX, C_SHIFT, C_PD, C_STATIONS, C_TRIGGER, C_FINAL = range(10)


class StagesTab(_EditorTab):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.layout_.addWidget(
            hint_label(
                "The journey in order. Caps are the most paid hours a week at that stage; the "
                "hours log warns when a week goes over. “Pass all assessments” means every "
                "station's knowledge and skill assessment must be passed before moving on "
                "(staff can override with a reason, which is audited). Final stages end the "
                "journey (Graduated, Shift Lead). Renaming a stage renames it in every record."
            )
        )
        self.table = _editable_table(STAGE_COLUMNS, "Journey stages")
        self.table.itemChanged.connect(self.mark_dirty)
        self.layout_.addWidget(self.table, 1)
        self.add_button = QPushButton("Add stage")
        self.add_button.clicked.connect(self.add_stage)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_stage)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: _move_row(self.table, -1) and self.mark_dirty())
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: _move_row(self.table, 1) and self.mark_dirty())
        self.layout_.addLayout(
            self._buttons(self.add_button, self.remove_button, self.up_button, self.down_button)
        )
        self.layout_.addWidget(self.message)
        self.refresh()

    def _add_row(self, stage: journey.Stage) -> None:
        self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        values = [
            stage.name,
            stage.season or "",
            stage.expected_length or "",
            _fmt(stage.min_days),
            _fmt(stage.max_days),
            _fmt(stage.shift_hours_cap),
            _fmt(stage.pd_hours_cap),
            _fmt(stage.stations),
        ]
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column == C_NAME:
                item.setData(Qt.ItemDataRole.UserRole, stage.id)
            self.table.setItem(row, column, item)
        trigger = QComboBox()
        trigger.setAccessibleName("Move on when")
        for key, label in journey.TRIGGERS.items():
            trigger.addItem(label, key)
        trigger.setCurrentIndex(max(0, trigger.findData(stage.trigger)))
        trigger.currentIndexChanged.connect(self.mark_dirty)
        self.table.setCellWidget(row, C_TRIGGER, trigger)
        final = QTableWidgetItem()
        final.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        final.setCheckState(Qt.CheckState.Checked if stage.is_final else Qt.CheckState.Unchecked)
        self.table.setItem(row, C_FINAL, final)
        self.table.blockSignals(False)

    def load(self) -> None:
        self.table.setRowCount(0)
        for stage in journey.list_stages(self.session.require_repo()):
            self._add_row(stage)
        self.dirty = False

    def add_stage(self) -> None:
        self._add_row(journey.Stage(None, "", self.table.rowCount(), defaults.SEASON_GROWTH))
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, C_NAME)
        self.table.editItem(self.table.item(row, C_NAME))
        self.mark_dirty()

    def remove_stage(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.mark_dirty()

    def stages(self) -> tuple[list[journey.Stage], list[str]]:
        problems: list[str] = []
        stages = []
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, C_NAME)
            trigger = self.table.cellWidget(row, C_TRIGGER)
            final = self.table.item(row, C_FINAL)
            min_days = _number(self.table, row, C_MIN, "Min days", problems, whole=True)
            max_days = _number(self.table, row, C_MAX, "Max days", problems, whole=True)
            stations = _number(self.table, row, C_STATIONS, "Stations", problems, whole=True)
            stages.append(
                journey.Stage(
                    id=name_item.data(Qt.ItemDataRole.UserRole) if name_item else None,
                    name=_text(self.table, row, C_NAME),
                    position=row,
                    season=_text(self.table, row, C_SEASON) or None,
                    expected_length=_text(self.table, row, C_LENGTH) or None,
                    min_days=None if min_days is None else int(min_days),
                    max_days=None if max_days is None else int(max_days),
                    shift_hours_cap=_number(self.table, row, C_SHIFT, "Shift cap", problems),
                    pd_hours_cap=_number(self.table, row, C_PD, "PD cap", problems),
                    stations=None if stations is None else int(stations),
                    trigger=str(trigger.currentData())
                    if isinstance(trigger, QComboBox)
                    else journey.TRIGGER_MANUAL,
                    is_final=bool(final and final.checkState() == Qt.CheckState.Checked),
                )
            )
        return stages, problems

    def save(self) -> bool:
        stages, problems = self.stages()
        if problems:
            self._say("Not saved. " + " ".join(problems), False)
            return False
        try:
            with self.session.require_repo().transaction() as tx:
                journey.save_stages(tx, stages)
        except journey.JourneyError as exc:
            self._say(f"Not saved. {exc}", False)
            return False
        self.dirty = False
        self.load()
        self._say(f"Saved {len(stages)} stages.", True)
        self.session.notify("settings")
        return True


# --- measures ---------------------------------------------------------------------------
MEASURE_COLUMNS = ["Measure", "Unit", "Lowest", "Highest", "Better when", "Active"]


class MeasuresTab(_EditorTab):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.layout_.addWidget(
            hint_label(
                "What you measure at entry, during the program, at exit and at follow-ups "
                "(e.g. capacity to aspire 1-5). Lowest/highest limit what staff can enter; "
                "“Better when” decides whether a change counts as an improvement. A measure "
                "with recorded values is made inactive instead of deleted."
            )
        )
        self.table = _editable_table(MEASURE_COLUMNS, "Outcome measures")
        self.table.itemChanged.connect(self.mark_dirty)
        self.layout_.addWidget(self.table, 1)
        self.add_button = QPushButton("Add measure")
        self.add_button.clicked.connect(self.add_measure)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_measure)
        self.layout_.addLayout(self._buttons(self.add_button, self.remove_button))
        self.layout_.addWidget(self.message)
        self._keys: dict[int, str] = {}
        self.refresh()

    def _add_row(self, measure: journey.Measure) -> None:
        self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, value in enumerate(
            [measure.name, measure.unit or "", _fmt(measure.scale_min), _fmt(measure.scale_max)]
        ):
            item = QTableWidgetItem(value)
            if column == 0:
                item.setData(Qt.ItemDataRole.UserRole, measure.id)
            self.table.setItem(row, column, item)
        direction = QComboBox()
        direction.setAccessibleName("Better when")
        direction.addItem("Higher is better", True)
        direction.addItem("Lower is better", False)
        direction.setCurrentIndex(0 if measure.higher_is_better else 1)
        direction.currentIndexChanged.connect(self.mark_dirty)
        self.table.setCellWidget(row, 4, direction)
        active = QTableWidgetItem()
        active.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        active.setCheckState(Qt.CheckState.Checked if measure.active else Qt.CheckState.Unchecked)
        self.table.setItem(row, 5, active)
        self.table.blockSignals(False)

    def load(self) -> None:
        self.table.setRowCount(0)
        measures = journey.list_measures(self.session.require_repo(), include_inactive=True)
        self._keys = {m.id: m.key for m in measures if m.id is not None}
        for measure in measures:
            self._add_row(measure)
        self.dirty = False

    def add_measure(self) -> None:
        self._add_row(journey.Measure(None, "", "", "score", 1, 5, True, True))
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))
        self.mark_dirty()

    def remove_measure(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.mark_dirty()

    def measures(self) -> tuple[list[journey.Measure], list[str]]:
        problems: list[str] = []
        measures = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            measure_id = item.data(Qt.ItemDataRole.UserRole) if item else None
            direction = self.table.cellWidget(row, 4)
            active = self.table.item(row, 5)
            measures.append(
                journey.Measure(
                    id=measure_id,
                    key=self._keys.get(measure_id, "") if measure_id is not None else "",
                    name=_text(self.table, row, 0),
                    unit=_text(self.table, row, 1) or None,
                    scale_min=_number(self.table, row, 2, "Lowest", problems),
                    scale_max=_number(self.table, row, 3, "Highest", problems),
                    higher_is_better=bool(direction.currentData())
                    if isinstance(direction, QComboBox)
                    else True,
                    active=bool(active and active.checkState() == Qt.CheckState.Checked),
                )
            )
        return measures, problems

    def save(self) -> bool:
        measures, problems = self.measures()
        if problems:
            self._say("Not saved. " + " ".join(problems), False)
            return False
        try:
            with self.session.require_repo().transaction() as tx:
                journey.save_measures(tx, measures)
        except journey.JourneyError as exc:
            self._say(f"Not saved. {exc}", False)
            return False
        self.dirty = False
        self.load()
        self._say(f"Saved {len(measures)} measures.", True)
        self.session.notify("settings")
        return True


# --- surveys ----------------------------------------------------------------------------
class SurveysTab(_EditorTab):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.layout_.addWidget(
            hint_label(
                "Experience surveys staff record on a participant's Measures & surveys tab. "
                "Questions take a 1-5 answer (strongly disagree … strongly agree) or Yes/No."
            )
        )
        top = QHBoxLayout()
        top.addWidget(QLabel("Survey"))
        self.survey = QComboBox()
        self.survey.setAccessibleName("Survey")
        self.survey.currentIndexChanged.connect(self._survey_picked)
        top.addWidget(self.survey, 1)
        self.new_button = QPushButton("New survey")
        self.new_button.clicked.connect(self.new_survey)
        top.addWidget(self.new_button)
        self.layout_.addLayout(top)
        row = QHBoxLayout()
        row.addWidget(QLabel("Name"))
        self.name = QLineEdit()
        self.name.setAccessibleName("Survey name")
        self.name.textEdited.connect(self.mark_dirty)
        row.addWidget(self.name, 1)
        self.active = QCheckBox("Active")
        self.active.toggled.connect(self.mark_dirty)
        row.addWidget(self.active)
        self.layout_.addLayout(row)
        self.table = _editable_table(["Question", "Answer"], "Survey questions")
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemChanged.connect(self.mark_dirty)
        self.layout_.addWidget(self.table, 1)
        self.add_button = QPushButton("Add question")
        self.add_button.clicked.connect(self.add_question)
        self.remove_button = QPushButton("Remove question")
        self.remove_button.clicked.connect(self.remove_question)
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: _move_row(self.table, -1) and self.mark_dirty())
        self.layout_.addLayout(self._buttons(self.add_button, self.remove_button, self.up_button))
        self.layout_.addWidget(self.message)
        self._surveys: list[journey.Survey] = []
        self._editing: int | None = None
        self.refresh()

    def load(self) -> None:
        self._surveys = journey.list_surveys(self.session.require_repo(), include_inactive=True)
        keep = self._editing
        self.survey.blockSignals(True)
        self.survey.clear()
        for survey in self._surveys:
            self.survey.addItem(survey.name, survey.id)
        index = self.survey.findData(keep)
        self.survey.setCurrentIndex(index if index >= 0 else 0)
        self.survey.blockSignals(False)
        self._show(next((s for s in self._surveys if s.id == self.survey.currentData()), None))

    def _survey_picked(self, _index: int) -> None:
        if self.dirty:
            self._say("Save or revert the changes to this survey first.", False)
            self.survey.blockSignals(True)
            self.survey.setCurrentIndex(max(0, self.survey.findData(self._editing)))
            self.survey.blockSignals(False)
            return
        self._show(next((s for s in self._surveys if s.id == self.survey.currentData()), None))

    def _show(self, survey: journey.Survey | None) -> None:
        self._editing = survey.id if survey else None
        self.name.setText(survey.name if survey else "")
        self.active.blockSignals(True)
        self.active.setChecked(survey.active if survey else True)
        self.active.blockSignals(False)
        self.table.setRowCount(0)
        for question in survey.questions if survey else ():
            self._add_question_row(question)
        self.dirty = False

    def _add_question_row(self, question: journey.Question) -> None:
        self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        item = QTableWidgetItem(question.text)
        item.setData(Qt.ItemDataRole.UserRole, question.id)
        self.table.setItem(row, 0, item)
        scale = QComboBox()
        scale.setAccessibleName("Answer scale")
        for key, label in journey.SURVEY_SCALES.items():
            scale.addItem(label, key)
        scale.setCurrentIndex(max(0, scale.findData(question.scale)))
        scale.currentIndexChanged.connect(self.mark_dirty)
        self.table.setCellWidget(row, 1, scale)
        self.table.blockSignals(False)

    def new_survey(self) -> None:
        if self.dirty:
            self._say("Save or revert the changes to this survey first.", False)
            return
        self._show(None)
        self.name.setFocus()
        self.add_question()
        self.mark_dirty()

    def add_question(self) -> None:
        self._add_question_row(journey.Question(None, "", "1-5"))
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))
        self.mark_dirty()

    def remove_question(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.mark_dirty()

    def current_survey(self) -> journey.Survey:
        questions = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            scale = self.table.cellWidget(row, 1)
            questions.append(
                journey.Question(
                    item.data(Qt.ItemDataRole.UserRole) if item else None,
                    _text(self.table, row, 0),
                    str(scale.currentData()) if isinstance(scale, QComboBox) else "1-5",
                )
            )
        return journey.Survey(
            self._editing, self.name.text(), self.active.isChecked(), tuple(questions)
        )

    def save(self) -> bool:
        survey = self.current_survey()
        try:
            with self.session.require_repo().transaction() as tx:
                survey_id = journey.save_survey(tx, survey)
        except journey.JourneyError as exc:
            self._say(f"Not saved. {exc}", False)
            return False
        except Exception as exc:  # e.g. a duplicate survey name (unique constraint)
            self._say(
                f"Not saved: is there already a survey called {survey.name!r}? ({exc})", False
            )
            return False
        self._editing = survey_id
        self.dirty = False
        self.load()
        self._say(f"Saved the {survey.name.strip()} survey.", True)
        self.session.notify("settings")
        return True


# --- follow-up schedule -----------------------------------------------------------------
class FollowupScheduleTab(_EditorTab):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.layout_.addWidget(
            hint_label(
                "When someone exits, follow-up calls are scheduled this many days after the "
                "exit date. Changing the schedule moves every follow-up not yet made; "
                "results already recorded are never changed."
            )
        )
        row = QHBoxLayout()
        row.addWidget(QLabel("Days after exit"))
        self.days = QLineEdit()
        self.days.setAccessibleName("Follow-up days after exit")
        self.days.setPlaceholderText("e.g. 30, 90, 180, 365")
        self.days.textEdited.connect(self.mark_dirty)
        self.days.returnPressed.connect(self.save)
        row.addWidget(self.days, 1)
        self.layout_.addLayout(row)
        self.layout_.addLayout(self._buttons())
        self.layout_.addWidget(self.message)
        self.layout_.addStretch(1)
        self.refresh()

    def load(self) -> None:
        days = journey.followup_days(self.session.require_repo())
        self.days.setText(", ".join(str(d) for d in days))
        self.dirty = False

    def save(self) -> bool:
        try:
            days = journey.parse_followup_days(self.days.text())
        except journey.JourneyError as exc:
            self._say(f"Not saved. {exc}", False)
            return False
        repo = self.session.require_repo()

        def write(_progress: Progress) -> int:
            # Moving every pending follow-up takes seconds on a big tracker: off the UI thread.
            with repo.transaction() as tx:
                return journey.set_followup_days(tx, days)

        def done(count: object) -> None:
            self.dirty = False
            self.load()
            self._say(
                f"Saved: {', '.join(str(d) for d in days)} days after exit. Pending follow-ups "
                f"of {count} exited enrollment{'s' if count != 1 else ''} now follow this "
                "schedule.",
                True,
            )
            self.session.notify("participants")

        def failed(exc: BaseException, _trace: str) -> None:
            self._say(f"Not saved. {exc}", False)

        run_task(write, done, failed, parent=self, label="Rescheduling follow-ups…")
        return True
