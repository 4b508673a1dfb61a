"""The staff area: login, intake in staff wording on one page, the submissions list, detail and follow-up status."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.routing import Route

from .. import wording
from ..definition import Definition
from ..errors import ResponseError
from ..model import Disposition
from ..response import Response as Response_
from ..response import is_complete, parse_response
from ..scorer import CompactResult, assess, assess_compact, emergency_raised
from . import forms
from .archive import response_of
from .auth import authenticate, end_session, session_user, start_session
from .db import Submission, User
from .deps import SESSION_COOKIE, database, form_data, in_store_session, page, services, staff_user, staff_viewer
from .documents import (
    download,
    pdf_download,
    pdf_name,
    questionnaire_response_body,
)
from .emergency import FlagAlert, by_anchor, emergency_alerts
from .listing import Cursor, ListFilter, list_page
from .store import (
    KEY_MAX_LENGTH,
    audit,
    find_submission,
    idempotency_digest,
    latest_status,
    response_fingerprint,
    submit,
    versions_of,
)
from .throttle import Limits

router = APIRouter(prefix="/staff", include_in_schema=False)
LOGIN_REFUSED = (
    "The name or password is not right. Check them and try again. After several failed attempts, "
    "signing in from this device is paused for up to {minutes} minutes."
)
PAGE_SIZE = 50
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2999, 12, 31)  # list filters outside these cannot be real


@router.get("/login")
def login_page(request: Request, db: Session = Depends(database)) -> Response:
    if session_user(db, request.cookies.get(SESSION_COOKIE)) is not None:
        return RedirectResponse("/staff/queue", status_code=303)
    return page(request, "staff_login.html.j2", errors={}, name="")


@router.post("/login")
def login(request: Request, form: FormData = Depends(form_data), db: Session = Depends(database)) -> Response:
    s = services(request)
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    limits = Limits(
        s.settings.lockout_after_failures, s.settings.lockout_after_failures_per_address, s.settings.lockout_for
    )
    address = request.client.host if request.client else "unknown"
    result = authenticate(db, name, password, address=address, now=datetime.now(UTC), limits=limits)
    if result.outcome != "ok" or result.user is None:
        audit(db, result.user.name if result.user else "unknown", f"login_{result.outcome}")
        db.commit()
        # one answer for an unknown name, a wrong password and a paused sign-in: none tells a guesser anything
        refused = LOGIN_REFUSED.format(minutes=round(s.settings.lockout_for.total_seconds() / 60))
        return page(request, "staff_login.html.j2", 401, errors={"name": refused}, name=name)
    token = start_session(db, result.user, s.settings.session_valid_for)
    audit(db, result.user.name, "login")
    db.commit()
    response = RedirectResponse("/staff/queue", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(s.settings.session_valid_for.total_seconds()),
        path="/staff",
        httponly=True,
        secure=s.settings.secure_cookies,
        samesite="strict",
    )
    return response


@router.post("/logout")
def logout(request: Request, user: User = Depends(staff_user), db: Session = Depends(database)) -> Response:
    end_session(db, request.cookies.get(SESSION_COOKIE))
    audit(db, user.name, "logout")
    db.commit()
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


@router.get("")
@router.get("/")
def home(user: User = Depends(staff_user)) -> Response:
    return RedirectResponse("/staff/queue", status_code=303)


@router.get("/submissions")
def submissions(
    request: Request,
    disposition: str = "",
    since: str = "",
    until: str = "",
    name: str = "",
    after: str = "",
    before: str = "",
    last: str = "",
    user: User = Depends(staff_viewer),
    db: Session = Depends(database),
) -> Response:
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for key, text in (("since", since), ("until", until)):
        try:
            dates[key] = date.fromisoformat(text) if text else None
        except ValueError:
            errors[key] = "Enter a date like 2026-11-21"
            dates[key] = None
        found = dates[key]
        if found is not None and not FIRST_DATE <= found <= LAST_DATE:
            errors[key] = f"Enter a date between {FIRST_DATE:%Y} and {LAST_DATE:%Y}"
            dates[key] = None
    name = "".join(ch for ch in name if ch.isprintable())  # a NUL or control character cannot be searched for
    if disposition and disposition not in {d.value for d in Disposition}:
        errors["disposition"] = "Choose a disposition from the list"
        disposition = ""
    chosen = ListFilter(
        disposition=disposition,
        since=dates["since"],
        until=dates["until"],
        name=name[:200],
        zone=services(request).clinic.zone,  # "from" and "to" are the clinic's days
    )
    found_page = list_page(
        db,
        chosen,
        size=PAGE_SIZE,
        after=Cursor.parse(after[:100]),
        before=Cursor.parse(before[:100]),
        last=last == "1",
    )
    statuses = latest_status(db, [row.id for row in found_page.rows])
    audit(db, user.name, "list")
    db.commit()
    return page(
        request,
        "staff_list.html.j2",
        user=user,
        rows=found_page.rows,
        statuses=statuses,
        list_page=found_page,
        filters={"disposition": disposition, "since": since, "until": until, "name": name},
        errors=errors,
        dispositions=list(Disposition)[::-1],
    )


def _submission(db: Session, submission_id: str) -> Submission:
    row = find_submission(db, submission_id)
    if row is None:
        raise HTTPException(404, "There is no submission with this id.")
    return row


@router.get("/submissions/{submission_id}/summary.pdf")
def detail_pdf(
    request: Request, submission_id: str, user: User = Depends(staff_user), db: Session = Depends(database)
) -> Response:
    row = _submission(db, submission_id)
    found = pdf_download(
        services(request), db, row, user.name, "The questionnaire this submission was made with is not stored here."
    )
    return found or page(request, "pdf_waiting.html.j2", user=user, row=row)


@router.get("/submissions/{submission_id}/questionnaire-response.json")
def detail_fhir(
    request: Request, submission_id: str, user: User = Depends(staff_user), db: Session = Depends(database)
) -> Response:
    row = _submission(db, submission_id)
    body = questionnaire_response_body(services(request), db, row)
    audit(db, user.name, "fhir_download", row.id)
    db.commit()
    return download(body, "application/fhir+json", pdf_name(row).replace(".pdf", ".fhir.json"))


@router.get("/intake")
def intake_page(request: Request, user: User = Depends(staff_viewer)) -> Response:
    return _intake(request, user, forms.FormAnswers(), key=uuid.uuid4().hex)


@router.get("/submissions/{submission_id}/correct")
def correct_page(
    request: Request, submission_id: str, user: User = Depends(staff_viewer), db: Session = Depends(database)
) -> Response:
    row = _submission(db, submission_id)
    latest = versions_of(db, row)[-1]
    if latest.id != row.id:
        return RedirectResponse(f"/staff/submissions/{latest.id}/correct", status_code=303)
    response = response_of(row)
    answers = forms.FormAnswers(
        values=dict(response.answers),
        typed={k: [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in response.answers.items()},
    )
    if response.patient:
        answers.details = {k: str(v) for k, v in response.patient.model_dump(mode="json").items() if v is not None}
    return _intake(request, user, answers, key=uuid.uuid4().hex, supersedes=row.id)


@router.post("/visibility")
def visibility(request: Request, form: FormData = Depends(form_data), user: User = Depends(staff_user)) -> Response:
    """Which questions are shown, and each emergency red flag with the answers that raised it: the engine
    decides, the intake page's script only shows the questions and places each alert beside its question."""
    s = services(request)
    answers = forms.read_form(s.definition, form)
    alerts = _alerts(s.definition, answers)
    return JSONResponse(
        {
            "shown": sorted(forms.shown_items(s.definition, answers.values)),
            "emergency": [alert.title for alert in alerts],
            "alerts": [alert.as_json() for alert in alerts],
        }
    )


