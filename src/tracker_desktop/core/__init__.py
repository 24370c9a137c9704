"""Qt-free core: storage, rules, metrics, import and export.

Nothing in this package may import PySide6 (an import-linter contract enforces it).
"""
