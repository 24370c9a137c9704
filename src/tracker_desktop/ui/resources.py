"""Find bundled resources in a development install and in the PyInstaller executable."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(name: str) -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidate = Path(bundle) / "tracker_desktop" / "resources" / name
        if candidate.exists():
            return candidate
    return Path(__file__).resolve().parent.parent / "resources" / name
