"""Working days on the Chinese calendar: holidays, adjusted working weekends and the qms.toml fallback."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from qms.errors import ConfigError, UsageError
from qms.dates import Limit, WorkCalendar, add_months, parse_limit


def test_national_day_2026_and_its_adjusted_working_days() -> None:
    cal = WorkCalendar()
    # chinese-calendar 1.11: 国庆节 Thursday 1 – Wednesday 7 October 2026 off; Sunday 20 September
    # and Saturday 10 October are adjusted working days (调休上班); 8 October is back to work.
    assert [cal.is_workday(date(2026, 10, d)) for d in range(1, 12)] == [
        False, False, False, False, False, False, False, True, True, True, False]
    assert cal.is_workday(date(2026, 9, 20)) and not cal.is_workday(date(2026, 9, 19))
    assert not cal.fallback_years


def test_working_day_deadlines_cross_the_holiday_and_count_the_working_saturday() -> None:
    cal = WorkCalendar()
    received = datetime(2026, 9, 30, 10, 0)  # Wednesday, the last working day before the holiday
    assert cal.due(received, "1wd") == datetime(2026, 10, 8, 10, 0)
    assert cal.due(received, "3wd") == datetime(2026, 10, 10, 10, 0)  # Saturday 10 October is worked
    assert cal.due(received, "4wd") == datetime(2026, 10, 12, 10, 0)  # Sunday 11 October is not
    assert cal.due(received, "7wd") == datetime(2026, 10, 15, 10, 0)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 15)) == 7
    # Filed on the holiday itself: counting starts with the next working day.
    assert cal.due(datetime(2026, 10, 3, 16, 0), "1wd") == datetime(2026, 10, 8, 16, 0)


def test_calendar_units() -> None:
    cal = WorkCalendar()
    start = datetime(2026, 1, 31, 9, 0)
    assert cal.due(start, "30min") == datetime(2026, 1, 31, 9, 30)
    assert cal.due(start, "24h") == datetime(2026, 2, 1, 9, 0)
    assert cal.due(start, "5d") == datetime(2026, 2, 5, 9, 0)
    assert cal.due(start, "1mo") == datetime(2026, 2, 28, 9, 0)
    assert add_months(datetime(2024, 2, 29), 12) == datetime(2025, 2, 28)
    assert parse_limit(" 7 wd ") == Limit(7, "wd")
    with pytest.raises(UsageError, match="write e.g. 30min, 24h, 5d, 7wd"):
        parse_limit("7 weeks")


def test_a_year_without_data_falls_back_to_weekends_and_qms_toml_and_says_so() -> None:
    from qms.workspace import Config

    config = Config(organisation="x", organisation_en="", document_pattern="", record_pattern="",
                    review_interval_months=12, max_attachment_mb=1, roles={}, reviewer_roles=[], approver_roles=[],
                    holidays=["2027-01-01", "2027-02-05"], workdays=["2027-02-07"])
    cal = WorkCalendar.from_config(config)
    assert not WorkCalendar.has_data(2027) and WorkCalendar.has_data(2026)
    assert not cal.is_workday(date(2027, 1, 1))  # a Friday, listed as a holiday in qms.toml
    assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 9))
    assert cal.is_workday(date(2027, 2, 7))  # a Sunday listed as a working day
    # Thursday 31 Dec 2026 + 2 working days: skips New Year's Day (qms.toml) and the weekend.
    assert cal.due(datetime(2026, 12, 31, 9, 0), "2wd") == datetime(2027, 1, 5, 9, 0)
    assert cal.fallback_years == {2027}
    (note,) = cal.notes()
    assert note.startswith("2027: chinese-calendar has no holiday data for this year") and "qms.toml" in note


def test_bad_dates_in_qms_toml_are_a_config_error() -> None:
    from qms.workspace import Config

    config = Config(organisation="x", organisation_en="", document_pattern="", record_pattern="",
                    review_interval_months=12, max_attachment_mb=1, roles={}, reviewer_roles=[], approver_roles=[],
                    holidays=["2027-13-01"])
    with pytest.raises(ConfigError, match="not a date YYYY-MM-DD"):
        WorkCalendar.from_config(config)
