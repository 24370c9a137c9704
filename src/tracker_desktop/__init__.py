"""Participant Tracker: offline, encrypted participant tracking for workforce nonprofits."""

__version__ = "0.1.0"
APP_NAME = "Participant Tracker"
# Named here, the one module every part imports anyway (no storage layer, no Qt), so the
# fast-start unlock window, the command line and the vault share them.
TRACKER_SUFFIX = ".tracker"
MIN_PASSWORD_LENGTH = 8  # a new tracker's password, or a new one (CLI create, GUI)
