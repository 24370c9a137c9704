"""Every cell-parsing rule of the importer, with the rule each one reports."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tracker_desktop.core import parsing
from tracker_desktop.core.parsing import ParseError


@pytest.mark.parametrize(
    ("cell", "value", "rule"),
    [
        ("$14.50", 14.5, "currency text"),
        ("$1,200.00", 1200.0, "currency text"),
        (" $ 14.50 ", 14.5, "currency text"),
        ("14.50/hr", 14.5, "currency text"),
        (14.5, 14.5, "number"),
        (15, 15.0, "number"),
        ("14.50", 14.5, "number stored as text"),
        ("(3.00)", -3.0, "number stored as text"),
        ("-$3", -3.0, "currency text"),
    ],
)
def test_money(cell: object, value: float, rule: str) -> None:
    parsed = parsing.parse_money(cell)
    assert parsed.value == value
    assert parsed.rule == rule


@pytest.mark.parametrize("cell", ["14,50", "fourteen", "$", "1,20.00", True])
def test_money_rejects_what_it_cannot_read(cell: object) -> None:
    with pytest.raises(ParseError):
        parsing.parse_money(cell)


def test_money_decimal_comma_when_stated() -> None:
    assert parsing.parse_money("14,50", decimal=",").value == 14.5
    assert parsing.parse_money("1.200,00 $", decimal=",").value == 1200.0


def test_blank_cells_are_blank_for_every_parser() -> None:
    for parser in (
        parsing.parse_money,
        parsing.parse_number,
        parsing.parse_percent,
        parsing.parse_yes_no,
        parsing.parse_date,
        parsing.parse_text,
    ):
        for blank in (None, "", "   ", "\u00a0"):
            parsed = parser(blank)  # type: ignore[operator]
            assert parsed.value is None and parsed.rule == "blank"


@pytest.mark.parametrize(
    ("cell", "scale", "value", "rule_part"),
    [
        ("50.00%", "auto", 50.0, "percent text"),
        ("50 %", "auto", 50.0, "percent text"),
        (0.5, "auto", 50.0, "fraction"),
        (0.5, "fraction", 50.0, "fraction"),
        ("50", "auto", 50.0, "percentage points"),
        (50, "auto", 50.0, "percentage points"),
        ("0.25", "auto", 25.0, "fraction"),
        (1, "points", 1.0, "percentage points"),
        (1, "fraction", 100.0, "fraction"),
    ],
)
def test_percent(cell: object, scale: parsing.PercentScale, value: float, rule_part: str) -> None:
    parsed = parsing.parse_percent(cell, scale)
    assert parsed.value == pytest.approx(value)
    assert rule_part in parsed.rule


def test_percent_rejects_words() -> None:
    with pytest.raises(ParseError, match="not a percentage"):
        parsing.parse_percent("half")


@pytest.mark.parametrize("cell", ["Yes", "Y", "yes", "yes ", "TRUE", "true", "1", 1, True, "x"])
def test_yes_words(cell: object) -> None:
    assert parsing.parse_yes_no(cell).value is True


@pytest.mark.parametrize("cell", ["No", "N", "no", " NO", "FALSE", "0", 0, False])
def test_no_words(cell: object) -> None:
    assert parsing.parse_yes_no(cell).value is False


def test_yes_no_reports_the_word_and_rejects_others() -> None:
    assert parsing.parse_yes_no("Y").rule == "yes word 'Y'"
    with pytest.raises(ParseError, match="'Maybe' is not yes or no"):
        parsing.parse_yes_no("Maybe")
    assert parsing.parse_yes_no("si", yes_words=["si"], no_words=["no"]).value is True


@pytest.mark.parametrize(
    ("cell", "value", "rule"),
    [
        (datetime(2024, 1, 3), date(2024, 1, 3), "date cell"),
        (date(2024, 1, 3), date(2024, 1, 3), "date cell"),
        (45294, date(2024, 1, 3), "Excel date number"),
        (45294.0, date(2024, 1, 3), "Excel date number"),
        ("45294", date(2024, 1, 3), "Excel date number stored as text"),
        ("2024-01-03", date(2024, 1, 3), "year-month-day text"),
        ("2024-01-03 00:00:00", date(2024, 1, 3), "year-month-day text"),
        ("Jan 3, 2024", date(2024, 1, 3), "month-name text"),
        ("3 January 2024", date(2024, 1, 3), "month-name text"),
        (" 1/3/24 ", date(2024, 1, 3), "month/day/year text"),
        ("01/03/2024", date(2024, 1, 3), "month/day/year text"),
    ],
)
def test_dates_month_first(cell: object, value: date, rule: str) -> None:
    parsed = parsing.parse_date(cell, "MDY")
    assert parsed.value == value
    assert parsed.rule == rule


def test_day_first_when_stated() -> None:
    parsed = parsing.parse_date("1/3/24", "DMY")
    assert parsed.value == date(2024, 3, 1)
    assert parsed.rule == "day/month/year text"


def test_ambiguous_date_without_an_order_is_flagged_not_guessed() -> None:
    with pytest.raises(ParseError, match="choose the day/month order"):
        parsing.parse_date("1/3/24", None)
    # Unambiguous ones are still read without an order.
    assert parsing.parse_date("13/3/24", None).value == date(2024, 3, 13)
    assert parsing.parse_date("3/13/24", None).value == date(2024, 3, 13)


@pytest.mark.parametrize("cell", ["2/30/24", "13/13/2024", "v to to", "2024", "next week", -5])
def test_not_dates(cell: object) -> None:
    with pytest.raises(ParseError):
        parsing.parse_date(cell)


def test_date_order_evidence() -> None:
    proves_dmy = parsing.date_order_evidence(["1/3/24", "25/3/24", None, 45000])
    assert proves_dmy.order == "DMY" and not proves_dmy.needs_choice
    proves_mdy = parsing.date_order_evidence(["1/3/24", "3/25/24"])
    assert proves_mdy.order == "MDY"
    unsure = parsing.date_order_evidence(["1/3/24", "2/4/24", "5/5/24"])
    assert unsure.needs_choice and unsure.ambiguous == 2 and unsure.example == "1/3/24"
    assert parsing.date_order_evidence(["13/1/24", "1/13/24"]).conflicting


def test_numbers_stored_as_text_and_whitespace() -> None:
    assert parsing.parse_number(" 3.5 ") == parsing.Parsed(3.5, "number stored as text")
    assert parsing.parse_number(4) == parsing.Parsed(4.0, "number")
    assert parsing.parse_number("1,234.5").value == 1234.5
    with pytest.raises(ParseError):
        parsing.parse_number("3.5.1")


def test_text_is_cleaned_and_formula_signs_stay_text() -> None:
    assert parsing.parse_text("  Ana\u00a0 Maria ") == parsing.Parsed(
        "Ana Maria", "text, stray spaces removed"
    )
    assert parsing.parse_text("=HYPERLINK(1)").value == "=HYPERLINK(1)"
    assert "formula sign" in parsing.parse_text("=HYPERLINK(1)").rule
    assert parsing.parse_text(42.0) == parsing.Parsed("42", "number kept as text")
    assert parsing.parse_text("José Núñez").value == "José Núñez"


def test_option_matching_is_loose_but_says_so() -> None:
    options = ["ServSafe", "Paralegal"]
    assert parsing.match_option("Serv Safe", options) == parsing.Parsed(
        "ServSafe", "matched to list value 'ServSafe'"
    )
    assert parsing.match_option("Paralegal", options).rule == "list value"
    assert parsing.match_option("Welding", options).rule == "not in the list"
