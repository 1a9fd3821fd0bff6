import datetime as dt

import pytest

from engine.dates import annotate, find_dates, today_line

NOW = dt.datetime(2026, 11, 23, 10, 0)  # Monday


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("tomorrow at 3pm", "2026-11-24 15:00:00"),
        ("at 3pm tomorrow", "2026-11-24 15:00:00"),
        ("today at 6:30 pm", "2026-11-23 18:30:00"),
        ("tonight", "2026-11-23 20:00:00"),
        ("tonight at 8", "2026-11-23 20:00:00"),
        ("this evening at 7", "2026-11-23 19:00:00"),
        ("tomorrow morning", "2026-11-24 09:00:00"),
        ("on Friday at 10am", "2026-11-27 10:00:00"),
        ("Friday at noon", "2026-11-27 12:00:00"),
        ("next Friday at noon", "2026-12-04 12:00:00"),
        ("this Wednesday at 14:00", "2026-11-25 14:00:00"),
        ("Monday at 9am", "2026-11-30 09:00:00"),
        ("the day after tomorrow at 11:15am", "2026-11-25 11:15:00"),
        ("in 2 hours", "2026-11-23 12:00:00"),
        ("in 45 minutes", "2026-11-23 10:45:00"),
        ("in half an hour", "2026-11-23 10:30:00"),
        ("on Dec 5th at 3:30 pm", "2026-12-05 15:30:00"),
        ("on the 5th of December", "2026-12-05"),
        ("January 3", "2027-01-03"),
        ("2026-12-01 at 09:00", "2026-12-01 09:00:00"),
        ("in 3 days", "2026-11-26"),
        ("next week", "2026-11-30"),
        ("at 4", "2026-11-23 16:00:00"),
    ],
)
def test_phrases(phrase, expected):
    found = find_dates(f"do it {phrase} please", NOW)
    assert [m.iso() for m in found] == [expected]


def test_dinner_hours_are_evening():
    assert find_dates("dinner at 8 at Nopa", NOW)[0].iso() == "2026-11-23 20:00:00"


def test_numbers_that_are_not_times_are_left_alone():
    assert find_dates("buy 3 apples and pay $5 for 2 tickets", NOW) == []
    assert find_dates("the report covers 10 items", NOW) == []


def test_annotate_puts_the_value_right_after_the_phrase():
    q = "Create a calendar invite with Sid and Lutfi tomorrow at 3pm about the demo"
    assert annotate(q, NOW) == "Create a calendar invite with Sid and Lutfi tomorrow at 3pm [2026-11-24 15:00:00] about the demo"


def test_today_line_has_weekday():
    assert today_line(NOW) == "Monday 2026-11-23 10:00"
