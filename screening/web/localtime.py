"""Times as people read them: in the clinic's time zone with its abbreviation (GMT or BST), and how long ago.

Stored times, JSON and FHIR stay in UTC; only what is shown to people goes through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo


def shown_time(value: datetime | None, zone: ZoneInfo) -> str:
    """``14 Jul 2026 15:30 BST``: the clinic's local time, with the zone so that nobody has to guess."""
    if value is None:
        return ""
    return value.astimezone(zone).strftime("%d %b %Y %H:%M %Z")


def waited(since: datetime, now: datetime) -> str:
    """How long something has waited, in words a glance can take in: ``2 h 10 min``, ``3 d 4 h``, ``5 min``."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


class NotALocalTime(ValueError):
    """A clock time that does not happen on that day (the hour skipped when the clocks go forward)."""


def utc_from_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of a date and clock time in the clinic's zone.

    When the clocks go back, an hour happens twice: the first of the two is meant. When they go forward, an hour
    never happens: that is refused rather than moved, so that nobody is told a time they did not choose.
    """
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NotALocalTime(f"{clock:%H:%M} does not happen on {day:%d %b %Y} (the clocks go forward)")
    return moment


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight at the start of a day in the clinic's zone (what a "from" date in a filter means)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def day_after(day: date, zone: tzinfo) -> datetime:
    """Midnight at the end of a day in the clinic's zone (what a "to" date in a filter includes up to)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def written_time(moment: datetime, zone: ZoneInfo) -> str:
    """A time written out for patients, e.g. "2 December 2026 at 14:05 GMT" (staff pages use ``shown_time``)."""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"
