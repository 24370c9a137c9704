"""Fixtures for the screens: the whole main window on a real encrypted tracker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tests.ui.safety_helpers import FakeClock
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.controller import AppController


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def controller(qtbot: QtBot, vault: Vault, clock: FakeClock) -> Iterator[AppController]:
    """The main window unlocked by Maria Lopez on a tracker holding Ana Garcia."""
    repo = Repository(vault, "Maria Lopez")
    repo.insert("staff", {"name": "Maria Lopez", "active": True})
    add_participant(repo, first="Ana", last="Garcia")
    ctl = AppController(vault, "Maria Lopez", clock=clock)
    qtbot.addWidget(ctl.window)
    ctl.window.show()
    yield ctl
    ctl.idle.dispose()
    ctl.session.lock()
