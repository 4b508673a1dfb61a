"""The "Needs action" queue and the follow-up workflow: what waits and in which order, acknowledgements and their
audit, the count in every staff header, new → booked, the discovery call, attempts, completed by, local time."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.web import Site, errors_on, field
from sqlalchemy import event, func, select, text, update

from screening.cli import main
from screening.web.db import AuditEvent, ContactRecord, DiscoveryCall, StatusChange, Submission, make_engine, migrate
from screening.web.queue import needs_action_condition

COUNT = re.compile(r'<span class="count[^"]*">(\d+)<span class="visually-hidden"> waiting</span></span>')
EMERGENCY = {"sudden_onset_headache": "yes"}


@pytest.fixture
def urgent_answers(physio_answers: dict[str, Any]) -> dict[str, Any]:
    """A complete intake with a temperature (and neither stiff neck nor rash): urgent GP, not an emergency."""
    return dict(physio_answers, fever="yes", fever_with_stiff_neck="no", fever_with_rash="no")


def signed_in(site: Site) -> Site:
    site.add_staff()
    site.login()
    return site


def saved(site: Site, answers: dict[str, Any], name: str, **extra: str) -> Submission:
    """Store an intake and give back its row."""
    done = site.staff_intake(answers, name=name, **extra)
    assert done.status_code == 303, errors_on(done.text)
    ident = done.headers["location"].split("/")[-1].split("?")[0]
    with site.db() as db:
        row = db.get(Submission, ident)
        assert row is not None
        return row


def received_at(site: Site, submission_id: str, when: datetime) -> None:
    """Set when a submission arrived (the tests need times they can name)."""
    with site.db() as db:
        db.execute(update(Submission).where(Submission.id == submission_id).values(created_at=when))
        db.commit()


def header_count(page: str) -> int:
    found = COUNT.findall(page)
    assert len(found) == 1, "the staff header shows the count once"
    return int(found[0])


def queue_names(site: Site) -> list[str]:
    page = site.client.get("/staff/queue")
    assert page.status_code == 200
    return re.findall(r'<td data-label="Patient"><a href="[^"]+">([^<]+)</a>', page.text)


def record(site: Site, submission_id: str, action: str, note: str = "") -> Any:
    page = site.client.get(f"/staff/submissions/{submission_id}")
    token = field(page.text, "csrftoken")
    return site.post(
        f"/staff/submissions/{submission_id}/contact", {"csrftoken": token, "action": action, "note": note}
    )


def test_the_queue_holds_urgent_results_nobody_acted_on_oldest_first(
    site: Site, physio_answers: dict[str, Any], urgent_answers: dict[str, Any]
) -> None:
    signed_in(site)
    newer = saved(site, EMERGENCY, "Newer Emergency")
    older = saved(site, urgent_answers, "Older Urgent")
    routine = saved(site, physio_answers, "Routine Physio")
    assert (newer.disposition, older.disposition, routine.disposition) == (
        "emergency",
        "urgent_gp",
        "physio_assessment",
    )
    now = datetime.now(UTC)
    received_at(site, newer.id, now - timedelta(minutes=25))
    received_at(site, older.id, now - timedelta(hours=2, minutes=10, seconds=30))
    assert queue_names(site) == ["Older Urgent", "Newer Emergency"]  # the routine result never waits here
    page = site.client.get("/staff/queue").text
    waits = re.findall(r'<td data-label="Waiting"><strong>([^<]+)</strong>', page)
    assert waits == ["2 h 10 min", "25 min"]
    assert header_count(page) == 2
    # signing in opens the queue
    site.client.cookies.clear()
    assert site.login().headers["location"] == "/staff/queue"
    assert site.client.get("/staff").headers["location"] == "/staff/queue"


def test_the_queue_reads_only_the_columns_it_shows(site: Site) -> None:
    signed_in(site)
    saved(site, EMERGENCY, "Test Patient Emergency")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = site.services.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert "Test Patient Emergency" in site.client.get("/staff/queue").text
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reads = [s for s in statements if "submissions" in s]
    assert reads and not any("response_json" in s or "assessment_json" in s for s in reads)


def test_acknowledging_records_who_when_what_and_leaves_the_queue(site: Site) -> None:
    signed_in(site)
    row = saved(site, EMERGENCY, "Test Patient Emergency")
    before = datetime.now(UTC)
    tried = record(site, row.id, "no_answer", "voicemail, rang at 10")
    assert tried.status_code == 303
    assert queue_names(site) == ["Test Patient Emergency"]  # no answer: still waiting, one try counted
    assert "1 without an answer, last" in site.client.get("/staff/queue").text
    record(site, row.id, "no_answer")
    assert "2 without an answer" in site.client.get("/staff/queue").text
    done = record(site, row.id, "advised_999", "Told to ring 999 now")
    assert done.status_code == 303 and done.headers["location"].endswith("#contact")
    assert queue_names(site) == []
    assert header_count(site.client.get("/staff/queue").text) == 0
    with site.db() as db:
        records = list(db.scalars(select(ContactRecord).order_by(ContactRecord.id)))
        events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "contact").order_by(AuditEvent.id)))
    assert [(r.action, r.acted_by, r.submission_id) for r in records] == [
        ("no_answer", "reception", row.id),
        ("no_answer", "reception", row.id),
        ("advised_999", "reception", row.id),
    ]
    assert all(before <= r.acted_at <= datetime.now(UTC) for r in records)
    assert records[2].note == "Told to ring 999 now"
    assert [(e.actor, e.submission_id, e.detail) for e in events] == [
        ("reception", row.id, "action=no_answer"),
        ("reception", row.id, "action=no_answer"),
        ("reception", row.id, "action=advised_999"),
    ]
    with site.db() as db:  # ids and actions only: no note, no name of the patient anywhere in the audit log
        everything = " ".join(f"{e.actor} {e.action} {e.detail}" for e in db.scalars(select(AuditEvent)))
    assert "999 now" not in everything and "voicemail" not in everything and "Emergency" not in everything
    detail = site.client.get(f"/staff/submissions/{row.id}").text
    assert "Advised 999</strong> by reception" in detail and "Told to ring 999 now" in detail
    assert "<dt>Tries to reach the patient</dt><dd>3 (2 without an answer)</dd>" in detail


def test_acknowledging_needs_an_action_and_a_csrf_token(site: Site) -> None:
    signed_in(site)
    row = saved(site, EMERGENCY, "Test Patient Emergency")
    nothing = record(site, row.id, "", "a note")
    assert nothing.status_code == 400 and "Choose what was done" in errors_on(nothing.text)
    assert 'value="a note"' in nothing.text  # the note typed is kept
    invented = record(site, row.id, "shrugged")
    assert invented.status_code == 400
    forged = site.post(f"/staff/submissions/{row.id}/contact", {"action": "called_patient"})
    assert forged.status_code == 403
    assert site.count(ContactRecord) == 0 and queue_names(site) == ["Test Patient Emergency"]


def test_only_the_newest_version_of_a_correction_counts(site: Site, physio_answers: dict[str, Any]) -> None:
    signed_in(site)
    first = saved(site, EMERGENCY, "Test Patient Emergency")
    second = saved(site, dict(physio_answers, **EMERGENCY), "Test Patient Emergency", supersedes=first.id)
    page = site.client.get("/staff/queue").text
    assert page.count("Test Patient Emergency") == 1 and f"/staff/submissions/{second.id}#contact" in page
    assert record(site, first.id, "called_patient").status_code == 409  # the old version cannot be acknowledged
    saved(site, physio_answers, "Test Patient Emergency", supersedes=second.id)  # corrected: not urgent any more
    assert queue_names(site) == []


def test_the_count_is_in_the_header_of_every_staff_page(site: Site, physio_answers: dict[str, Any]) -> None:
    signed_in(site)
    saved(site, EMERGENCY, "Alpha Testperson")
    row = saved(site, EMERGENCY, "Bravo Testperson")
    pages = [
        "/staff/queue",
        "/staff/submissions",
        "/staff/submissions?disposition=emergency",
        f"/staff/submissions/{row.id}",
        "/staff/intake",
        f"/staff/submissions/{row.id}/correct",
    ]
    for path in pages:
        got = site.client.get(path)
        assert got.status_code == 200 and header_count(got.text) == 2, path
    invalid = site.staff_intake({"sudden_onset_headache": "no", "age": "abc"})  # the intake shown again
    assert invalid.status_code == 200 and header_count(invalid.text) == 2
    refused = record(site, row.id, "")
    assert header_count(refused.text) == 2
    record(site, row.id, "gp_informed")
    assert header_count(site.client.get("/staff/intake").text) == 1
    assert 'class="count">0<' not in site.client.get("/staff/intake").text
    record(site, saved(site, physio_answers, "Charlie").id, "called_patient")  # a routine contact changes nothing
    assert header_count(site.client.get("/staff/submissions").text) == 1


def test_new_can_be_booked_directly(site: Site, physio_answers: dict[str, Any]) -> None:
    signed_in(site)
    row = saved(site, physio_answers, "Test Patient")
    detail = site.client.get(f"/staff/submissions/{row.id}")
    assert 'value="booked" id="status-booked"' in detail.text
    done = site.post(
        f"/staff/submissions/{row.id}/status", {"csrftoken": field(detail.text, "csrftoken"), "status": "booked"}
    )
    assert done.status_code == 303
    with site.db() as db:
        assert [c.status for c in db.scalars(select(StatusChange))] == ["booked"]


@pytest.mark.parametrize(
    ("typed_date", "typed_time", "utc", "shown"),
    [
        ("2026-07-14", "15:30", datetime(2026, 7, 14, 14, 30, tzinfo=UTC), "14 Jul 2026 15:30 BST"),
        ("2026-12-03", "09:05", datetime(2026, 12, 3, 9, 5, tzinfo=UTC), "03 Dec 2026 09:05 GMT"),
    ],
)
def test_the_discovery_call_is_typed_and_shown_in_the_clinics_time(
    site: Site, physio_answers: dict[str, Any], typed_date: str, typed_time: str, utc: datetime, shown: str
) -> None:
    signed_in(site)
    row = saved(site, physio_answers, "Test Patient")
    token = field(site.client.get(f"/staff/submissions/{row.id}").text, "csrftoken")
    done = site.post(
        f"/staff/submissions/{row.id}/discovery-call",
        {"csrftoken": token, "call_date": typed_date, "call_time": typed_time},
    )
    assert done.status_code == 303
    with site.db() as db:
        (call,) = db.scalars(select(DiscoveryCall))
    assert (call.call_at, call.set_by) == (utc, "reception")  # stored in UTC
    detail = site.client.get(f"/staff/submissions/{row.id}").text
    assert f"<dt>Discovery call</dt><dd>{shown}</dd>" in detail
    assert f'value="{typed_date}"' in detail and f'value="{typed_time}"' in detail  # the form shows it again
    assert "discovery_call" in site.audit_actions()


def test_a_discovery_call_time_that_never_happens_is_refused(site: Site, physio_answers: dict[str, Any]) -> None:
    signed_in(site)
    row = saved(site, physio_answers, "Test Patient")
    token = field(site.client.get(f"/staff/submissions/{row.id}").text, "csrftoken")
    for day, clock, message in [
        ("2026-03-29", "01:30", "does not happen on 29 Mar 2026"),  # the clocks go forward at 01:00 GMT
        ("someday", "10:00", "Enter the date of the call"),
        ("2026-12-03", "25:00", "Enter the time of the call"),
        ("2031-01-01", "10:00", "within a year"),
    ]:
        got = site.post(
            f"/staff/submissions/{row.id}/discovery-call", {"csrftoken": token, "call_date": day, "call_time": clock}
        )
        assert got.status_code == 400 and any(message in e for e in errors_on(got.text)), (day, clock)
    assert site.count(DiscoveryCall) == 0


def test_completed_by_names_the_staff_member(site: Site, physio_answers: dict[str, Any]) -> None:
    signed_in(site)
    row = saved(site, physio_answers, "Test Patient")
    assert "<dt>Completed by</dt><dd>reception</dd>" in site.client.get(f"/staff/submissions/{row.id}").text
    assert '<td data-label="From">Staff intake by reception</td>' in site.client.get("/staff/submissions").text


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), "02 Jul 2026 00:30 BST"),  # summer time: the next day already
        (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "15 Jan 2026 12:00 GMT"),
    ],
)
def test_times_are_shown_in_the_clinics_time_zone(
    site: Site, physio_answers: dict[str, Any], stored: datetime, shown: str
) -> None:
    signed_in(site)
    row = saved(site, EMERGENCY, "Test Patient Emergency")
    received_at(site, row.id, stored)
    for path in ("/staff/submissions", "/staff/queue", f"/staff/submissions/{row.id}"):
        page = site.client.get(path).text
        assert shown in page and "UTC" not in page, path
    # the list's dates are the clinic's days too
    local_day = shown[:2]
    day = f"{stored:%Y-%m}-{local_day}"
    assert "Test Patient Emergency" in site.client.get("/staff/submissions", params={"since": day, "until": day}).text
    record(site, row.id, "no_answer")
    assert "UTC" not in site.client.get("/staff/queue").text  # the last try too


def test_the_patient_result_page_shows_the_clinics_time(site: Site, physio_answers: dict[str, Any]) -> None:
    done = site.complete(physio_answers)
    assert done.status_code == 303
    result = site.client.get(done.headers["location"]).text
    assert re.search(r"This link works until \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d (GMT|BST)\.", result)


def test_the_csv_has_a_received_column_in_the_clinics_time(
    site: Site, physio_answers: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed_in(site)
    summer = saved(site, physio_answers, "Test Patient")
    winter = saved(site, EMERGENCY, "Test Patient Emergency")
    received_at(site, summer.id, datetime(2026, 6, 30, 23, 15, tzinfo=UTC))
    received_at(site, winter.id, datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    url = site.services.settings.database_url
    out = tmp_path / "export.csv"
    assert main(["export", "submissions", "--database", url, "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert [(r["created_at"], r["received"]) for r in rows] == [
        ("2026-06-30T23:15:00Z", "01 Jul 2026 00:15 BST"),
        ("2026-11-02T08:00:00Z", "02 Nov 2026 08:00 GMT"),
    ]
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text("name: Test Clinic\ntime_zone: America/New_York\n", "utf-8")
    assert main(["export", "submissions", "--database", url, "--clinic", str(clinic), "-o", str(out)]) == 0
    assert "30 Jun 2026 19:15 EDT" in out.read_text("utf-8")
    capsys.readouterr()
    assert main(["export", "submissions", "--database", url, "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["created_at"] for line in lines] == ["2026-06-30T23:15:00Z", "2026-11-02T08:00:00Z"]
    assert all("received" not in line for line in lines)  # JSON stays UTC only


def test_the_queue_query_uses_indexes_only(tmp_path: Path) -> None:
    """SQLite's plan for the queue and its count: index searches, never a scan of every submission."""
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'plan.db'}")
    migrate(engine)
    queries = [
        select(Submission.id, Submission.created_at).where(needs_action_condition()),
        select(func.count()).select_from(Submission).where(needs_action_condition()),
    ]
    with engine.connect() as connection:
        for query in queries:
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = [row[3] for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql))]
            assert any(re.search(r"USING (COVERING )?INDEX ix_submissions_disposition", step) for step in plan), plan
            assert not any(step.startswith("SCAN") for step in plan), plan
    engine.dispose()
