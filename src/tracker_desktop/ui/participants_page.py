"""The Participants screen: the tracker table (search, filters, sort) and the record panel.

Speed with 100k rows: the rows come from ONE aggregate query into plain per-column lists
(:func:`core.participants.load_tracker`).  Filtering and sorting work on those lists in
Python (a substring test per row, one ``sorted`` per column, cached) and then reset the
model once; nothing calls back into Python per row per keystroke.  The view has fixed
row heights so a reset costs the same for 10 or 100k rows.

:class:`TrackerTableModel` exposes column constants, ``SORT_ROLE`` (the raw value: a float
for money, an ISO date for dates) and ``ID_ROLE``.  :class:`ParticipantFilterProxy` is the
view's model: a ``QSortFilterProxyModel`` whose ``sort()`` and filter setters delegate to
the source model's cheap list operations instead of per-row ``lessThan`` /
``filterAcceptsRow`` calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import participants as core
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.participant_record import ParticipantRecord, format_value
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import run_task
from tracker_desktop.ui.widgets import EmptyState, page_title

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ID_ROLE = int(Qt.ItemDataRole.UserRole) + 2

ALL_PROGRAMS = "All programs"
ALL_STAGES = "All stages"
ALL_STATUSES = "All statuses"
STATUSES = ("Active", "Exited", "Alumni", "Archived")
BACKGROUND_LOAD_FROM = 20_000  # participants; smaller trackers load inline (< 0.5 s)

_Index = QModelIndex | QPersistentModelIndex


class TrackerTableModel(QAbstractTableModel):
    """One row per participant; the visible rows are a permutation of the loaded ones."""

    COLUMNS = core.TRACKER_COLUMNS
    # column constants: TrackerTableModel.COL_WAGE, COL_ENROLLED_ON, ...
    COL_CODE = core.COLUMN_KEYS.index("code")
    COL_LAST_NAME = core.COLUMN_KEYS.index("last_name")
    COL_FIRST_NAME = core.COLUMN_KEYS.index("first_name")
    COL_ENROLLED_ON = core.COLUMN_KEYS.index("enrolled_on")
    COL_PROGRAM = core.COLUMN_KEYS.index("program")
    COL_PROGRESS = core.COLUMN_KEYS.index("progress")
    COL_EMPLOYED = core.COLUMN_KEYS.index("employed")
    COL_EMPLOYED_ON = core.COLUMN_KEYS.index("employed_on")
    COL_WAGE = core.COLUMN_KEYS.index("wage")
    COL_EMPLOYER_BENEFITS = core.COLUMN_KEYS.index("employer_benefits")
    COL_PROMOTION = core.COLUMN_KEYS.index("promotion")
    COL_CERTIFICATIONS = core.COLUMN_KEYS.index("certifications")
    COL_CERTIFIED_ON = core.COLUMN_KEYS.index("certified_on")
    COL_DEGREES = core.COLUMN_KEYS.index("degrees")
    COL_DEGREE_ON = core.COLUMN_KEYS.index("degree_on")
    COL_GPA = core.COLUMN_KEYS.index("gpa")
    COL_BARRIERS = core.COLUMN_KEYS.index("barriers_expunged")
    COL_STAGE = core.COLUMN_KEYS.index("stage")
    COL_STATUS = core.COLUMN_KEYS.index("status")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_ = core.TrackerData()
        self.visible: list[int] = []
        self._columns: list[list[Any]] = [[] for _ in self.COLUMNS]
        self._kinds = [kind for _key, _header, kind in self.COLUMNS]
        self._orders: dict[int, list[int]] = {}  # column -> ascending order, blanks last
        self._blank_counts: dict[int, int] = {}
        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder
        self._needle = ""
        self._program: str | None = None
        self._stage: str | None = None
        self._status: str | None = None
        self._matches: list[int] | None = None  # rows matching the needle (all filters)
        self._matches_key: tuple[Any, ...] | None = None

    # -- loading --------------------------------------------------------------------------
    def set_tracker(self, data: core.TrackerData) -> None:
        self.beginResetModel()
        self.data_ = data
        self._columns = [data.columns[key] for key in core.COLUMN_KEYS]
        self._orders = {}
        self._matches = None
        self._matches_key = None
        self.visible = self._compute_visible()
        self.endResetModel()

    def clear(self) -> None:
        self.set_tracker(core.TrackerData())

    def upsert(self, row: core.TrackerData) -> None:
        """Put one participant's fresh row in place (or add it) without reloading all."""
        if not len(row):
            return
        pid = row.ids[0]
        data = self.data_
        try:
            index = data.ids.index(pid)
        except ValueError:
            index = len(data.ids)
            data.ids.append(pid)
            data.archived.append(row.archived[0])
            data.search_keys.append(row.search_keys[0])
            for key in core.COLUMN_KEYS:
                data.columns[key].append(row.columns[key][0])
        else:
            data.archived[index] = row.archived[0]
            data.search_keys[index] = row.search_keys[0]
            for key in core.COLUMN_KEYS:
                data.columns[key][index] = row.columns[key][0]
        self._changed()

    def remove(self, participant_id: int) -> None:
        data = self.data_
        try:
            index = data.ids.index(participant_id)
        except ValueError:
            return
        del data.ids[index], data.archived[index], data.search_keys[index]
        for key in core.COLUMN_KEYS:
            del data.columns[key][index]
        self._changed()

    def _changed(self) -> None:
        self.beginResetModel()
        self._columns = [self.data_.columns[key] for key in core.COLUMN_KEYS]
        self._orders = {}
        self._matches = None
        self._matches_key = None
        self.visible = self._compute_visible()
        self.endResetModel()

    @property
    def total(self) -> int:
        return len(self.data_)

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.visible)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.COLUMNS[section][1]
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Sort by {self.COLUMNS[section][1]} (click again to reverse)"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.visible[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(self._columns[column][row], self._kinds[column])
        if role == SORT_ROLE:
            return self._columns[column][row]
        if role == ID_ROLE:
            return self.data_.ids[row]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self._kinds[column] in ("money", "percent", "number"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and self._kinds[column] == "text":
            value = self._columns[column][row]
            return value if value and len(str(value)) > 24 else None
        return None

    def participant_id(self, row: int) -> int:
        return self.data_.ids[self.visible[row]]

    def row_of(self, participant_id: int) -> int:
        try:
            return self.visible.index(self.data_.ids.index(participant_id))
        except ValueError:
            return -1

    # -- sorting ----------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self.sort_column = column
        self.sort_order = order
        self.visible = self._compute_visible()
        self.layoutChanged.emit()

    def _order(self, column: int) -> list[int]:
        """All rows in ascending order of ``column`` (as values), blanks at the end."""
        if column not in self._orders:
            values = self._columns[column]
            kind = self._kinds[column]
            present = [i for i, v in enumerate(values) if v is not None and v != ""]
            blanks = [i for i, v in enumerate(values) if v is None or v == ""]
            if kind == "text":
                folded = [str(v).casefold() if v is not None else "" for v in values]
                present.sort(key=folded.__getitem__)
            else:  # dates are ISO text, numbers are floats: both sort as values
                present.sort(key=values.__getitem__)
            self._orders[column] = present + blanks
            self._blank_counts[column] = len(blanks)
        return self._orders[column]

    # -- filtering --------------------------------------------------------------------------
    def set_filters(
        self,
        needle: str | None = None,
        program: str | None = None,
        stage: str | None = None,
        status: str | None = None,
    ) -> None:
        self.beginResetModel()
        self._needle = (needle or "").strip().lower()
        self._program = program
        self._stage = stage
        self._status = status
        self.visible = self._compute_visible()
        self.endResetModel()

    def _compute_visible(self) -> list[int]:
        count = len(self.data_)
        key = (self._program, self._stage, self._status)
        base: list[int] | range
        if (
            self._matches is not None
            and self._matches_key is not None
            and self._matches_key[1:] == key
            and self._needle.startswith(self._matches_key[0])
        ):
            base = self._matches  # typing more letters only narrows the previous matches
        else:
            base = range(count)
            columns = self.data_.columns
            if self._program is not None:
                programs = columns["program"]
                base = [i for i in base if programs[i] == self._program]
            if self._stage is not None:
                stages = columns["stage"]
                base = [i for i in base if stages[i] == self._stage]
            if self._status is not None:
                statuses = columns["status"]
                base = [i for i in base if statuses[i] == self._status]
        if self._needle:
            keys = self.data_.search_keys
            needle = self._needle
            base = [i for i in base if needle in keys[i]]
        matches = list(base)
        self._matches = matches
        self._matches_key = (self._needle, *key)
        if self.sort_column < 0:
            return matches
        order = self._order(self.sort_column)
        if len(matches) == count:
            chosen = order
        else:
            flags = bytearray(count)
            for i in matches:
                flags[i] = 1
            chosen = [i for i in order if flags[i]]
        if self.sort_order == Qt.SortOrder.DescendingOrder:
            blanks = self._blank_counts.get(self.sort_column, 0)
            if blanks and len(chosen) == count:
                return chosen[: count - blanks][::-1] + chosen[count - blanks :]
            values = self._columns[self.sort_column]
            present = [i for i in chosen if values[i] is not None and values[i] != ""]
            return present[::-1] + [i for i in chosen if values[i] is None or values[i] == ""]
        return list(chosen)


class ParticipantFilterProxy(QSortFilterProxyModel):
    """The view's model: search text + program/stage/status filters, and sorting.

    Delegates to :class:`TrackerTableModel`'s list operations (see the module docstring),
    so a keystroke costs one pass over a list of strings, not 100k Python callbacks.
    """

    def __init__(self, source: TrackerTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)
        self.needle = ""
        self.program: str | None = None
        self.stage: str | None = None
        self.status: str | None = None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source.sort(column, order)

    def set_search(self, text: str) -> None:
        self.needle = text
        self._apply()

    def set_program(self, program: str | None) -> None:
        self.program = program
        self._apply()

    def set_stage(self, stage: str | None) -> None:
        self.stage = stage
        self._apply()

    def set_status(self, status: str | None) -> None:
        self.status = status
        self._apply()

    def _apply(self) -> None:
        self.source.set_filters(self.needle, self.program, self.stage, self.status)

    def participant_id(self, proxy_row: int) -> int:
        source_row = self.mapToSource(self.index(proxy_row, 0)).row()
        return self.source.participant_id(source_row)


class ParticipantsPage(Page):
    """The tracker table with search and filters, and the record panel."""

    title = "Participants"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self._loaded = False
        self._loading = False
        self._generation = 0  # bumped by every load and by clear(): late results are dropped
        self._stale = True  # something changed elsewhere since the last full load
        self._quiet = False  # our own change notifications do not make the list stale
        self._undo_id: int | None = None
        session.data_changed.connect(self._data_changed)
        layout = QVBoxLayout(self)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)

        # -- the list ------------------------------------------------------------------------
        self.list_page = QWidget()
        list_layout = QVBoxLayout(self.list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(page_title("Participants"))
        header.addStretch(1)
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.setToolTip("Include archived participants in the list")
        self.show_archived.toggled.connect(lambda _b: self.reload())
        header.addWidget(self.show_archived)
        self.import_button = QPushButton("Import a spreadsheet…")
        self.import_button.clicked.connect(self._go_to_import)
        header.addWidget(self.import_button)
        self.new_button = QPushButton("New participant")
        self.new_button.setObjectName("primary")
        self.new_button.setToolTip("Add a participant (Ctrl+N)")
        self.new_button.clicked.connect(self.new_participant)
        header.addWidget(self.new_button)
        list_layout.addLayout(header)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name or participant code  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search participants")
        self.search.textChanged.connect(self._search_changed)
        filters.addWidget(self.search, 2)
        self.program_filter = QComboBox()
        self.program_filter.setAccessibleName("Program filter")
        self.stage_filter = QComboBox()
        self.stage_filter.setAccessibleName("Stage filter")
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status filter")
        self.status_filter.addItems([ALL_STATUSES, *STATUSES])
        for combo in (self.program_filter, self.stage_filter, self.status_filter):
            combo.currentIndexChanged.connect(lambda _i: self._filters_changed())
            filters.addWidget(combo, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.count_label.setMinimumWidth(190)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        filters.addWidget(self.count_label)
        list_layout.addLayout(filters)

        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("tile")
        undo_layout = QHBoxLayout(self.undo_bar)
        undo_layout.setContentsMargins(10, 4, 10, 4)
        self.undo_text = QLabel()
        undo_layout.addWidget(self.undo_text, 1)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo_archive)
        undo_layout.addWidget(self.undo_button)
        self.undo_bar.setVisible(False)
        list_layout.addWidget(self.undo_bar)

        self.model = TrackerTableModel(self)
        self.proxy = ParticipantFilterProxy(self.model, self)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setAccessibleName("Participants")
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(26)
        horizontal = self.table.horizontalHeader()
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        horizontal.setDefaultSectionSize(110)
        horizontal.setHighlightSections(False)
        metrics = horizontal.fontMetrics()
        for column, (_key, heading, _kind) in enumerate(TrackerTableModel.COLUMNS):
            self.table.setColumnWidth(column, max(90, metrics.horizontalAdvance(heading) + 34))
        for column, width in (
            (TrackerTableModel.COL_CODE, 80),
            (TrackerTableModel.COL_GPA, 60),
            (TrackerTableModel.COL_CERTIFICATIONS, 150),
            (TrackerTableModel.COL_STAGE, 140),
        ):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        self.table.activated.connect(lambda index: self._open_row(index.row()))

        self.empty = EmptyState(
            "No participants yet",
            "Add your first participant with “New participant” (Ctrl+N): type their name, "
            "program and enrollment date, then press Ctrl+S to save.\n\n"
            "Already keep a tracker in Excel? Use “Import a spreadsheet…” to bring every "
            "row in at once.",
        )
        self.no_match = EmptyState(
            "No participant matches",
            "Try fewer letters, or set the filters back to “All”.",
        )
        self.body = QStackedWidget()
        self.body.addWidget(self.table)
        self.body.addWidget(self.empty)
        self.body.addWidget(self.no_match)
        list_layout.addWidget(self.body, 1)
        self.stack.addWidget(self.list_page)

        # -- the record ------------------------------------------------------------------------
        self.record = ParticipantRecord(session)
        self.record.closed.connect(self.show_list)
        self.record.archived.connect(self._archived)
        self.record.deleted.connect(self._deleted)
        self.record.notify = self._notify  # our own writes keep the loaded list valid
        self.stack.addWidget(self.record)

        for sequence, slot in (
            ("Ctrl+N", self.new_participant),
            ("Ctrl+F", self.focus_search),
        ):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
        self.setTabOrder(self.search, self.program_filter)
        self.setTabOrder(self.program_filter, self.stage_filter)
        self.setTabOrder(self.stage_filter, self.status_filter)
        self.setTabOrder(self.status_filter, self.table)

    # -- Page API ----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.stack.currentWidget() is self.record or self._loading:
            return  # never reload under an edit in progress
        if self._stale or not self._loaded:
            self.reload()

    def _data_changed(self, _what: str) -> None:
        if not self._quiet:
            self._stale = True

    def _notify(self) -> None:
        self._quiet = True
        try:
            self.session.notify("participants")
        finally:
            self._quiet = False

    def _update_row(self, participant_id: int) -> None:
        """Refresh one participant's row after our own change (cheap at 100k)."""
        if self._loading:
            return  # the load in flight reads the change too
        if not self._loaded or self._stale:
            self.reload()
            return
        row = core.load_tracker(
            self.session.require_repo(),
            include_archived=self.show_archived.isChecked(),
            participant_id=participant_id,
        )
        if len(row):
            self.model.upsert(row)
        else:
            self.model.remove(participant_id)
        self._update_count()

    def reload(self) -> None:
        """Read the whole tracker again.  Big trackers load in the background (the window
        stays responsive and says so); small ones inline."""
        repo = self.session.require_repo()
        self._fill_filter(self.program_filter, ALL_PROGRAMS, repo.options("programs", True))
        self._fill_filter(self.stage_filter, ALL_STAGES, [str(s["name"]) for s in repo.stages()])
        archived = self.show_archived.isChecked()
        self._generation += 1
        generation = self._generation
        if repo.count("participants") < BACKGROUND_LOAD_FROM:
            self._loaded_data(core.load_tracker(repo, include_archived=archived), generation)
            return
        self.count_label.setText("Loading participants…")
        self._loading = True
        run_task(
            lambda _progress: core.load_tracker(repo, include_archived=archived),
            lambda data: self._loaded_data(data, generation),
            lambda exc, _trace: self._load_failed(exc, generation),
            parent=self,
        )

    def _loaded_data(self, data: object, generation: int) -> None:
        if generation != self._generation or not self.session.is_open:
            return  # locked, or a newer load was started meanwhile
        assert isinstance(data, core.TrackerData)
        self._loading = False
        self.model.set_tracker(data)
        self._loaded = True
        self._stale = False
        self._update_count()

    def _load_failed(self, exc: BaseException, generation: int) -> None:
        if generation == self._generation and self.session.is_open:
            self._loading = False
            self.count_label.setText(f"Could not load the participants: {exc}")

    def clear(self) -> None:
        self._generation += 1
        self._loading = False
        self.record.clear()
        self.model.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.proxy.needle = ""
        self.undo_bar.setVisible(False)
        self.undo_text.clear()
        self._undo_id = None
        self.stack.setCurrentWidget(self.list_page)
        self._loaded = False
        self._stale = True
        self.count_label.clear()

    def has_unsaved_changes(self) -> bool:
        return self.stack.currentWidget() is self.record and self.record.has_unsaved_changes()

    def confirm_discard(self) -> bool:
        return self.record.confirm_discard()

    def draft_state(self) -> dict[str, Any] | None:
        if self.stack.currentWidget() is not self.record:
            return None
        return self.record.draft_state()

    def restore_draft(self, state: object) -> None:
        if isinstance(state, dict) and state.get("kind") == "participant_record":
            self.record.restore_draft(state)
            self.stack.setCurrentWidget(self.record)

    # -- actions ---------------------------------------------------------------------------
    def new_participant(self) -> None:
        if (
            self.stack.currentWidget() is self.record
            and self.record.has_unsaved_changes()
            and not self.record.confirm_discard()
        ):
            return
        self.record.new_participant()
        self.stack.setCurrentWidget(self.record)
        self.record.fields["first_name"].input.setFocus()

    def open_participant(self, participant_id: int) -> None:
        """Show one participant's record (other screens call this too)."""
        if (
            self.stack.currentWidget() is self.record
            and self.record.participant_id != participant_id
            and self.record.has_unsaved_changes()
            and not self.record.confirm_discard()
        ):
            return
        self.record.open_participant(participant_id)
        self.stack.setCurrentWidget(self.record)
        self.record.tabs.setFocus()

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_page)
        current = self.record.participant_id
        if current is not None:
            self._update_row(current)
        elif self._stale or not self._loaded:
            self.reload()
        if current is not None:
            row = self.model.row_of(current)
            if row >= 0:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
        self.table.setFocus()

    def focus_search(self) -> None:
        if self.stack.currentWidget() is self.record:
            return
        self.search.setFocus()
        self.search.selectAll()

    def undo_archive(self) -> None:
        if self._undo_id is None:
            return
        pid = self._undo_id
        core.unarchive_participant(self.session.require_repo(), pid)
        self.undo_text.setText("Archive undone.")
        self.undo_button.setVisible(False)
        self._undo_id = None
        self._notify()
        self._update_row(pid)

    # -- internals ---------------------------------------------------------------------------
    def _open_row(self, row: int) -> None:
        if row >= 0:
            self.open_participant(self.proxy.participant_id(row))

    def _archived(self, participant_id: int, name: str) -> None:
        self._undo_id = participant_id
        self.undo_text.setText(f"Archived {name}. Archived participants are hidden from the "
                               "list and the metrics.")  # fmt: skip
        self.undo_button.setVisible(True)
        self.undo_bar.setVisible(True)

    def _deleted(self, participant_id: int, message: str) -> None:
        self.model.remove(participant_id)
        self._update_count()
        self._undo_id = None
        self.undo_text.setText(message)
        self.undo_button.setVisible(False)
        self.undo_bar.setVisible(True)

    def _go_to_import(self) -> None:
        window = self.window()
        show: Callable[[str], object] | None = getattr(window, "show_screen", None)
        if show is not None:
            if getattr(window, "page", None) is not None:
                window.page("import")  # type: ignore[attr-defined]
            show("import")

    @staticmethod
    def _fill_filter(combo: QComboBox, all_label: str, values: list[str]) -> None:
        current = combo.currentText()
        wanted = [all_label, *values]
        if [combo.itemText(i) for i in range(combo.count())] == wanted:
            return
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(wanted)
        index = combo.findText(current)
        combo.setCurrentIndex(max(0, index))
        combo.blockSignals(False)

    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()

    def _filters_changed(self) -> None:
        def chosen(combo: QComboBox) -> str | None:
            return combo.currentText() if combo.currentIndex() > 0 else None

        self.proxy.program = chosen(self.program_filter)
        self.proxy.stage = chosen(self.stage_filter)
        self.proxy.status = chosen(self.status_filter)
        self.proxy.set_search(self.search.text())
        self._update_count()

    def _update_count(self) -> None:
        shown = self.proxy.rowCount()
        total = self.model.total
        noun = "participant" if total == 1 else "participants"
        archived = " (incl. archived)" if self.show_archived.isChecked() else ""
        self.count_label.setText(
            f"{total:,} {noun}{archived}" if shown == total else f"{shown:,} of {total:,} {noun}"
        )
        if total == 0 and not self.show_archived.isChecked():
            self.body.setCurrentWidget(self.empty)
        elif shown == 0:
            self.body.setCurrentWidget(self.no_match)
        else:
            self.body.setCurrentWidget(self.table)