async def intake(request: Request) -> Response:
    """POST /staff/intake: the busiest staff route, so a plain Starlette route (see ``PLAIN_ROUTES``) rather than
    a FastAPI one. It needs nothing FastAPI's dependency solving adds, which cost about a fifth of an intake's CPU;
    the sign-in check and the form are read on the event loop, then the work is stored off it by
    ``deps.in_store_session`` (on SQLite together with the other intakes waiting at that moment)."""
    user = await staff_viewer(request)
    form = await form_data(request)
    return await in_store_session(request, _intake_in_session, request, form, user)


def _intake_in_session(db: Session, request: Request, form: FormData, user: User) -> Response:
    return _intake_post(request, form, user, db)


def _intake_post(request: Request, form: FormData, user: User, db: Session) -> Response:
    s = services(request)
    answers = forms.read_form(s.definition, form)
    key = str(form.get("key") or "").strip()
    if not 0 < len(key) <= KEY_MAX_LENGTH or not key.isprintable():
        key = uuid.uuid4().hex
    supersedes = str(form.get("supersedes") or "") or None
    if supersedes is not None:
        versions = versions_of(db, _submission(db, supersedes))
        if versions[-1].id != supersedes:
            raise HTTPException(409, "This submission has already been corrected; correct the newest version.")
    shown = forms.shown_items(s.definition, answers.values)
    seen = set(str(form.get("seen") or "").split())
    new = [i for i in s.definition.answerable if i in shown and i not in seen]
    errors = wording.detail_errors(answers.details, contact_required=False, today=datetime.now(UTC).date())
    # a detail typed wrong (a date of birth that is no date) is asked for again, or left out of an emergency
    # saved at once; it never stops the answers being read
    readable = replace(answers, details={k: v for k, v in answers.details.items() if k not in errors})
    try:  # one assessment serves both the emergency check and, when the form is complete, the record
        document = forms.response_document(s.definition, readable, "staff")
        response = parse_response(document, s.definition, hidden="drop", partial=True)
    except ResponseError as exc:
        raise HTTPException(400, f"The answers could not be read: {exc.problems[0].message}") from None
    result = assess_compact(s.definition, response)  # the outcome alone: an explanation only if a page shows one
    if emergency_raised(s.definition, result):
        invalid = {item_id: message for item_id, message in answers.invalid.items() if item_id in shown}
        if "name" not in errors and not invalid:
            return _save(db, s.definition, user, response, result, key, supersedes)  # complete if nothing is open
        errors.update(invalid)  # only what stops the save is asked for now: unanswered questions can wait
        alerts = emergency_alerts(s.definition, response, assess(s.definition, response))
        return _intake(request, user, answers, key=key, errors=errors, supersedes=supersedes, alerts=alerts)
    errors.update(forms.item_errors(s.definition, answers, s.definition.answerable, shown))
    if new or errors:
        notice = f"{len(new)} follow-up question(s) now apply; they are marked below." if new else ""
        return _intake(request, user, answers, key=key, errors=errors, notice=notice, supersedes=supersedes)
    return _save(db, s.definition, user, response, result, key, supersedes)


