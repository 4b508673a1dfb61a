"""Following submissions up: the "Needs action" queue, a submission's page, its status, what was done about it
(contacts and attempts) and the discovery call booked with the patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ..labels import disposition_words
from ..report import build_view
from .archive import RebuildError, assessment_of, response_of, row_definition
from .db import CALL_ACTIONS, CONTACT_ACTIONS, NEXT_STATUSES, Submission, User
from .deps import database, form_data, page, services, staff_user, staff_viewer
from .localtime import NotALocalTime, utc_from_local
from .pdf_queue import pdf_is_ready
from .queue import (
    NOTE_MAX_LENGTH,
    URGENT,
    contacts,
    discovery_call,
    is_handled,
    needs_action,
    record_contact,
    set_discovery_call,
)
from .store import audit, find_submission, set_status, status_history, versions_of

router = APIRouter(prefix="/staff", include_in_schema=False)


def _submission(db: Session, submission_id: str) -> Submission:
    row = find_submission(db, submission_id)
    if row is None:
        raise HTTPException(404, "There is no submission with this id.")
    return row


@router.get("/queue")
def queue(request: Request, user: User = Depends(staff_viewer), db: Session = Depends(database)) -> Response:
    """Emergency and urgent-GP submissions nobody has acted on yet, oldest first."""
    rows = needs_action(db)
    audit(db, user.name, "queue")
    db.commit()
    return page(request, "staff_queue.html.j2", user=user, rows=rows)


@router.get("/submissions/{submission_id}")
def detail(
    request: Request, submission_id: str, user: User = Depends(staff_viewer), db: Session = Depends(database)
) -> Response:
    row = _submission(db, submission_id)
    return _detail(request, db, user, row)


def _detail(
    request: Request,
    db: Session,
    user: User,
    row: Submission,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    s = services(request)
    try:
        assessment = assessment_of(db, row, s.definition)
    except RebuildError as exc:  # this version cannot rebuild it: say what is stored rather than fail
        words = disposition_words(row.disposition)
        raise HTTPException(
            409,
            f"This submission's result cannot be shown by this version of the software ({exc}). Its stored "
            f"outcome is: {words}. Ask whoever runs the service to move such submissions to the legacy column.",
        ) from None
    response = response_of(row)
    try:  # the answers and rules shown under the definitions the submission was scored with
        scored_with = row_definition(db, row, s.definition)
    except RebuildError:  # an old row kept as it was: its questionnaire is not stored
        view = None
    else:
        view = build_view(scored_with, response, assessment, s.clinic, row.created_at)
    history = status_history(db, row.id)
    status = history[-1].status if history else "new"
    versions = versions_of(db, row)
    chain = [v.id for v in versions]
    records = contacts(db, chain)
    call = discovery_call(db, chain)
    is_newest = versions[-1].id == row.id
    typed = typed or {}
    if call is not None and not typed:
        local = call.call_at.astimezone(s.clinic.zone)
        typed = {"call_date": f"{local:%Y-%m-%d}", "call_time": f"{local:%H:%M}"}
    pdf_ready = pdf_is_ready(db, row.id)
    audit(db, user.name, "view", row.id)
    db.commit()
    return page(
        request,
        "staff_detail.html.j2",
        400 if errors else 200,
        user=user,
        row=row,
        response=response,
        assessment=assessment,
        view=view,
        history=history,
        status=status,
        next_statuses=NEXT_STATUSES[status],
        versions=versions,
        is_newest=is_newest,
        pdf_ready=pdf_ready,
        just_created=request.query_params.get("created") == "1",
        just_recorded=request.query_params.get("recorded") == "1",
        contacts=records,
        attempts=sum(1 for r in records if r.action in CALL_ACTIONS),
        unanswered=sum(1 for r in records if r.action == "no_answer"),
        waiting=row.disposition in URGENT and is_newest and not is_handled(records, row.id),
        call=call,
        typed=typed,
        errors=errors or {},
    )


def _newest(db: Session, row: Submission) -> None:
    if versions_of(db, row)[-1].id != row.id:
        raise HTTPException(409, "This submission has been corrected since; record this on the newest version.")


@router.post("/submissions/{submission_id}/status")
def change_status(
    submission_id: str,
    form: FormData = Depends(form_data),
    user: User = Depends(staff_user),
    db: Session = Depends(database),
) -> Response:
    row = _submission(db, submission_id)
    wanted = str(form.get("status") or "")
    note = str(form.get("note") or "").strip()[:500]
    history = status_history(db, row.id)
    current = history[-1].status if history else "new"
    if wanted not in NEXT_STATUSES[current]:
        raise HTTPException(400, f"A submission that is '{current}' cannot move to '{wanted or 'nothing'}'.")
    set_status(db, row.id, wanted, user.name, note)
    audit(db, user.name, "status_change", row.id, f"{current}->{wanted}")
    db.commit()
    return RedirectResponse(f"/staff/submissions/{row.id}#status", status_code=303)


@router.post("/submissions/{submission_id}/contact")
def contact(
    request: Request,
    submission_id: str,
    form: FormData = Depends(form_data),
    user: User = Depends(staff_viewer),
    db: Session = Depends(database),
) -> Response:
    """Record what was done: who and when come from the session and the clock, the note stays out of the audit."""
    row = _submission(db, submission_id)
    _newest(db, row)
    action = str(form.get("action") or "")
    note = "".join(ch for ch in str(form.get("note") or "") if ch.isprintable()).strip()
    if action not in CONTACT_ACTIONS:
        errors = {"action": "Choose what was done"}
        return _detail(request, db, user, row, errors, {"note": note[:NOTE_MAX_LENGTH]})
    record_contact(db, row.id, action, user.name, note[:NOTE_MAX_LENGTH])
    audit(db, user.name, "contact", row.id, f"action={action}")
    db.commit()
    return RedirectResponse(f"/staff/submissions/{row.id}?recorded=1#contact", status_code=303)


@router.post("/submissions/{submission_id}/discovery-call")
def book_call(
    request: Request,
    submission_id: str,
    form: FormData = Depends(form_data),
    user: User = Depends(staff_viewer),
    db: Session = Depends(database),
) -> Response:
    """The date and time of the discovery call, typed in the clinic's local time and stored in UTC."""
    row = _submission(db, submission_id)
    _newest(db, row)
    typed = {key: str(form.get(key) or "").strip()[:20] for key in ("call_date", "call_time")}
    errors: dict[str, str] = {}
    try:
        day = date.fromisoformat(typed["call_date"])
    except ValueError:
        errors["call_date"] = "Enter the date of the call, like 2026-12-03"
    try:
        clock = time.fromisoformat(typed["call_time"])
    except ValueError:
        errors["call_time"] = "Enter the time of the call, like 14:30"
    if not errors:
        try:
            moment = utc_from_local(
                day, clock.replace(second=0, microsecond=0, tzinfo=None), services(request).clinic.zone
            )
        except NotALocalTime as exc:
            errors["call_time"] = f"{exc}: choose another time"
        else:
            if abs((moment - datetime.now(UTC)).days) > 366:
                errors["call_date"] = "Enter a date within a year of today"
    if errors:
        return _detail(request, db, user, row, errors, typed)
    set_discovery_call(db, row.id, moment, user.name)
    audit(db, user.name, "discovery_call", row.id)
    db.commit()
    return RedirectResponse(f"/staff/submissions/{row.id}#status", status_code=303)
