"""Unlock an existing tracker (password, then who is working) or create a new one."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop import APP_NAME, MIN_PASSWORD_LENGTH, TRACKER_SUFFIX
from tracker_desktop.ui.tasks import run_task
from tracker_desktop.ui.widgets import error_label, hint_label

if TYPE_CHECKING:
    from tracker_desktop.core.vault import Vault

# Fast start: this window must show before the storage layer (SQLAlchemy, the schema) is
# imported, so core.vault is imported lazily below and preloaded in the background once the
# window is up.


STORAGE_MODULES = ("tracker_desktop.core.vault", "tracker_desktop.core.repository")
FILE_FILTER = f"Participant Tracker files (*{TRACKER_SUFFIX});;All files (*)"
LOST_PASSWORD_WARNING = (
    "Write the password down and keep it somewhere safe. If it is lost, nobody can open "
    "this file - not you, not a colleague, not us. There is no reset."
)


def preload_storage() -> None:
    """Import the storage layer in a background thread while the user types."""

    def work() -> None:
        import importlib

        for name in STORAGE_MODULES:
            importlib.import_module(name)

    threading.Thread(target=work, name="preload-storage", daemon=True).start()


class StaffPicker(QWidget):
    """'Who is working?': pick a staff member from the file, or type a new name."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Who is working today?</b>"))
        layout.addWidget(hint_label("Every change you make is recorded under this name."))
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.lineEdit().setPlaceholderText("Your name")
        self.combo.setAccessibleName("Staff member")
        layout.addWidget(self.combo)
        self.error = error_label()
        layout.addWidget(self.error)
        self.start = QPushButton("Start")
        self.start.setDefault(True)
        self.start.clicked.connect(self._accept)
        layout.addWidget(self.start, alignment=Qt.AlignmentFlag.AlignRight)

    def set_names(self, names: list[str]) -> None:
        self.combo.clear()
        self.combo.addItems(names)
        self.combo.setCurrentIndex(0 if names else -1)
        self.combo.setFocus()

    def _accept(self) -> None:
        name = self.combo.currentText().strip()
        if not name:
            self.error.setText("Type or pick your name.")
            return
        self.chosen.emit(name)


