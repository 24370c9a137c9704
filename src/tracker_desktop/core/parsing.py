"""Cell parsers for imported spreadsheets.  Each one says which rule it used.

Real trackers hold "$14.50" as text next to 14.5 as a number, "50.00%" next to 0.5,
"1/3/24" next to real dates and Excel serial numbers, "Yes"/"Y"/"yes " next to TRUE.
Every parser returns a :class:`Parsed` (the value and the rule, e.g. "currency text") or
raises :class:`ParseError` with a message written for a person.  Blank cells give
``Parsed(None, "blank")``.

Text that starts with ``= + - @`` is data here, never a formula: it is kept as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")

DateOrder = Literal["MDY", "DMY", "YMD"]
PercentScale = Literal["auto", "fraction", "points"]
DATE_ORDERS: tuple[DateOrder, ...] = ("MDY", "DMY", "YMD")
DATE_ORDER_LABELS: dict[str, str] = {
    "MDY": "month/day/year (1/3/24 = January 3)",
    "DMY": "day/month/year (1/3/24 = 1 March)",
    "YMD": "year/month/day (24/1/3 = January 3)",
}

DEFAULT_YES_WORDS: tuple[str, ...] = ("yes", "y", "true", "1", "x", "✓")
DEFAULT_NO_WORDS: tuple[str, ...] = ("no", "n", "false", "0")

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug included)
_MAX_SERIAL = 2958465  # 9999-12-31

_BLANKS = ("\u00a0", "\u2007", "\u202f", "\ufeff", "\u200b")
_ODD_SPACE = re.compile(r"[\u00a0\u2007\u202f\ufeff\u200b\t\n\r\f\v]|  ")


class ParseError(ValueError):
    """The cell cannot be read as the wanted kind of value; ``str()`` is the message."""


def _quote(text: str, limit: int = 80) -> str:
    """A cell inside a message; a 100,000-character cell is cut, not echoed whole."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit - 20]!r}... ({len(text):,} characters)"


@dataclass(frozen=True)
class Parsed(Generic[T]):
    value: T | None
    rule: str

    @property
    def is_blank(self) -> bool:
        return self.value is None


BLANK: Parsed[Any] = Parsed(None, "blank")


