"""Participant Tracker: offline, encrypted participant tracking for workforce nonprofits."""

__version__ = "0.1.0"
APP_NAME = "Participant Tracker"
