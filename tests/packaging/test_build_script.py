"""packaging/build.py helpers: icons for every platform, the names of what it builds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PySide6.QtGui import QImageReader

from tracker_desktop import __version__

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "build.py"


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tracker_build_helpers", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_icons_are_rendered_for_windows_and_macos(qapp: object, tmp_path: Path) -> None:
    build = _build_module()
    build.render_icons(tmp_path)
    reader = QImageReader(str(tmp_path / "tracker.ico"))
    sizes = []
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        sizes.append(reader.read().width())
    assert sizes == list(build.ICO_SIZES)
    assert (tmp_path / "tracker.icns").read_bytes()[:4] == b"icns"
    assert (tmp_path / "tracker.png").stat().st_size > 1000


def test_executable_names_carry_the_package_version(tmp_path: Path) -> None:
    built = _build_module().executables(tmp_path, "both")
    assert set(built) == {"onedir", "onefile"}
    assert built["onedir"].parent == tmp_path / "tracker-desktop"
    assert __version__ in built["onefile"].name
    if sys.platform == "win32":
        assert built["onedir"].name == "tracker-desktop-cli.exe"
    else:
        assert built["onedir"].name == "tracker-desktop"