# --- text -----------------------------------------------------------------------------
def clean_text(value: object) -> str | None:
    """The cell as text with stray whitespace removed (also non-breaking spaces); blank
    cells give None.  Whole numbers read back as "42", not "42.0"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if _ODD_SPACE.search(text) is None:  # the common case: at most outer spaces
        return text.strip() or None
    for blank in _BLANKS:
        text = text.replace(blank, " ")
    text = " ".join(text.split())
    return text or None


def parse_text(value: object) -> Parsed[str]:
    text = clean_text(value)
    if text is None:
        return BLANK
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Parsed(text, "number kept as text")
    if text[0] in "=+-@":
        return Parsed(text, "text (starts with a formula sign, kept as plain text)")
    if isinstance(value, str) and text != value:
        return Parsed(text, "text, stray spaces removed")
    return Parsed(text, "text")


# --- numbers --------------------------------------------------------------------------
# (\d+(\.\d*)? and not \d+\.?\d*: the latter backtracks quadratically on a long run of digits)
_PLAIN_NUMBER = re.compile(
    r"^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$", re.IGNORECASE
)  # no backtracking
_GROUPED_DOT = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 1,200.50
_GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")  # 1.200,50
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")  # 14,50


def _number_from_text(text: str, decimal: str = ".") -> float | None:
    compact = text.replace(" ", "").replace("'", "")
    if _PLAIN_NUMBER.match(compact):
        number = float(compact)
        return number if math.isfinite(number) else None  # "1e400" is not a wage
    if decimal == ".":
        if _GROUPED_DOT.match(compact):
            return float(compact.replace(",", ""))
        return None
    if _DECIMAL_COMMA.match(compact):
        return float(compact.replace(",", "."))
    if _GROUPED_COMMA.match(compact):
        return float(compact.replace(".", "").replace(",", "."))
    return None


def parse_number(value: object, decimal: str = ".") -> Parsed[float]:
    """A number from a number cell or from a number stored as text ("3.5", " 4 ")."""
    if isinstance(value, bool):
        raise ParseError(f"{clean_text(value)} is not a number")
    if isinstance(value, int | float):
        return Parsed(float(value), "number")
    text = clean_text(value)
    if text is None:
        return BLANK
    number = _number_from_text(text, decimal)
    if number is None:
        raise ParseError(f"{_quote(text)} is not a number")
    return Parsed(number, "number stored as text")


_MONEY_WORDS = re.compile(r"(usd|dollars?|/\s*h(ou)?r|per\s+hour|an\s+hour|/\s*hour)", re.I)


def parse_money(value: object, decimal: str = ".") -> Parsed[float]:
    """An amount from 14.5, "$14.50", "$1,200.00", "14.50/hr", "(3.00)" (negative)."""
    if isinstance(value, bool):
        raise ParseError(f"{clean_text(value)} is not an amount")
    if isinstance(value, int | float):
        return Parsed(float(value), "number")
    text = clean_text(value)
    if text is None:
        return BLANK
    body = text
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body.startswith("-"):
        negative, body = not negative, body[1:].strip()
    had_symbol = "$" in body or bool(_MONEY_WORDS.search(body))
    body = _MONEY_WORDS.sub("", body.replace("$", "")).strip()
    number = _number_from_text(body, decimal)
    if number is None:
        raise ParseError(f"{_quote(text)} is not an amount like 14.50 or $1,200.00")
    if negative:
        number = -number
    return Parsed(number, "currency text" if had_symbol else "number stored as text")


# --- percentages ------------------------------------------------------------------------
def parse_percent(value: object, scale: PercentScale = "auto") -> Parsed[float]:
    """Percentage points (0-100) from "50.00%", "50", 50, or a fraction 0.5.

    ``scale`` says how bare numbers are read: "fraction" (0.5 = 50%, as Excel stores a
    percent-formatted cell), "points" (50 = 50%) or "auto" (at most 1 = fraction).
    """
    if isinstance(value, bool):
        raise ParseError(f"{clean_text(value)} is not a percentage")
    if isinstance(value, int | float):
        number, stored_as = float(value), "number"
    else:
        text = clean_text(value)
        if text is None:
            return BLANK
        if text.endswith("%"):
            number_text = text[:-1].strip()
            parsed = _number_from_text(number_text)
            if parsed is None:
                raise ParseError(f"{_quote(text)} is not a percentage")
            return Parsed(parsed, "percent text")
        parsed = _number_from_text(text)
        if parsed is None:
            raise ParseError(f"{_quote(text)} is not a percentage like 50% or 0.5")
        number, stored_as = parsed, "number stored as text"
    if scale == "fraction" or (scale == "auto" and -1 <= number <= 1):
        return Parsed(round(number * 100, 10), f"{stored_as}, read as a fraction (0.5 = 50%)")
    return Parsed(number, f"{stored_as}, read as percentage points (50 = 50%)")


# --- yes / no ---------------------------------------------------------------------------
def parse_yes_no(
    value: object,
    yes_words: Iterable[str] = DEFAULT_YES_WORDS,
    no_words: Iterable[str] = DEFAULT_NO_WORDS,
) -> Parsed[bool]:
    """True/False from Yes/Y/yes /TRUE/1 and No/N/no/FALSE/0 (word lists configurable)."""
    if isinstance(value, bool):
        return Parsed(value, "true/false cell")
    if isinstance(value, int | float) and value in (0, 1):
        return Parsed(bool(value), "number 1/0")
    text = clean_text(value)
    if text is None:
        return BLANK
    lowered = text.lower()
    yes = yes_words if isinstance(yes_words, frozenset) else {w.strip().lower() for w in yes_words}
    if lowered in yes:
        return Parsed(True, f"yes word {text!r}")
    no = no_words if isinstance(no_words, frozenset) else {w.strip().lower() for w in no_words}
    if lowered in no:
        return Parsed(False, f"no word {text!r}")
    raise ParseError(f"{_quote(text)} is not yes or no")


# --- dates ------------------------------------------------------------------------------
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")
_MONTH_FIRST = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{2}|\d{4})$", re.I)
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([a-z]+)\.?,?[\s-]+(\d{2}|\d{4})$", re.I)


def expand_year(year: int, today: date | None = None) -> int:
    """Two-digit years: up to ten years ahead of now are this century, the rest the last."""
    if year >= 100:
        return year
    pivot = (today or date.today()).year % 100 + 10
    return 2000 + year if year <= pivot else 1900 + year


def excel_serial_to_date(serial: float) -> date:
    if not 1 <= serial <= _MAX_SERIAL:
        raise ParseError(f"{serial:g} is not a date (not an Excel date number)")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError(f"{_quote(text)} is not a real calendar date") from None


def numeric_date_parts(text: str) -> tuple[int, int] | None:
    """The first two numbers of a d/m/y-shaped text ("1/3/24" -> (1, 3)), else None."""
    match = _NUMERIC.match(text.strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def is_ambiguous_date_text(text: str) -> bool:
    """True for "1/3/24": both first numbers could be the month."""
    parts = numeric_date_parts(text)
    return parts is not None and parts[0] <= 12 and parts[1] <= 12 and parts[0] != parts[1]


def parse_date(value: object, order: DateOrder | None = "MDY") -> Parsed[date]:
    """A date from a real date cell, an Excel serial number, "2024-01-03", "Jan 3, 2024",
    or "1/3/24" read in the stated ``order``.  With ``order=None`` a text date whose day
    and month could be swapped raises instead of guessing."""
    if isinstance(value, datetime):
        return Parsed(value.date(), "date cell")
    if isinstance(value, date):
        return Parsed(value, "date cell")
    if isinstance(value, bool):
        raise ParseError(f"{clean_text(value)} is not a date")
    if isinstance(value, int | float):
        return Parsed(excel_serial_to_date(float(value)), "Excel date number")
    text = clean_text(value)
    if text is None:
        return BLANK
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return Parsed(_make_date(year, month, day, text), "year-month-day text")
    match = _NUMERIC.match(text)
    if match:
        first, second, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        year = expand_year(int(year_text))
        if order is None:
            if first > 12 >= second:
                return Parsed(_make_date(year, second, first, text), "day/month/year text")
            if second > 12 >= first:
                return Parsed(_make_date(year, first, second, text), "month/day/year text")
            if first == second:
                return Parsed(_make_date(year, first, second, text), "month/day/year text")
            raise ParseError(
                f"{text!r} could be {_make_date(year, first, second, text):%d %b %Y} or "
                f"{_make_date(year, second, first, text):%d %b %Y}: choose the day/month order"
            )
        if order == "DMY":
            return Parsed(_make_date(year, second, first, text), "day/month/year text")
        if order == "YMD":
            raise ParseError(f"{_quote(text)} is not in year/month/day order")
        return Parsed(_make_date(year, first, second, text), "month/day/year text")
    match = _MONTH_FIRST.match(text)
    if match and match.group(1).lower() in _MONTHS:
        month = _MONTHS[match.group(1).lower()]
        year = expand_year(int(match.group(3)))
        return Parsed(_make_date(year, month, int(match.group(2)), text), "month-name text")
    match = _DAY_FIRST.match(text)
    if match and match.group(2).lower() in _MONTHS:
        month = _MONTHS[match.group(2).lower()]
        year = expand_year(int(match.group(3)))
        return Parsed(_make_date(year, month, int(match.group(1)), text), "month-name text")
    number = _number_from_text(text)
    if number is not None and number >= 1000 and float(number).is_integer():
        if 1900 <= number <= 2100:
            raise ParseError(f"{_quote(text)} is only a year; give the full date")
        return Parsed(excel_serial_to_date(number), "Excel date number stored as text")
    raise ParseError(f"{_quote(text)} is not a date (use 2024-01-31 or 1/31/2024)")


@dataclass(frozen=True)
class DateOrderEvidence:
    """What the numeric text dates of a file say about their day/month order."""

    month_first: int = 0  # second number > 12: only month/day/year works
    day_first: int = 0  # first number > 12: only day/month/year works
    ambiguous: int = 0  # both readings are real dates
    example: str | None = None  # one ambiguous text, for the message
    proof: str | None = None  # one text that works in one order only

    @property
    def order(self) -> DateOrder | None:
        """The order the evidence proves, or None when it proves nothing or conflicts."""
        if self.month_first and not self.day_first:
            return "MDY"
        if self.day_first and not self.month_first:
            return "DMY"
        return None

    @property
    def needs_choice(self) -> bool:
        """Ambiguous dates that the evidence cannot settle: ask, never guess."""
        return self.ambiguous > 0 and self.order is None

    @property
    def conflicting(self) -> bool:
        return self.month_first > 0 and self.day_first > 0


def date_order_evidence(values: Iterable[object]) -> DateOrderEvidence:
    month_first = day_first = ambiguous = 0
    example = proof = None
    for value in values:
        if not isinstance(value, str):
            continue
        parts = numeric_date_parts(value)
        if parts is None:
            continue
        first, second = parts
        if first > 12 >= second:
            day_first += 1
            proof = proof or value.strip()
        elif second > 12 >= first:
            month_first += 1
            proof = proof or value.strip()
        elif first != second and first <= 12 and second <= 12:
            ambiguous += 1
            example = example or value.strip()
    return DateOrderEvidence(month_first, day_first, ambiguous, example, proof)


# --- matching to option lists -----------------------------------------------------------
def squash(text: str) -> str:
    """Lower-case letters and digits only: "Serv Safe" and "ServSafe" both give "servsafe"."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def match_option(text: str, options: Iterable[str]) -> Parsed[str]:
    """``text`` as written in an option list when it matches loosely, else unchanged."""
    options = list(options)
    if text in options:
        return Parsed(text, "list value")
    key = squash(text)
    for option in options:
        if squash(option) == key and key:
            return Parsed(option, f"matched to list value {option!r}")
    return Parsed(text, "not in the list")
