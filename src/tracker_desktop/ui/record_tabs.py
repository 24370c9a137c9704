"""Extra tabs of the participant record window, contributed by other screens' modules.

Each entry is (tab label, "module:Class"); the class is a QWidget constructed as
``Class(session, participant_id, parent)`` and may define ``has_unsaved_changes()``,
``save()`` and ``clear()``.  Modules are imported when a record is opened.
"""

from __future__ import annotations

RECORD_TABS: list[tuple[str, str]] = [
    # ("Journey", "tracker_desktop.ui.journey_panel:JourneyPanel"),
    ("Journey", "tracker_desktop.ui.journey_panel:JourneyPanel"),
    ("Measures and surveys", "tracker_desktop.ui.measures_panel:MeasuresPanel"),
]
