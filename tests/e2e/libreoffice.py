"""Headless LibreOffice for the workbook tests: recalculate a file on load and convert it.

LibreOffice keeps an xlsx file's cached formula results unless its profile says to
recalculate on load, so every call runs with a private profile whose
registrymodifications.xcu sets Calc ``Formula/Load/OOXMLRecalcMode`` (and the ODF one) to
0 = always recalculate.  Without it a comparison would compare the cache with itself.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def profile_dir(base: Path) -> Path:
    """A LibreOffice user profile that always recalculates on load."""
    profile = base / "lo-profile"
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(RECALC_XCU, encoding="utf-8")
    return profile


def convert(source: Path, target_format: str, out_dir: Path, work: Path) -> Path:
    """Open ``source`` in headless LibreOffice (recalculating) and save it as
    ``target_format`` ("xlsx", "pdf", "ods", ...) into ``out_dir``."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = profile_dir(work)
    result = subprocess.run(
        [
            binary,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            target_format,
            "--outdir",
            str(out_dir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    produced = out_dir / (source.stem + "." + target_format.split(":")[0])
    if result.returncode != 0 or not produced.exists():
        raise RuntimeError(
            f"LibreOffice conversion failed ({result.returncode}): {result.stderr.strip()}"
        )
    return produced
