"""Tabs of the Settings screen, contributed by the modules that own each setting.

Each entry is (tab label, "module:Class"); the class is a QWidget constructed as
``Class(session, parent)`` with a ``refresh()`` method.
"""

from __future__ import annotations

SETTINGS_TABS: list[tuple[str, str]] = [
    # ("Option lists", "tracker_desktop.ui.settings_options:OptionListsTab"),
    ("Security && backups", "tracker_desktop.ui.settings_security:SecurityTab"),
    ("Metric targets", "tracker_desktop.ui.settings_targets:TargetsTab"),
    ("Journey stages", "tracker_desktop.ui.settings_journey:StagesTab"),
    ("Outcome measures", "tracker_desktop.ui.settings_journey:MeasuresTab"),
    ("Surveys", "tracker_desktop.ui.settings_journey:SurveysTab"),
    ("Follow-up schedule", "tracker_desktop.ui.settings_journey:FollowupScheduleTab"),
]
