"""Hostile input through the command line: every failure is one clear line, exit 1 (user
error) or 2 (wrong password / damaged file), no traceback, and the tracker is never changed."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cli import write_demo
from tests.e2e.test_cli_basics import PASSWORD, run_cli


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(result: object) -> str:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("bad") / "demo.tracker", 12, PASSWORD)


@pytest.mark.parametrize("where", ["page2", "last_page"])
@pytest.mark.parametrize("command", [["metrics"], ["check"], ["backup"], ["export", "out.xlsx"]])
def test_damaged_page_behind_the_first_exits_2_with_one_line(
    demo_file: Path, tmp_path: Path, where: str, command: list[str]
) -> None:
    data = bytearray(demo_file.read_bytes())
    start = 4096 if where == "page2" else len(data) - 4096
    data[start : start + 4096] = bytes(b ^ 0x55 for b in data[start : start + 4096])
    damaged = tmp_path / "damaged.tracker"
    damaged.write_bytes(bytes(data))
    before = _digest(damaged)
    args = [str(tmp_path / a) if a.endswith(".xlsx") else a for a in command]
    if command == ["backup"]:
        args += ["--to", str(tmp_path / "bk")]
    result = run_cli(*args, "--vault", str(damaged))
    assert result.returncode == 2, result.stderr
    assert "damaged" in _one_line(result)
    assert _digest(damaged) == before
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("command", [["metrics"], ["check"], ["demo", "--participants", "2"]])
def test_a_folder_as_vault_is_one_line(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "a folder"
    folder.mkdir()
    result = run_cli(*command, "--vault", str(folder))
    assert result.returncode == 1, result.stderr
    assert "folder" in _one_line(result)
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("name", ["a#b.tracker", "what?.tracker", "100%20.tracker"])
def test_uri_characters_in_the_file_name(demo_file: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(demo_file.read_bytes())
    result = run_cli("check", "--vault", str(target))
    assert result.returncode == 0, result.stderr
    assert "Participants: 12" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no stray file created


def _lock_folder(folder: Path) -> bool:
    """Make a folder unwritable, also for root (chattr +i); False when that is impossible."""
    if os.geteuid() != 0:  # pragma: no cover - CI runs as a normal user
        folder.chmod(0o555)
        return True
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def _unlock_folder(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize(
    "command", [["backup"], ["export", "x.xlsx"], ["export", "x.csv"], ["export", "x.pdf"]]
)
def test_read_only_folder_is_one_line(demo_file: Path, tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    vault = folder / "t.tracker"
    vault.write_bytes(demo_file.read_bytes())
    before = _digest(vault)
    args = [str(folder / a) if "." in a else a for a in command]
    if not _lock_folder(folder):
        pytest.skip("cannot make a folder read-only here")
    try:
        result = run_cli(*args, "--vault", str(vault))
    finally:
        _unlock_folder(folder)
    assert result.returncode == 1, result.stderr
    line = _one_line(result)
    assert "not permitted" in line or "denied" in line
    assert _digest(vault) == before
    assert sorted(p.name for p in folder.iterdir()) == ["t.tracker"]


@pytest.mark.parametrize(
    "args",
    [
        ["metrics", "--vault", "x.tracker", "--as-of", "2025-13-01"],
        ["metrics"],
        ["demo", "--vault", "x.tracker", "--participants", "many"],
        ["export", "--vault", "x.tracker"],
    ],
)
def test_usage_mistakes_exit_1_with_one_line(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 1, result.stderr
    assert _one_line(result).startswith("error: ")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture()
def empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.tracker"
    assert run_cli("create", "--vault", str(path)).returncode == 0
    return path


@pytest.mark.parametrize("payload", [bytes(range(256)) * 20, b"\x7fELF\x02\x01\x01" + b"\0" * 900])
def test_binary_file_renamed_csv_is_one_line(
    empty_file: Path, tmp_path: Path, payload: bytes
) -> None:
    fake = tmp_path / "people.csv"
    fake.write_bytes(payload)
    before = _digest(empty_file)
    result = run_cli("import", str(fake), "--vault", str(empty_file), "--dry-run")
    assert result.returncode == 1, result.stdout
    assert "not a text CSV file" in _one_line(result)
    assert result.stdout == ""  # no garbage "custom fields" or notes made from binary bytes
    assert _digest(empty_file) == before


def test_a_huge_cell_is_not_echoed_whole(empty_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "huge.csv"
    sheet.write_text(
        "Last Name,First Name,Date of Enrollment,Programs Enrolled,Program Progress,Hourly wage\n"
        f"Lee,Bo,{'9' * 50_000}-01-01,Pipeline,{'x' * 100_000},{'$' * 100_000}\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(sheet), "--vault", str(empty_file), "--dry-run")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert any("100,000 characters" in line for line in lines), result.stdout[:2000]
    assert max(len(line) for line in lines) < 400


def test_csv_export_leaves_missing_dates_blank(empty_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "Last Name,First Name,Date of Enrollment,Programs Enrolled,Employed\n"
        "王,小明,2024-01-05,Pipeline,No\n"
        "محمد,علي,2024-02-05,Pipeline,No\n",
        encoding="utf-8",
    )
    assert run_cli("import", str(sheet), "--vault", str(empty_file)).returncode == 0
    out = tmp_path / "out.csv"
    result = run_cli("export", str(out), "--vault", str(empty_file))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "NaT" not in text and "nan" not in text.lower().split(",")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["Last Name"] for r in rows} == {"王", "محمد"}
    assert rows[0]["Date of Employment"] == "" and rows[0]["Exit Date"] == ""


def test_import_refuses_an_infinite_or_comma_wage(empty_file: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "wages.csv"
    sheet.write_text(
        "Last Name,First Name,Date of Enrollment,Programs Enrolled,Employed,Hourly wage\n"
        "Lee,Bo,2024-01-05,Pipeline,Yes,1e400\n"
        "Kim,Al,2024-01-05,Pipeline,Yes,15.50\n",
        encoding="utf-8",
    )
    before = _digest(empty_file)
    result = run_cli("import", str(sheet), "--vault", str(empty_file))
    assert result.returncode == 1
    assert "row 2, column F (Hourly wage): '1e400' is not an amount" in result.stdout
    assert "Nothing imported" in _one_line(result)
    assert _digest(empty_file) == before


def test_a_file_where_a_folder_is_needed(demo_file: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "usb"
    blocker.write_text("not a folder")
    backup = run_cli("backup", "--vault", str(demo_file), "--to", str(blocker))
    assert backup.returncode == 1
    assert _one_line(backup) == f"error: {blocker} is a file, not a folder."
    create = run_cli("create", "--vault", str(blocker / "new.tracker"))
    assert create.returncode == 1
    assert _one_line(create) == f"error: {blocker} is a file, not a folder."


def _cli_environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_PASSWORD"}
    environment.update(extra)
    return environment


@pytest.mark.parametrize(
    "args", [["nosuchcommand"], ["chek", "--vault", "x.tracker"], ["--demo", "metrcis"]]
)
def test_a_mistyped_command_is_one_line_without_qt(tmp_path: Path, args: list[str]) -> None:
    # A platform plugin that does not exist: had Qt started, it would abort (exit 134).
    result = subprocess.run(
        [sys.executable, "-m", "tracker_desktop", *args],
        capture_output=True,
        text=True,
        env=_cli_environment(QT_QPA_PLATFORM="no-such-platform"),
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    word = args[1] if args[0] == "--demo" else args[0]
    line = _one_line(result)
    assert line.startswith(f"error: unknown command '{word}' (commands: create, demo, import, ")
    assert line.endswith("to open a tracker file give its path")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
def test_closed_stdin_without_password_is_one_line(demo_file: Path) -> None:
    before = _digest(demo_file)
    result = subprocess.run(
        [sys.executable, "-m", "tracker_desktop", "check", "--vault", str(demo_file)],
        capture_output=True,
        text=True,
        env=_cli_environment(),
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(0),  # started with no stdin at all: sys.stdin is None
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert _one_line(result).startswith("error: No password given: set TRACKER_PASSWORD")
    assert _digest(demo_file) == before


def _read_until(master: int, marker: bytes, seen: bytearray, timeout: float = 60) -> None:
    import select
    import time

    deadline = time.monotonic() + timeout
    while marker not in seen:
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {marker!r} within {timeout} s: {bytes(seen)!r}"
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        assert chunk, f"the terminal closed before {marker!r}: {bytes(seen)!r}"
        seen += chunk


def _at_a_terminal(args: list[str], answers: list[tuple[bytes, bytes]]) -> tuple[int, str, str]:
    """Run the CLI with a pseudo-terminal as its terminal (what getpass reads) and type
    each answer after its prompt; returns exit code, terminal text, stderr."""
    import fcntl
    import termios

    master, slave = os.openpty()

    def own_terminal() -> None:  # new session, the pty as controlling terminal (/dev/tty)
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "tracker_desktop", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=_cli_environment(),
        preexec_fn=own_terminal,
    )
    os.close(slave)
    seen = bytearray()
    try:
        for prompt, answer in answers:
            _read_until(master, prompt, seen)
            os.write(master, answer)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return process.returncode, seen.decode(errors="replace"), stderr.decode()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminal")
def test_ctrl_d_at_the_password_prompt_is_one_line(demo_file: Path, tmp_path: Path) -> None:
    before = _digest(demo_file)
    code, terminal, stderr = _at_a_terminal(
        ["check", "--vault", str(demo_file)], [(b"Tracker password: ", b"\x04")]
    )
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == ["error: No password given; nothing was changed."]
    assert _digest(demo_file) == before
    new = tmp_path / "new.tracker"  # at the second prompt of create: no file is made
    code, terminal, stderr = _at_a_terminal(
        ["create", "--vault", str(new)],
        [(b"Tracker password: ", b"long enough 1\n"), (b"Repeat the password: ", b"\x04")],
    )
    assert code == 1, stderr
    assert "Traceback" not in stderr and "long enough" not in terminal  # not echoed
    assert stderr.strip().splitlines() == ["error: No password given; nothing was changed."]
    assert not new.exists()


def test_demo_refuses_a_tracker_that_holds_participants(demo_file: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.tracker"
    real.write_bytes(demo_file.read_bytes())
    before = _digest(real)
    result = run_cli("demo", "--vault", str(real), "--participants", "5")
    assert result.returncode == 1, result.stderr
    line = _one_line(result)
    assert line.startswith("error: real.tracker already holds 12 participants")
    assert "demo data goes into a new file" in line
    assert result.stdout == ""
    assert _digest(real) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.tracker"]


def test_demo_still_fills_an_empty_tracker_or_a_new_file(empty_file: Path, tmp_path: Path) -> None:
    filled = run_cli("demo", "--vault", str(empty_file), "--participants", "3")
    assert filled.returncode == 0, filled.stderr
    new = run_cli("demo", "--vault", str(tmp_path / "new.tracker"), "--participants", "3")
    assert new.returncode == 0, new.stderr
    again = run_cli("demo", "--vault", str(empty_file), "--participants", "3")
    assert again.returncode == 1 and "already holds 3 participants" in _one_line(again)


@pytest.mark.parametrize("password", ["abc", "seven77"])
def test_create_refuses_a_short_password(tmp_path: Path, password: str) -> None:
    target = tmp_path / "short.tracker"
    result = run_cli("create", "--vault", str(target), password=password)
    assert result.returncode == 1, result.stderr
    assert _one_line(result) == (
        f"error: Use a password of at least 8 characters (this one has {len(password)})."
    )
    assert list(tmp_path.iterdir()) == []
    eight = run_cli("create", "--vault", str(target), password="eight888")
    assert eight.returncode == 0, eight.stderr


@pytest.mark.parametrize("password", ["right", "wrong"])
@pytest.mark.parametrize("command", [["check"], ["metrics"], ["backup"]])
def test_a_tracker_cut_short_is_damaged_not_a_document(
    demo_file: Path, tmp_path: Path, password: str, command: list[str]
) -> None:
    """An interrupted copy (``head -c``): the end of a page missing."""
    data = demo_file.read_bytes()
    cut = tmp_path / "cut.tracker"
    cut.write_bytes(data[: (len(data) // 4096 // 2) * 4096 + 1808])
    assert cut.stat().st_size % 4096 != 0 and cut.stat().st_size % 1024 != 0
    before = _digest(cut)
    args = [*command, "--to", str(tmp_path / "bk")] if command == ["backup"] else command
    if password == "right":
        result = run_cli(*args, "--vault", str(cut))
    else:
        result = run_cli(*args, "--vault", str(cut), password="not the password")
    assert result.returncode == 2, result.stderr
    line = _one_line(result)
    assert line.startswith("error: Wrong password, or the file is damaged: cut.tracker"), line
    assert "not a Participant Tracker file" not in line
    assert _digest(cut) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.tracker"]


@pytest.mark.parametrize("paper", ["A4", "letter"])
def test_paper_is_for_pdf_only(demo_file: Path, tmp_path: Path, paper: str) -> None:
    out = tmp_path / "out.csv"
    result = run_cli("export", str(out), "--vault", str(demo_file), "--paper", paper)
    assert result.returncode == 1, result.stderr
    assert _one_line(result) == "error: --paper applies to a .pdf report only, not to out.csv."
    unknown = run_cli("export", str(tmp_path / "r.pdf"), "--vault", str(demo_file), "--paper", "B5")
    assert unknown.returncode == 1
    assert "'B5' is not a paper size: use A4 or Letter" in _one_line(unknown)
    assert list(tmp_path.iterdir()) == []
