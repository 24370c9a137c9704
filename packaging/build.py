"""Build the Participant Tracker executable(s) with PyInstaller (``make package``).

    python packaging/build.py                   # one-folder + one-file into dist/
    python packaging/build.py --mode onedir     # just the one-folder build (faster start)
    python packaging/build.py --self-test       # ... then run the built app's self-test

The variant can also come from ``TRACKER_BUILD_MODE`` (onedir, onefile, both).
Prints where the executables are; exits non-zero if the build or the self-test fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "tracker_desktop.spec"
SRC = ROOT / "src"
EXE_NAME = "tracker-desktop"


def package_constants() -> tuple[str, str]:
    sys.path.insert(0, str(SRC))
    import tracker_desktop

    return tracker_desktop.APP_NAME, tracker_desktop.__version__


def platform_tag() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)


def render_icons(folder: Path) -> None:
    """Render resources/icon.svg to tracker.ico / tracker.icns / tracker.png with Qt."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    folder.mkdir(parents=True, exist_ok=True)
    renderer = QSvgRenderer(str(SRC / "tracker_desktop" / "resources" / "icon.svg"))

    def render(size: int) -> QImage:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        return image

    for name, size in (("tracker.png", 512), ("tracker.icns", 512)):
        if not render(size).save(str(folder / name)):
            print(f"note: could not write {name} (no Qt image plugin); default icon used")
    (folder / "tracker.ico").write_bytes(ico_bytes([png_bytes(render(n)) for n in ICO_SIZES]))


ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def png_bytes(image: object) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[attr-defined]
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: list[bytes]) -> bytes:
    """A Windows .ico holding one PNG per size (16 px for lists ... 256 px for Explorer)."""
    import struct

    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for png in pngs:
        width, height = struct.unpack(">II", png[16:24])  # from the PNG IHDR chunk
        entries += struct.pack(
            "<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), offset + len(blobs)
        )
        blobs += png
    return header + entries + blobs


def executables(dist: Path, mode: str) -> dict[str, Path]:
    """The executables a build in ``mode`` produces under ``dist``."""
    _name, version = package_constants()
    suffix = ".exe" if sys.platform == "win32" else ""
    cli = f"{EXE_NAME}-cli" if sys.platform == "win32" else EXE_NAME
    found: dict[str, Path] = {}
    if mode in ("onedir", "both"):
        found["onedir"] = dist / EXE_NAME / f"{cli}{suffix}"
    if mode in ("onefile", "both"):
        single = f"{EXE_NAME}-cli" if sys.platform == "win32" else EXE_NAME
        found["onefile"] = dist / f"{single}-{version}-{platform_tag()}{suffix}"
    return found


def build(mode: str, dist: Path, work: Path, *, quiet: bool = False) -> dict[str, Path]:
    render_icons(work / "icons")
    env = dict(os.environ, TRACKER_BUILD_MODE=mode, TRACKER_ICON_DIR=str(work / "icons"))
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--clean",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--log-level",
        "WARN" if quiet else "INFO",
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    built = executables(dist, mode)
    for variant, path in built.items():
        if not path.exists():
            raise SystemExit(f"PyInstaller finished but {path} is missing ({variant})")
    print(f"built in {time.perf_counter() - started:.0f} s:")
    for variant, path in built.items():
        print(f"  {variant}: {path}")
    return built


def self_test(exe: Path) -> int:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    result = subprocess.run([str(exe), "self-test"], env=env, timeout=600)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mode",
        choices=("onedir", "onefile", "both"),
        default=os.environ.get("TRACKER_BUILD_MODE", "both"),
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument("--self-test", action="store_true", help="run each build's self-test")
    parser.add_argument("--quiet", action="store_true", help="PyInstaller warnings only")
    args = parser.parse_args(argv)
    built = build(args.mode, args.dist.resolve(), args.work.resolve(), quiet=args.quiet)
    if args.self_test:
        for variant, exe in built.items():
            print(f"--- self-test of the {variant} build: {exe}")
            code = self_test(exe)
            if code != 0:
                print(f"self-test FAILED ({variant}, exit {code})", file=sys.stderr)
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
