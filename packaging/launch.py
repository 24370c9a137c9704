"""Entry script of the frozen executable (PyInstaller): the same ``cli.main`` as the
``tracker-desktop`` console script and ``python -m tracker_desktop``."""

from tracker_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
