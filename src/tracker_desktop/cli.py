"""One entry point: the GUI by default, plus headless sub-commands (DESIGN.md section 6).

Exit codes: 0 ok, 1 user error (one clear line), 2 wrong password or damaged file.
The password comes from ``TRACKER_PASSWORD`` or a prompt, never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from tracker_desktop.core.importer import ImportPreview

from tracker_desktop import APP_NAME, MIN_PASSWORD_LENGTH, TRACKER_SUFFIX, __version__

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_WRONG_PASSWORD = 2
PASSWORD_ENV = "TRACKER_PASSWORD"
STAFF_ENV = "TRACKER_STAFF"
SUBCOMMANDS = (
    "create",
    "demo",
    "import",
    "imports",
    "undo-import",
    "export",
    "metrics",
    "backup",
    "check",
    "self-test",
)
PAPER_SIZES = ("A4", "Letter")
GUI_HELP = """\
with no command, the window opens:
  tracker-desktop [FILE]    unlock FILE (default: the last tracker used)
  tracker-desktop --demo    open a demo tracker of synthetic people (created if missing)

The password comes from TRACKER_PASSWORD or a prompt, never from the command line.
Exit codes: 0 ok, 1 user error, 2 wrong password or damaged file."""


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 1."""


def read_password(confirm: bool = False, min_length: int = 0) -> str:
    """The password from ``TRACKER_PASSWORD``, else asked in the terminal (twice with
    ``confirm``).  No terminal (stdin closed or redirected), Ctrl+D and Ctrl+C at the
    prompt are one-line user errors.  ``min_length`` is checked before the repeat."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        _check_length(password, min_length)
        return password
    stdin = sys.stdin  # None when the process was started with stdin closed
    if stdin is None or stdin.closed or not stdin.isatty():
        raise UserError(f"No password given: set {PASSWORD_ENV} or run in a terminal to be asked.")
    try:
        password = getpass.getpass("Tracker password: ")
        if not password:
            raise UserError("A password is required.")
        _check_length(password, min_length)
        if confirm and getpass.getpass("Repeat the password: ") != password:
            raise UserError("The two passwords do not match.")
    except EOFError:  # Ctrl+D (Ctrl+Z on Windows): getpass wrote no newline after the prompt
        _end_prompt_line()
        raise UserError("No password given; nothing was changed.") from None
    except KeyboardInterrupt:
        _end_prompt_line()
        raise
    return password


def _check_length(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise UserError(
            f"Use a password of at least {min_length} characters (this one has {len(password)})."
        )


def _end_prompt_line() -> None:
    if sys.stderr is not None and sys.stderr.isatty():
        sys.stderr.write("\n")


def staff_name() -> str:
    return os.environ.get(STAFF_ENV) or "command line"


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-31") from None


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are user errors: one line and exit 1 (argparse's own exit 2 is the
    code for a wrong password or a damaged file)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"error: {message} (see: {self.prog} --help)\n")


def parse_paper(text: str) -> str:
    for name in PAPER_SIZES:
        if text.strip().lower() == name.lower():
            return name
    raise argparse.ArgumentTypeError(f"{text!r} is not a paper size: use A4 or Letter")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tracker-desktop",
        usage="%(prog)s [FILE] [--demo]\n       %(prog)s COMMAND [options]",
        description=f"{APP_NAME} {__version__}: offline, encrypted participant tracking.",
        epilog=GUI_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # prog given: derived from the custom usage above it would read "tracker-desktop [FILE]..."
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", prog="tracker-desktop")

    def vault_arg(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--vault", required=True, type=Path, help="the .tracker file")

    sub = commands.add_parser("create", help="create a new, empty encrypted tracker")
    vault_arg(sub)
    sub.add_argument("--organisation", default="", help="organisation name shown on reports")
    sub.add_argument("--staff", action="append", default=[], help="a staff member (repeatable)")

    sub = commands.add_parser("demo", help="write a synthetic tracker (trials, benchmarks)")
    vault_arg(sub)
    sub.add_argument("--participants", type=int, default=300)
    sub.add_argument("--seed", type=int, default=42)

    sub = commands.add_parser("import", help="import a spreadsheet (.xlsx or .csv)")
    sub.add_argument("file", type=Path)
    vault_arg(sub)
    sub.add_argument("--profile", type=Path, help="a saved JSON mapping profile")
    sub.add_argument("--sheet", help="sheet name (xlsx); default: the first with data")
    sub.add_argument("--dry-run", action="store_true", help="show the preview, write nothing")
    sub.add_argument("--save-profile", type=Path, help="write the mapping used as a profile")
    sub.add_argument(
        "--skip-rejected",
        action="store_true",
        help="leave out the rows with errors and import the rest (default: import nothing)",
    )
    sub.add_argument(
        "--date-order",
        choices=("MDY", "DMY", "YMD"),
        help="how to read dates like 1/3/24 (default: from the profile or the file; "
        "ambiguous files must say)",
    )

    sub = commands.add_parser("imports", help="list the past imports (newest first)")
    vault_arg(sub)

    sub = commands.add_parser("undo-import", help="take an import batch back out")
    sub.add_argument("batch", type=int, help="the import's number (see: imports)")
    vault_arg(sub)
    sub.add_argument(
        "--force",
        action="store_true",
        help="undo even though some of its participants were edited after the import",
    )

    sub = commands.add_parser("export", help="export the funder workbook, CSV or PDF report")
    sub.add_argument("out", type=Path)
    vault_arg(sub)
    sub.add_argument("--deidentified", action="store_true")
    sub.add_argument("--program")
    sub.add_argument("--from", dest="date_from", type=parse_day)
    sub.add_argument("--to", dest="date_to", type=parse_day)
    sub.add_argument(
        "--paper",
        type=parse_paper,
        help="paper size of a .pdf report: A4 (default) or Letter",
    )

    sub = commands.add_parser("metrics", help="print the dashboard metrics")
    vault_arg(sub)
    sub.add_argument("--program")
    sub.add_argument("--from", dest="date_from", type=parse_day)
    sub.add_argument("--to", dest="date_to", type=parse_day)
    sub.add_argument("--as-of", dest="as_of", type=parse_day)
    sub.add_argument("--json", action="store_true", help="machine-readable output")

    sub = commands.add_parser("backup", help="write an encrypted, verified backup")
    vault_arg(sub)
    sub.add_argument("--to", dest="directory", type=Path, help="backup folder")
    sub.add_argument("--keep", type=int, help="how many backups to keep (default: Settings)")

    sub = commands.add_parser("check", help="integrity and data-quality report")
    vault_arg(sub)

    commands.add_parser("self-test", help="create/unlock/write/read/metrics/export in a temp dir")
    return parser


# --- commands -------------------------------------------------------------------------
def cmd_create(args: argparse.Namespace) -> int:
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    password = read_password(confirm=True, min_length=MIN_PASSWORD_LENGTH)
    vault = Vault.create(args.vault, password)
    with vault:
        repo = Repository(vault, staff_name())
        with repo.transaction() as tx:
            if args.organisation:
                tx.set_setting("organisation_name", args.organisation)
            for name in args.staff:
                tx.insert("staff", {"name": name, "active": True})
    print(f"Created {args.vault} (encrypted). Keep the password safe: it cannot be recovered.")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from tracker_desktop.core import demo
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    if args.participants < 0:
        raise UserError("--participants must be 0 or more.")
    password = read_password()
    vault = (
        Vault.unlock(args.vault, password)
        if args.vault.exists()
        else Vault.create(args.vault, password)
    )
    with vault:
        repo = Repository(vault, staff_name())
        held = repo.count("participants")  # archived people too: any real record counts
        if held:  # synthetic people must never mix with real ones
            raise UserError(
                f"{args.vault.name} already holds {held} participant{'s' if held != 1 else ''}; "
                "demo data goes into a new file: give --vault a new file name."
            )
        count = demo.generate(repo, args.participants, args.seed)
    print(f"Wrote {count} demo participants to {args.vault}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from tracker_desktop.core import quality
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    with Vault.open(args.vault, read_password()) as vault:
        report = vault.check()
        print(f"Integrity: {report.summary()}")
        if not report.ok:  # a damaged file cannot be read further: no quality report
            print(f"error: {args.vault} is damaged; restore a backup.", file=sys.stderr)
            return EXIT_WRONG_PASSWORD
        findings = quality.quality_details(Repository(vault, staff_name()))
        for line in findings.lines():
            print(line)
    return EXIT_OK if report.ok else EXIT_WRONG_PASSWORD


def cmd_backup(args: argparse.Namespace) -> int:
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    with Vault.unlock(args.vault, read_password()) as vault:
        repo = Repository(vault, staff_name())
        folder = args.directory or (repo.setting("backup_dir") or None)
        keep = args.keep if args.keep is not None else int(repo.setting("backup_keep", 10))
        if keep < 1:
            raise UserError("--keep must be at least 1.")
        path = vault.backup(folder, keep=keep)
        print(f"Backup written and verified: {path}")
    return EXIT_OK


def cmd_self_test(_args: argparse.Namespace) -> int:
    from tracker_desktop.core import selftest

    try:
        with tempfile.TemporaryDirectory(prefix="tracker-selftest-") as folder:
            for line in selftest.run(Path(folder)):
                print(line, flush=True)
        from tracker_desktop.ui import selfcheck  # Qt, resources, lazily loaded screens

        for line in selfcheck.run():
            print(line, flush=True)
    except Exception as exc:
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    print("self-test passed")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from tracker_desktop.core import importer
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    try:
        profile = importer.ImportProfile.load(args.profile) if args.profile else None
        if not args.file.exists():
            raise UserError(f"{args.file} does not exist.")
        if args.save_profile:  # checked first: nothing may fail once the rows are saved
            _check_profile_target(args.save_profile, args.file, args.vault)
        with Vault.unlock(args.vault, read_password()) as vault:
            repo = Repository(vault, staff_name())
            result = None
            if args.dry_run:
                preview = importer.prepare(
                    args.file, repo, profile, sheet=args.sheet, date_order=args.date_order
                )
                preview.skip_invalid = args.skip_rejected
            else:  # read, check and write in one go (the rows are written as they are read)
                preview, result = importer.import_file(
                    args.file,
                    repo,
                    profile,
                    sheet=args.sheet,
                    date_order=args.date_order,
                    skip_invalid=args.skip_rejected,
                )
    except importer.ImportFileError as exc:
        raise UserError(str(exc)) from None
    if args.save_profile:
        preview.profile.save(args.save_profile)
    if result is not None:  # saved: say so first, whatever happens to the rest of the report
        print(result.line())
    try:
        _print_import_report(preview)
    except (BrokenPipeError, KeyboardInterrupt):
        if result is None or not result.batch_id:  # nothing was saved: say it as usual
            raise
        _quiet_stdout()
        print(f"(report cut short; import #{result.batch_id} was saved)", file=sys.stderr)
        return EXIT_OK
    if args.save_profile:
        print(f"Mapping saved as a profile: {args.save_profile}")
    if args.dry_run:
        print("Dry run: nothing was written.")
        return EXIT_USER_ERROR if preview.blocking else EXIT_OK
    if result is None:
        rejected = preview.count("reject")
        why = (
            f"{rejected} row(s) rejected. Fix them in the file (or map the columns with "
            "--profile) and run the import again, or leave them out with --skip-rejected."
            if rejected
            else next(n.message for n in preview.notices if n.is_error)
        )
        print(f"Nothing imported: {why}", file=sys.stderr)
        return EXIT_USER_ERROR
    return EXIT_OK


def cmd_imports(args: argparse.Namespace) -> int:
    from tracker_desktop.core import importer
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    with Vault.unlock(args.vault, read_password()) as vault:
        batches = importer.list_batches(Repository(vault, staff_name()))
    if not batches:
        print("No imports yet.")
    for batch in batches:
        state = "" if batch.can_undo else "  (undone)"
        print(
            f"#{batch.id}  {batch.imported_at:%Y-%m-%d %H:%M}  {batch.source_name}: "
            f"{batch.created} created, {batch.updated} updated, by {batch.staff or '-'}{state}"
        )
    return EXIT_OK


def cmd_undo_import(args: argparse.Namespace) -> int:
    from tracker_desktop.core import importer
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    with Vault.unlock(args.vault, read_password()) as vault:
        repo = Repository(vault, staff_name())
        try:
            batch = importer.get_batch(repo, args.batch)
            edited = importer.edited_since_import(repo, args.batch) if batch.can_undo else 0
            if edited and not args.force:
                raise UserError(
                    f"{edited} participant(s) of import #{args.batch} were edited after the "
                    "import; undoing it deletes those edits too. Run again with --force to "
                    "undo anyway."
                )
            importer.undo_import(repo, args.batch)
        except importer.ImportFileError as exc:
            raise UserError(str(exc)) from None
    print(f"Undone: {batch.undo_label[len('Undo ') :]} (import #{batch.id})")
    return EXIT_OK


def _print_import_report(preview: ImportPreview) -> None:
    """The preview's summary, then its notes and problems: errors first, and a message
    repeated on many rows once, with the rows it is on."""
    for line in preview.summary_lines():
        print(line)
    problems = preview.problems()
    for problem in problems:
        if problem.severity == "info":
            print(f"  note: {problem.line()}")
    shown = [p for p in problems if p.severity != "info"]
    if not shown:
        return
    errors = sum(1 for p in shown if p.is_error)
    print(f"Problems: {errors} error(s), {len(shown) - errors} warning(s)")
    groups: dict[tuple[bool, str | None, str], list[int | None]] = {}
    for problem in shown:
        groups.setdefault((not problem.is_error, problem.column, problem.message), []).append(
            problem.row
        )
    for (_warning, column, message), rows in sorted(groups.items(), key=lambda g: g[0][0]):
        where = _rows_text([r for r in rows if r is not None])
        if column:
            where = f"{where}, column {column}" if where else f"column {column}"
        print(f"  {where}: {message}" if where else f"  {message}")


def _rows_text(rows: list[int]) -> str:
    """ "row 5", "rows 3, 9", "rows 3-3002 (3,000 rows)"."""
    if not rows:
        return ""
    if len(rows) == 1:
        return f"row {rows[0]}"
    if len(rows) <= 5:
        return "rows " + ", ".join(str(r) for r in rows)
    return f"rows {rows[0]}-{rows[-1]} ({len(rows):,} rows)"


def _check_profile_target(target: Path, source: Path, vault: Path) -> None:
    """A profile may only be written as a new .json file or over an earlier profile:
    never over the tracker, the spreadsheet or any other file."""
    from tracker_desktop.core import importer

    if target.suffix.lower() != ".json":
        raise UserError(f"a profile is saved as a .json file, not {target.name}.")
    for other in (source, vault):
        if target.exists() and other.exists() and target.samefile(other):
            raise UserError(f"{target} is the spreadsheet or the tracker: choose another name.")
    if not target.parent.is_dir():
        raise UserError(f"{target.parent} is not a folder: the profile cannot be saved there.")
    if target.exists():
        try:
            importer.ImportProfile.load(target)
        except Exception:
            raise UserError(
                f"{target} exists and is not an import profile: choose another name."
            ) from None


def _quiet_stdout() -> None:
    # stdout is a closed pipe (| head) or the report was interrupted: drop what is left, so
    # Python's flush at exit does not fail again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def cmd_metrics(args: argparse.Namespace) -> int:
    import json

    from tracker_desktop.core import metrics
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError("--from must be on or before --to.")
    with Vault.unlock(args.vault, read_password()) as vault:
        repo = Repository(vault, staff_name())
        dataset = metrics.load_dataset(repo, args.as_of)
    if args.program and args.program not in dataset.programs:
        known = ", ".join(dataset.programs) or "none"
        raise UserError(f"No program called {args.program!r} (programs: {known}).")
    filters = metrics.Filters(args.program, args.date_from, args.date_to, args.as_of)
    report = metrics.compute(dataset, filters)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for line in metrics.render_text(report):
            print(line)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from tracker_desktop.core import csv_export, workbook
    from tracker_desktop.core.metrics import Filters, load_dataset
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    out: Path = args.out
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv", "pdf"):
        raise UserError(f"{out.name}: the file name must end in .xlsx, .csv or .pdf.")
    if args.paper and fmt != "pdf":
        raise UserError(f"--paper applies to a .pdf report only, not to {out.name}.")
    if not out.parent.is_dir():
        raise UserError(f"The folder {out.parent} does not exist.")
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError("--from must be on or before --to.")
    with Vault.unlock(args.vault, read_password()) as vault:
        repo = Repository(vault, staff_name())
        if args.program:
            programs = load_dataset(repo).programs
            if args.program not in programs:
                known = ", ".join(programs) or "none"
                raise UserError(f"No program called {args.program!r} (programs: {known}).")
        filters = Filters(args.program, args.date_from, args.date_to)
        data = workbook.collect_export_data(repo, filters, args.deidentified)
    if fmt == "xlsx":
        workbook.write_workbook(data, out)
    elif fmt == "csv":
        csv_export.write_tracker_csv(data, out)
    else:
        from tracker_desktop.ui.pdf_report import ensure_gui_app, write_pdf_report

        ensure_gui_app()
        write_pdf_report(data, out, args.paper or "A4")
    people = data.participant_count
    kind = "de-identified " if args.deidentified else ""
    paper = f", {args.paper or 'A4'}" if fmt == "pdf" else ""
    print(
        f"Exported {people} participant{'s' if people != 1 else ''} to {out} ({kind}{fmt}{paper})."
    )
    if fmt == "pdf":  # organisation, period, counts, rates and charts: no row per person
        print("Note: the report holds aggregate figures only (no names); it is not encrypted.")
    elif not args.deidentified:
        print("Note: the file holds personal data in plain text; store and share it securely.")
    return EXIT_OK


def cmd_not_yet(args: argparse.Namespace) -> int:
    raise UserError(f"'{args.command}' is not yet available in this version.")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "create": cmd_create,
    "demo": cmd_demo,
    "check": cmd_check,
    "backup": cmd_backup,
    "self-test": cmd_self_test,
    "import": cmd_import,
    "imports": cmd_imports,
    "undo-import": cmd_undo_import,
    "export": cmd_export,
    "metrics": cmd_metrics,
}


def run_command(args: argparse.Namespace) -> int:
    import sqlcipher3
    from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
    from sqlalchemy.exc import IntegrityError as SQLAlchemyIntegrityError

    from tracker_desktop.core.hardening import disable_core_dumps
    from tracker_desktop.core.vault import (
        DamagedVaultError,
        NewerSchemaError,
        NotATrackerError,
        VaultError,
        WrongPasswordOrDamagedError,
    )

    disable_core_dumps()  # the commands decrypt records too: no core file on a crash
    try:
        return COMMANDS[args.command](args)
    except (sqlcipher3.IntegrityError, SQLAlchemyIntegrityError) as exc:
        # A rule of the file refused a write (a UNIQUE code, a foreign key): the file is
        # fine and the transaction was rolled back.
        reason = getattr(exc, "orig", None) or exc
        print(f"error: could not be saved ({reason}). Nothing was changed.", file=sys.stderr)
        return EXIT_USER_ERROR
    except (sqlcipher3.DatabaseError, SQLAlchemyDatabaseError) as exc:
        # The header opened but a page further in fails its check (or is unreadable).
        reason = getattr(exc, "orig", None) or exc
        if any(word in str(reason) for word in ("locked", "readonly", "unable to open")):
            print(f"error: cannot write {getattr(args, 'vault', '')}: {reason}.", file=sys.stderr)
            return EXIT_USER_ERROR
        print(
            f"error: {getattr(args, 'vault', 'the tracker')} is damaged ({reason}); "
            "restore a backup. Nothing was changed.",
            file=sys.stderr,
        )
        return EXIT_WRONG_PASSWORD
    except WrongPasswordOrDamagedError as exc:
        print(f"error: {exc}. Nothing was changed.", file=sys.stderr)
        return EXIT_WRONG_PASSWORD
    except DamagedVaultError as exc:
        print(f"error: {exc}; restore a backup. Nothing was changed.", file=sys.stderr)
        return EXIT_WRONG_PASSWORD
    except (NotATrackerError, NewerSchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_WRONG_PASSWORD
    except (UserError, VaultError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:  # a read-only folder, a full disk, a missing file
        name = str(exc.filename or "").removesuffix(".partial")
        if isinstance(exc, FileExistsError):  # mkdir(exist_ok=True): a file is in the way
            print(f"error: {name} is a file, not a folder.", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"error: {exc.strerror or exc}: {name}".rstrip(": "), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return EXIT_USER_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if (argv and argv[0] in SUBCOMMANDS) or any(a in ("-h", "--help", "--version") for a in argv):
        args = build_parser().parse_args(argv)
        return run_command(args)
    gui = argparse.ArgumentParser(prog="tracker-desktop", add_help=False)
    gui.add_argument("path", nargs="?")
    gui.add_argument("--demo", action="store_true")
    gui_args, _qt_args = gui.parse_known_args(argv)
    path = Path(gui_args.path) if gui_args.path else None
    if path is not None and _mistyped_command(argv, gui_args.path, path):
        print(
            f"error: unknown command {gui_args.path!r} (commands: {', '.join(SUBCOMMANDS)}); "
            "to open a tracker file give its path",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    from tracker_desktop.ui.app import run_gui  # Qt: only once the arguments make sense

    return run_gui(path, demo=gui_args.demo)


def _mistyped_command(argv: list[str], word: str, path: Path) -> bool:
    """A lone word that names no file and no new tracker (``tracker-desktop chek``) is a
    mistyped command, not a file for the window.  A word after an option the launcher does
    not know is that option's value (Qt's own ``-style fusion``), left to Qt."""
    if path.exists() or word.lower().endswith(TRACKER_SUFFIX):
        return False
    position = argv.index(word)
    before = argv[position - 1] if position else ""
    return not (before.startswith("-") and before != "--demo")