# routes the app puts before every other (FastAPI tries its routes in turn: about 30 before this one otherwise)
PLAIN_ROUTES = [Route("/staff/intake", intake, methods=["POST"], include_in_schema=False)]


def _alerts(definition: Definition, answers: forms.FormAnswers) -> list[FlagAlert]:
    """The emergency alerts for the answers given so far (none when they cannot be read yet)."""
    try:
        document = forms.response_document(definition, replace(answers, details={}), "staff")  # answers only
        response = parse_response(document, definition, hidden="drop", partial=True)
    except ResponseError:
        return []
    return emergency_alerts(definition, response, assess(definition, response))


def _save(
    db: Session,
    definition: Definition,
    user: User,
    response: Response_,
    result: CompactResult,
    key: str,
    supersedes: str | None,
) -> Response:
    name = user.name
    complete = is_complete(definition, response)  # an emergency saved at once may still have every answer
    # the key is bound to the answers: a double click stores once, while a form sent again with other answers
    # (back, change, send) is a new submission and is never answered with the earlier one
    fingerprint = response_fingerprint(response, complete=complete, supersedes=supersedes)
    row, _created = submit(
        db,
        definition,
        response,
        result=result,
        channel="staff",
        actor=name,
        action="correction" if supersedes else "intake",
        created_by=name,
        idempotency_key=idempotency_digest(f"staff:{name}", key, fingerprint),
        request_sha256=fingerprint,
        complete=complete,
        supersedes=supersedes,
    )
    return RedirectResponse(f"/staff/submissions/{row.id}?created=1", status_code=303)


def _intake(
    request: Request,
    user: User,
    answers: forms.FormAnswers,
    *,
    key: str,
    errors: dict[str, str] | None = None,
    notice: str = "",
    supersedes: str | None = None,
    alerts: list[FlagAlert] | None = None,
) -> Response:
    s = services(request)
    shown = forms.shown_items(s.definition, answers.values)
    if alerts is None:
        alerts = _alerts(s.definition, answers) if answers.values else []
    return page(
        request,
        "staff_intake.html.j2",
        user=user,
        sections=s.definition.questionnaire.sections,
        answers=answers,
        errors=errors or {},
        shown=shown,
        seen=" ".join(i for i in s.definition.answerable if i in shown),
        notice=notice,
        key=key,
        supersedes=supersedes,
        wording="staff",
        alerts=by_anchor(alerts),
    )
