"""Settings tab: the target of every dashboard metric (stored in the file's
``metric_targets`` table; the dashboard colours tiles green/amber/red against them)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import delete, insert, select, update

from tracker_desktop.core import defaults, metrics, schema
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import error_label, hint_label

NO_TARGET = -1.0


def target_keys(followup_days: list[int], stored: dict[str, float]) -> list[str]:
    """Every metric that can have a target, in dashboard order."""
    keys = [k for k, d in metrics.DEFINITIONS.items() if d.unit == metrics.PERCENT]
    keys += [f"retention_{days}" for days in followup_days]
    keys += [k for k in defaults.METRIC_TARGETS if k not in keys]
    keys += [k for k in stored if k not in keys]
    return metrics.order_keys(keys)


class TargetsTab(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.spins: dict[str, QDoubleSpinBox] = {}
        self._stored: dict[str, float] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(
            hint_label(
                "The dashboard shows a tile green at or above its target, amber within 10 "
                "points below it, red further below.  Set a target to 'No target' to leave "
                "the tile uncoloured.  Targets are saved in this tracker file."
            )
        )
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Metric", "Target"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.save_button = QPushButton("Save targets")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        self.reset_button = QPushButton("Restore the defaults")
        self.reset_button.setToolTip("Put back the targets from the coaching deck's examples")
        self.reset_button.clicked.connect(self.restore_defaults)
        row.addWidget(self.reset_button)
        self.message = error_label()
        row.addWidget(self.message, 1)
        layout.addLayout(row)

    def refresh(self) -> None:
        repo = self.session.require_repo()
        with repo.reading() as conn:
            self._stored = {
                str(k): float(v)
                for k, v in conn.execute(
                    select(schema.metric_targets.c.metric_key, schema.metric_targets.c.target)
                )
            }
        days = [int(d) for d in repo.setting("followup_days", [30, 90, 180, 365])]
        keys = target_keys(days, self._stored)
        self.table.setRowCount(len(keys))
        self.spins.clear()
        for position, key in enumerate(keys):
            definition = metrics.definition_for(key)
            label = QTableWidgetItem(definition.label)
            label.setFlags(Qt.ItemFlag.ItemIsEnabled)
            label.setToolTip(definition.text)
            self.table.setItem(position, 0, label)
            spin = QDoubleSpinBox()
            spin.setRange(NO_TARGET, 100.0)
            spin.setDecimals(0)
            spin.setSuffix(" %")
            spin.setSpecialValueText("No target")
            spin.setMinimumWidth(120)
            spin.setAccessibleName(f"Target for {definition.label}")
            spin.setToolTip(definition.text)
            stored = self._stored.get(key)
            spin.setValue(NO_TARGET if stored is None else round(stored * 100))
            self.table.setCellWidget(position, 1, spin)
            self.spins[key] = spin
        self.message.setText("")

    def wanted(self) -> dict[str, float | None]:
        return {
            key: None if spin.value() <= NO_TARGET else round(spin.value()) / 100
            for key, spin in self.spins.items()
        }

    def save(self) -> None:
        repo = self.session.require_repo()
        table = schema.metric_targets
        changed = 0
        with repo.transaction(reason="metric targets edited") as tx:
            for key, target in self.wanted().items():
                old = self._stored.get(key)
                if old is not None and target is not None and abs(old - target) < 1e-9:
                    continue
                if old is None and target is None:
                    continue
                if target is None:
                    tx.conn.execute(delete(table).where(table.c.metric_key == key))
                elif old is None:
                    tx.conn.execute(insert(table).values(metric_key=key, target=target))
                else:
                    tx.conn.execute(
                        update(table).where(table.c.metric_key == key).values(target=target)
                    )
                tx.audit("update", "metric_targets", None, None, key, old, target)
                changed += 1
        self.refresh()
        if changed:
            self.session.notify("settings")
        self.message.setStyleSheet("color: #1d6b35; font-weight: 600;")
        self.message.setText(
            f"Saved {changed} target{'s' if changed != 1 else ''}." if changed else "No changes."
        )

    def restore_defaults(self) -> None:
        for key, spin in self.spins.items():
            default = defaults.METRIC_TARGETS.get(key)
            spin.setValue(NO_TARGET if default is None else round(default * 100))
        self.message.setStyleSheet("")
        self.message.setText("Defaults filled in: press Save targets to keep them.")