class UnlockDialog(QDialog):
    """Step 1: choose the file and type the password.  Step 2: who is working.

    After ``exec()`` returns Accepted, ``vault`` is open and ``staff`` is set.
    """

    def __init__(
        self,
        path: Path | None = None,
        parent: QWidget | None = None,
        *,
        password_hint: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} - unlock")
        self.setMinimumWidth(460)
        self.path: Path | None = path
        self.vault: Vault | None = None
        self.staff: str | None = None

        self.pages = QStackedWidget()
        outer = QVBoxLayout(self)
        title = QLabel(APP_NAME)
        title.setObjectName("pageTitle")
        outer.addWidget(title)
        outer.addWidget(self.pages)

        # Step 1: file + password.
        unlock_page = QWidget()
        form = QVBoxLayout(unlock_page)
        file_row = QHBoxLayout()
        self.file_label = QLabel()
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_label.setWordWrap(True)
        file_row.addWidget(self.file_label, 1)
        self.choose_button = QPushButton("Open another…")
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self._choose_file)
        file_row.addWidget(self.choose_button)
        self.new_button = QPushButton("New tracker…")
        self.new_button.setAutoDefault(False)
        self.new_button.clicked.connect(self._create_new)
        file_row.addWidget(self.new_button)
        form.addLayout(file_row)
        form.addWidget(QLabel("Password"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        # Return presses the default button (Unlock); no returnPressed hook, or it runs twice.
        form.addWidget(self.password)
        self.hint = hint_label(password_hint or "")
        self.hint.setVisible(bool(password_hint))
        form.addWidget(self.hint)
        self.error = error_label()
        form.addWidget(self.error)
        buttons = QHBoxLayout()
        self.backup_button = QPushButton("Open latest backup instead")
        self.backup_button.setVisible(False)
        self.backup_button.setAutoDefault(False)
        self.backup_button.clicked.connect(self._open_latest_backup)
        buttons.addWidget(self.backup_button)
        buttons.addStretch(1)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._unlock)
        buttons.addWidget(self.unlock_button)
        form.addLayout(buttons)
        self.pages.addWidget(unlock_page)

        # Step 2: who is working.
        self.staff_picker = StaffPicker()
        self.staff_picker.chosen.connect(self._staff_chosen)
        self.pages.addWidget(self.staff_picker)

        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.reject)
        self._show_path()
        self._preloaded = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._preloaded:  # once the window is up (and painted), not before
            self._preloaded = True
            QTimer.singleShot(300, preload_storage)

    # -- step 1 ------------------------------------------------------------------------
    def _show_path(self) -> None:
        if self.path is None:
            self.file_label.setText("No tracker chosen yet. Open one, or create a new tracker.")
            self.unlock_button.setEnabled(False)
            self.password.setEnabled(False)
        else:
            self.file_label.setText(f"<b>{self.path.name}</b><br><small>{self.path.parent}</small>")
            self.unlock_button.setEnabled(True)
            self.password.setEnabled(True)
            self.password.setFocus()

    def _choose_file(self) -> None:
        start = str(self.path.parent) if self.path else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Open a tracker", start, FILE_FILTER)
        if name:
            self.set_path(Path(name))

    def set_path(self, path: Path) -> None:
        self.path = path
        self.error.clear()
        self.backup_button.setVisible(False)
        self.hint.setVisible(False)
        self._show_path()

    def _create_new(self) -> None:
        dialog = CreateTrackerDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.vault is not None:
            self.vault = dialog.vault
            self.path = dialog.vault.path
            self.staff = dialog.staff_name
            self.accept()

    def _unlock(self) -> None:
        if self.path is None or not self.unlock_button.isEnabled():
            return
        password = self.password.text()
        if not password:
            self.error.setText("Type the password.")
            return
        self.error.setText("")
        self.unlock_button.setEnabled(False)
        self.unlock_button.setText("Unlocking…")
        path = self.path
        from tracker_desktop.core.vault import Vault

        run_task(
            lambda _progress: Vault.unlock(path, password),
            self._unlocked,
            self._unlock_failed,
            parent=self,
        )

    def _unlock_failed(self, exc: BaseException, _trace: str) -> None:
        from tracker_desktop.core.vault import (
            DamagedVaultError,
            NewerSchemaError,
            NotATrackerError,
            VaultError,
            WrongPasswordOrDamagedError,
        )

        self.unlock_button.setEnabled(True)
        self.unlock_button.setText("Unlock")
        self.password.selectAll()
        self.password.setFocus()
        if isinstance(exc, DamagedVaultError):
            has_backups = bool(self._backups())
            self.error.setText(
                f"{exc}. Nothing was changed.\n"
                + (
                    "Open the latest backup instead."
                    if has_backups
                    else "No backup of this file was found: keep the file and ask for help."
                )
            )
            self.backup_button.setVisible(has_backups)
            self.adjustSize()
        elif isinstance(exc, WrongPasswordOrDamagedError):
            has_backups = bool(self._backups())
            self.error.setText(
                "Wrong password, or the file is damaged. Nothing was changed.\n"
                + (
                    "Check Caps Lock and try again, or open the latest backup."
                    if has_backups
                    else "Check Caps Lock and try again. No backup of this file was found."
                )
            )
            self.backup_button.setVisible(has_backups)
            self.adjustSize()  # room for the two-line message
        elif isinstance(exc, NotATrackerError | NewerSchemaError | VaultError):
            self.error.setText(str(exc))
        else:
            self.error.setText(f"Could not open the file: {exc}")

    def _backups(self) -> list[Path]:
        if self.path is None:
            return []
        from tracker_desktop.ui.backup_places import known_backups

        # The default folder and the chosen one (e.g. a USB stick), remembered outside
        # the file because the setting inside it cannot be read without the password.
        return [info.path for info in known_backups(self.path)]

    def _open_latest_backup(self) -> None:
        backups = self._backups()
        if not backups or self.path is None:
            return
        from tracker_desktop.ui.backup_places import working_copy_of_backup

        original = self.path
        try:
            # Work continues in a copy beside the tracker, never inside the backup folder
            # (where rotation deletes old backups); the original file stays as it is.
            copy = working_copy_of_backup(original, backups[0])
        except OSError as exc:
            self.error.setText(f"Could not copy the latest backup: {exc.strerror or exc}")
            return
        self.set_path(copy)
        made = datetime.fromtimestamp(backups[0].stat().st_mtime).strftime("%d %b %Y, %H:%M")
        self.hint.setText(
            f"This is a copy of the latest backup ({made}), saved beside the tracker. "
            f"{original.name} was not changed. Type the password that was in use then."
        )
        self.hint.setVisible(True)
        self.adjustSize()

    def _unlocked(self, vault: object) -> None:
        from tracker_desktop.core.vault import Vault

        assert isinstance(vault, Vault)
        self.vault = vault
        self.unlock_button.setText("Unlock")
        from tracker_desktop.core.repository import Repository

        self.staff_picker.set_names(Repository(vault).staff_names())
        self.pages.setCurrentWidget(self.staff_picker)

    # -- step 2 ------------------------------------------------------------------------
    def _staff_chosen(self, name: str) -> None:
        assert self.vault is not None
        from tracker_desktop.core.repository import Repository

        repo = Repository(self.vault, name)
        if name not in repo.staff_names():
            repo.insert("staff", {"name": name, "active": True})
        self.staff = name
        self.accept()

    def reject(self) -> None:
        if self.vault is not None and self.staff is None:
            self.vault.close()
            self.vault = None
        super().reject()


