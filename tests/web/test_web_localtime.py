"""Times for people: the clinic's zone with its abbreviation, waits in words, and clock times around the changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from screening.web.localtime import NotALocalTime, day_after, day_start, shown_time, utc_from_local, waited

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 Mar 2026 00:59 GMT"),  # a minute before the clocks go forward
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 Mar 2026 02:00 BST"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 Oct 2026 01:30 BST"),  # 01:30 happens twice that night
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 Oct 2026 01:30 GMT"),
    ],
)
def test_shown_time_names_the_zone(moment: datetime, shown: str) -> None:
    assert shown_time(moment, LONDON) == shown
    assert shown_time(None, LONDON) == ""


@pytest.mark.parametrize(
    ("gap", "words"),
    [
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=5, seconds=59), "5 min"),
        (timedelta(hours=2, minutes=10), "2 h 10 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
        (timedelta(minutes=-3), "0 min"),  # a clock a little behind never shows a negative wait
    ],
)
def test_waited_in_words(gap: timedelta, words: str) -> None:
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert waited(now - gap, now) == words


def test_local_clock_times_to_utc() -> None:
    assert utc_from_local(date(2026, 7, 14), time(15, 30), LONDON) == datetime(2026, 7, 14, 14, 30, tzinfo=UTC)
    assert utc_from_local(date(2026, 12, 3), time(9, 5), LONDON) == datetime(2026, 12, 3, 9, 5, tzinfo=UTC)
    # the hour that happens twice: the first one (still summer time) is meant
    assert utc_from_local(date(2026, 10, 25), time(1, 30), LONDON) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    with pytest.raises(NotALocalTime, match="01:30 does not happen on 29 Mar 2026"):
        utc_from_local(date(2026, 3, 29), time(1, 30), LONDON)


def test_a_clinic_day_runs_from_local_midnight_to_local_midnight() -> None:
    assert day_start(date(2026, 7, 2), LONDON) == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert day_after(date(2026, 7, 2), LONDON) == datetime(2026, 7, 2, 23, 0, tzinfo=UTC)
    short = day_after(date(2026, 3, 29), LONDON).astimezone(UTC) - day_start(date(2026, 3, 29), LONDON).astimezone(UTC)
    assert short == timedelta(hours=23)  # the day the clocks go forward
