"""Settings > Security & backups: password, auto-lock, backup folder, back up, restore."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop import MIN_PASSWORD_LENGTH
from tracker_desktop.core import backup_policy
from tracker_desktop.core.vault import (
    BACKUP_KEEP_DEFAULT,
    BackupInfo,
    VaultError,
    WrongPasswordOrDamagedError,
)
from tracker_desktop.ui.backup_places import remember_backup_folder
from tracker_desktop.ui.idle import (
    IDLE_DEFAULT_MINUTES,
    IDLE_MAX_MINUTES,
    IDLE_MIN_MINUTES,
    IDLE_SETTING,
    clamp_minutes,
)
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import CancelledError, run_task
from tracker_desktop.ui.widgets import hint_label

LOST_PASSWORD_TEXT = (
    "There is no password reset: if every copy of the password is lost, nobody can open "
    "the tracker or its backups. Write the new password down and keep it somewhere safe."
)


def _size(num: int) -> str:
    if num >= 1024 * 1024:
        return f"{num / (1024 * 1024):.1f} MB"
    return f"{max(1, num // 1024)} KB"


class Message(QLabel):
    """A message line that takes no room while empty."""

    def __init__(self, ok: bool) -> None:
        super().__init__()
        self.setWordWrap(True)
        if ok:
            self.setObjectName("success")
            self.setStyleSheet("color: #1e6b34; font-weight: 600;")
        else:
            self.setObjectName("error")
            self.setAccessibleName("Error message")
        self.setVisible(False)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        self.setText("")


def _ok_label() -> QLabel:
    return Message(ok=True)


def _button_row(*buttons: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


class SecurityTab(QWidget):
    """Built as ``SecurityTab(session, parent)`` by the Settings screen."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.backup_rows: list[BackupInfo] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setSpacing(14)

        # -- password ------------------------------------------------------------------
        password_box = QGroupBox("Change the password")
        form = QFormLayout(password_box)
        self.old_password = self._password_field("Current password")
        self.new_password = self._password_field("New password")
        self.confirm_password = self._password_field("Repeat the new password")
        form.addRow("Current password", self.old_password)
        form.addRow("New password", self.new_password)
        form.addRow("Repeat new password", self.confirm_password)
        form.addRow(hint_label(LOST_PASSWORD_TEXT))
        self.password_error = Message(ok=False)
        self.password_ok = _ok_label()
        form.addRow(self.password_error)
        form.addRow(self.password_ok)
        self.change_button = QPushButton("Change password")
        self.change_button.clicked.connect(self.change_password)
        self.confirm_password.returnPressed.connect(self.change_password)
        form.addRow("", _button_row(self.change_button))
        layout.addWidget(password_box)

        # -- lock + backup settings ---------------------------------------------------
        settings_box = QGroupBox("Automatic lock and backups")
        form = QFormLayout(settings_box)
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setFixedWidth(150)
        self.idle_minutes.setRange(IDLE_MIN_MINUTES, IDLE_MAX_MINUTES)
        self.idle_minutes.setSuffix(" minutes")
        self.idle_minutes.setAccessibleName("Lock after minutes without use")
        form.addRow("Lock after", self.idle_minutes)
        form.addRow(
            hint_label(
                "The tracker locks itself after this long without keyboard or mouse use, "
                "also when the laptop was asleep. Ctrl+L locks at once."
            )
        )
        folder_row = QHBoxLayout()
        self.backup_dir = QLineEdit()
        self.backup_dir.setReadOnly(True)
        self.backup_dir.setAccessibleName("Backup folder")
        folder_row.addWidget(self.backup_dir, 1)
        self.choose_dir_button = QPushButton("Choose folder…")
        self.choose_dir_button.clicked.connect(self._choose_folder)
        folder_row.addWidget(self.choose_dir_button)
        self.default_dir_button = QPushButton("Use the default")
        self.default_dir_button.setToolTip("A folder next to the tracker file")
        self.default_dir_button.clicked.connect(self._use_default_folder)
        folder_row.addWidget(self.default_dir_button)
        form.addRow("Backup folder", folder_row)
        form.addRow(
            hint_label(
                "A USB stick or a second drive keeps the backups safe if this laptop is lost "
                "or breaks. Backups are encrypted with the tracker's password."
            )
        )
        self.keep = QSpinBox()
        self.keep.setFixedWidth(190)
        self.keep.setRange(1, 100)
        self.keep.setSuffix(" newest backups")
        self.keep.setAccessibleName("Backups to keep")
        form.addRow("Keep the", self.keep)
        self.settings_error = Message(ok=False)
        self.settings_ok = _ok_label()
        form.addRow(self.settings_error)
        form.addRow(self.settings_ok)
        self.save_button = QPushButton("Save these settings")
        self.save_button.clicked.connect(self.save_settings)
        form.addRow("", _button_row(self.save_button))
        layout.addWidget(settings_box)

        # -- backups -------------------------------------------------------------------
        backups_box = QGroupBox("Backups")
        box = QVBoxLayout(backups_box)
        box.addWidget(
            hint_label(
                "A backup is written automatically when you close the tracker and once a day "
                "while it is open (only if something changed). Each backup is checked after "
                "it is written."
            )
        )
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Made on", "Participants", "Size"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Backups")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(180)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.restore_selected())
        box.addWidget(self.table)
        self.empty_backups = hint_label("No backups yet. Press “Back up now” to make the first.")
        box.addWidget(self.empty_backups)
        self.backup_error = Message(ok=False)
        self.backup_ok = _ok_label()
        box.addWidget(self.backup_error)
        box.addWidget(self.backup_ok)
        buttons = QHBoxLayout()
        self.backup_button = QPushButton("Back up now")
        self.backup_button.clicked.connect(self.back_up_now)
        buttons.addWidget(self.backup_button)
        buttons.addStretch(1)
        self.restore_button = QPushButton("Restore from backup…")
        self.restore_button.setEnabled(False)
        self.restore_button.setToolTip("Replace the tracker with the selected backup")
        self.restore_button.clicked.connect(self.restore_selected)
        buttons.addWidget(self.restore_button)
        box.addLayout(buttons)
        layout.addWidget(backups_box)
        layout.addStretch(1)

    @staticmethod
    def _password_field(name: str) -> QLineEdit:
        field = QLineEdit()
        field.setMaximumWidth(340)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        return field

    # -- Settings screen protocol ------------------------------------------------------
    def refresh(self) -> None:
        repo = self.session.repo
        if repo is None:
            return
        self.idle_minutes.setValue(clamp_minutes(repo.setting(IDLE_SETTING, IDLE_DEFAULT_MINUTES)))
        self.keep.setValue(backup_policy.backup_keep(repo) or BACKUP_KEEP_DEFAULT)
        self.backup_dir.setText(str(backup_policy.backup_folder(repo)))
        self.refresh_backups()

    def clear(self) -> None:
        for field in (self.old_password, self.new_password, self.confirm_password):
            field.clear()
        self.table.setRowCount(0)
        self.backup_rows = []
        for label in (
            self.password_error,
            self.password_ok,
            self.settings_error,
            self.settings_ok,
            self.backup_error,
            self.backup_ok,
        ):
            label.clear()

    def refresh_backups(self) -> None:
        repo = self.session.repo
        self.table.setRowCount(0)
        self.backup_rows = []
        if repo is None:
            return
        try:
            self.backup_rows = backup_policy.backups(repo)
        except OSError as exc:
            self.backup_error.setText(f"Cannot read the backup folder: {exc.strerror}")
        self.table.setRowCount(len(self.backup_rows))
        for row, info in enumerate(self.backup_rows):
            when = QTableWidgetItem(info.created.strftime("%a %d %b %Y, %H:%M:%S"))
            when.setToolTip(str(info.path))
            self.table.setItem(row, 0, when)
            try:
                count = str(repo.vault.backup_participant_count(info.path))
            except Exception:
                count = "earlier password"
            item = QTableWidgetItem(count)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 1, item)
            size = QTableWidgetItem(_size(info.size_bytes))
            size.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, 2, size)
        self.empty_backups.setVisible(not self.backup_rows)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(self.selected_backup() is not None)

    def selected_backup(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.backup_rows):
            return None
        return self.backup_rows[rows[0].row()]

    # -- password ----------------------------------------------------------------------
    def password_problem(self) -> str | None:
        old = self.old_password.text()
        new = self.new_password.text()
        if not old:
            return "Type the current password."
        if len(new) < MIN_PASSWORD_LENGTH:
            return f"Use a new password of at least {MIN_PASSWORD_LENGTH} characters."
        if new != self.confirm_password.text():
            return "The two new passwords do not match."
        if new == old:
            return "The new password is the same as the current one."
        return None

    def change_password(self) -> None:
        vault = self.session.vault
        self.password_error.clear()
        self.password_ok.clear()
        if vault is None:
            return
        problem = self.password_problem()
        if problem:
            self.password_error.setText(problem)
            return
        old, new = self.old_password.text(), self.new_password.text()
        self.change_button.setEnabled(False)

        def done(_result: object) -> None:
            self.change_button.setEnabled(True)
            for field in (self.old_password, self.new_password, self.confirm_password):
                field.clear()
            self.password_ok.setText(
                "Password changed. From now on the tracker opens only with the new password. "
                "Backups made before today still need the password they were made with; a new "
                "backup with the new password is being written."
            )
            self.back_up_now()

        def failed(exc: BaseException, _trace: str) -> None:
            self.change_button.setEnabled(True)
            if isinstance(exc, WrongPasswordOrDamagedError):
                self.password_error.setText(
                    "The current password is not right. Nothing was changed."
                )
                self.old_password.selectAll()
                self.old_password.setFocus()
            else:
                self.password_error.setText(f"The password was not changed: {exc}")

        run_task(
            lambda _progress: vault.change_password(old, new),
            done,
            failed,
            parent=self,
            label="Changing the password…",
            cancellable=False,  # PRAGMA rekey is one transaction: it finishes or rolls back
        )

    # -- settings ------------------------------------------------------------------------
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Choose the backup folder", self.backup_dir.text() or str(Path.home())
        )
        if folder:
            self.backup_dir.setText(folder)

    def _use_default_folder(self) -> None:
        if self.session.vault is not None:
            self.backup_dir.setText(str(self.session.vault.default_backup_dir()))

    def save_settings(self) -> None:
        repo = self.session.repo
        self.settings_error.clear()
        self.settings_ok.clear()
        if repo is None:
            return
        folder = Path(self.backup_dir.text().strip()) if self.backup_dir.text().strip() else None
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.settings_error.setText(
                    f"Cannot use {folder} as the backup folder: {exc.strerror}. "
                    "Nothing was changed."
                )
                return
        default = repo.vault.default_backup_dir()
        with repo.transaction() as tx:
            tx.set_setting(IDLE_SETTING, self.idle_minutes.value())
            tx.set_setting(backup_policy.BACKUP_KEEP_SETTING, self.keep.value())
            tx.set_setting(
                backup_policy.BACKUP_DIR_SETTING,
                "" if folder is None or folder == default else str(folder),
            )
        remember_backup_folder(repo.vault.path, backup_policy.backup_folder(repo))
        self.settings_ok.setText("Saved.")
        self.session.notify("settings")
        self.refresh_backups()

    # -- backup / restore ----------------------------------------------------------------
    def back_up_now(self) -> None:
        repo = self.session.repo
        self.backup_error.clear()
        self.backup_ok.clear()
        if repo is None:
            return
        self.backup_button.setEnabled(False)

        def done(path: object) -> None:
            self.backup_button.setEnabled(True)
            self.backup_ok.setText(f"Backup written and verified: {Path(str(path)).name}")
            self.refresh_backups()

        def failed(exc: BaseException, _trace: str) -> None:
            self.backup_button.setEnabled(True)
            if isinstance(exc, CancelledError):
                self.backup_error.setText("Backup cancelled. Nothing was written.")
                return
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.backup_error.setText(
                f"The backup could not be written to {backup_policy.backup_folder(repo)}: "
                f"{reason}. Is the USB stick plugged in? Your tracker itself is safe."
            )

        run_task(
            lambda progress: backup_policy.back_up(
                repo, checkpoint=lambda: progress(0, 0, "Writing an encrypted backup…")
            ),
            done,
            failed,
            parent=self,
            label="Writing an encrypted backup…",
        )

    def restore_selected(self) -> None:
        info = self.selected_backup()
        vault, staff = self.session.vault, self.session.staff
        self.backup_error.clear()
        self.backup_ok.clear()
        if info is None or vault is None or staff is None:
            return
        password: str | None = None
        try:
            count = vault.backup_participant_count(info.path)
        except Exception:
            text, ok = QInputDialog.getText(
                self,
                "Password of this backup",
                "This backup was made with an earlier password.\nType that password:",
                QLineEdit.EchoMode.Password,
            )
            if not ok or not text:
                return
            password = text
            count = -1
        when = info.created.strftime("%d %b %Y at %H:%M")
        people = f"{count} participants" if count >= 0 else "its participants"
        answer = QMessageBox.question(
            self,
            "Restore this backup?",
            f"Replace the tracker with the backup made on {when} ({people})?\n\n"
            "Changes made after that backup will no longer be in the tracker. The current "
            "file is kept next to it (named “…before-restore…”) in case you need it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.session.lock()
        try:
            restored = vault.restore(info.path, password)
        except (VaultError, OSError) as exc:
            self.session.open(vault, staff)
            message = (
                "That password does not open this backup."
                if isinstance(exc, WrongPasswordOrDamagedError)
                else str(exc)
            )
            self.backup_error.setText(f"Nothing was restored: {message}")
            return
        self.session.open(restored, staff)
        self.session.notify("participants")
        note = " The tracker now opens with that backup's password." if password else ""
        self.backup_ok.setText(f"Restored the backup made on {when}.{note}")
        self.refresh()
