"""Process hardening that needs nothing but the standard library (imported at start-up)."""

from __future__ import annotations


def disable_core_dumps() -> bool:
    """No core file: a crash must not write the unlocked key or records to disk.

    True when the limit was set (POSIX); Windows writes no full memory dumps by default.
    """
    try:
        import resource
    except ImportError:
        return False
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        return False
    return True
