"""The main window's screens, in navigation order.

Each entry names its page class as "module:Class" so the module (and what it imports,
e.g. pyqtgraph for the dashboard) loads only when the screen is first opened.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Screen:
    key: str
    label: str
    page: str | None  # "module:Class", or None while the screen is not built yet
    shortcut: str


SCREENS: tuple[Screen, ...] = (
    Screen(
        "participants",
        "Participants",
        "tracker_desktop.ui.participants_page:ParticipantsPage",
        "Ctrl+1",
    ),
    Screen("dashboard", "Dashboard", "tracker_desktop.ui.dashboard_page:DashboardPage", "Ctrl+2"),
    Screen("followups", "Follow-ups", "tracker_desktop.ui.followups_page:FollowupsPage", "Ctrl+3"),
    Screen("quality", "Data quality", "tracker_desktop.ui.quality_page:QualityPage", "Ctrl+4"),
    Screen("import", "Import", "tracker_desktop.ui.import_page:ImportPage", "Ctrl+5"),
    Screen("export", "Export", "tracker_desktop.ui.export_page:ExportPage", "Ctrl+6"),
    Screen("audit", "Audit log", "tracker_desktop.ui.audit_page:AuditPage", "Ctrl+7"),
    Screen("settings", "Settings", "tracker_desktop.ui.settings_page:SettingsPage", "Ctrl+8"),
)