class CreateTrackerDialog(QDialog):
    """A new encrypted tracker: where, organisation, your name, password twice."""

    def __init__(self, parent: QWidget | None = None, default_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create a new tracker")
        self.setMinimumWidth(520)
        self.vault: Vault | None = None
        self.staff_name: str | None = None
        self.default_dir = default_dir or Path.home()

        layout = QVBoxLayout(self)
        form = QFormLayout()
        location = QHBoxLayout()
        self.location = QLineEdit(str(self.default_dir / f"participants{TRACKER_SUFFIX}"))
        self.location.setAccessibleName("File")
        location.addWidget(self.location, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        location.addWidget(browse)
        form.addRow("File", location)
        self.organisation = QLineEdit()
        self.organisation.setPlaceholderText("e.g. Harbor Community Kitchen")
        form.addRow("Organisation", self.organisation)
        self.your_name = QLineEdit()
        self.your_name.setPlaceholderText("Shown in the change history")
        form.addRow("Your name", self.your_name)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Password", self.password)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Repeat password", self.confirm)
        layout.addLayout(form)
        warning = QLabel(LOST_PASSWORD_WARNING)
        warning.setObjectName("warning")
        warning.setWordWrap(True)
        layout.addWidget(warning)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.create_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create tracker")
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.organisation.setFocus()

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "New tracker", self.location.text(), FILE_FILTER
        )
        if name:
            if not name.endswith(TRACKER_SUFFIX):
                name += TRACKER_SUFFIX
            self.location.setText(name)

    def problem(self) -> str | None:
        """What stops creating the tracker, in words for the user (None when all is fine)."""
        if not self.location.text().strip():
            return "Choose where to save the tracker."
        path = Path(self.location.text().strip())
        if path.exists():
            return f"{path.name} already exists. Choose another name, or open it instead."
        if not self.your_name.text().strip():
            return "Type your name: it is recorded with every change."
        if len(self.password.text()) < MIN_PASSWORD_LENGTH:
            return f"Use a password of at least {MIN_PASSWORD_LENGTH} characters."
        if self.password.text() != self.confirm.text():
            return "The two passwords do not match."
        return None

    def _create(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        from tracker_desktop.core.repository import Repository
        from tracker_desktop.core.vault import Vault, VaultError

        path = Path(self.location.text().strip())
        if path.suffix != TRACKER_SUFFIX:
            path = path.with_name(path.name + TRACKER_SUFFIX)
        try:
            vault = Vault.create(path, self.password.text())
        except (VaultError, OSError) as exc:
            self.error.setText(f"Could not create the tracker: {exc}")
            return
        name = self.your_name.text().strip()
        repo = Repository(vault, name)
        with repo.transaction() as tx:
            tx.insert("staff", {"name": name, "active": True})
            if self.organisation.text().strip():
                tx.set_setting("organisation_name", self.organisation.text().strip())
        self.vault = vault
        self.staff_name = name
        self.accept()
