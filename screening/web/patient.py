"""Patient self-screening: one section per page, a review page, then a result with a time-limited PDF link."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from .. import wording
from ..assessment import emergency_flags
from ..errors import ResponseError
from ..model import Disposition
from ..response import Response as Response_
from ..response import is_complete, parse_response
from ..scorer import assess, assess_compact, emergency_raised
from . import drafts, forms
from .archive import RebuildError, assessment_of
from .db import Submission
from .deps import Services, database, form_data, page, services
from .documents import patient_summary_download
from .journey import journey_size
from .localtime import written_time
from .patient_pages import (
    CONTACT_STEP,
    _contact_page,
    _details_page,
    _details_step,
    _draft_answers,
    _go,
    _next_step,
    _previous_step,
    _review_page,
    _review_step,
    _screen_items,
    _section_page,
    _step_page,
)
from .ratelimit import SharedRateLimiter
from .store import (
    KEY_MAX_LENGTH,
    access_token,
    find_submission,
    idempotency_digest,
    response_fingerprint,
    submit,
    token_matches,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def start(request: Request) -> Response:
    typical = journey_size(services(request).definition, {})  # a patient whose answers open no follow-ups
    return page(request, "start.html.j2", minutes=typical.minutes)


@router.get("/screen")
def first_page(request: Request) -> Response:
    return _contact_page(request, forms.FormAnswers(), key=uuid.uuid4().hex)


@router.post("/visibility")
def visibility(request: Request, form: FormData = Depends(form_data)) -> JSONResponse:
    """Which questions are shown for the answers so far: the engine decides, the page's script only obeys."""
    s = services(request)
    _limit(s.page_limiter, request)
    answers = forms.read_form(s.definition, form)
    try:
        response = _parse(s, answers, partial=True)
        emergency = [f.title for f in emergency_flags(assess(s.definition, response))]
    except ResponseError:
        emergency = []
    return JSONResponse({"shown": sorted(forms.shown_items(s.definition, answers.values)), "emergency": emergency})


@router.post("/screen")
def screen(request: Request, form: FormData = Depends(form_data), db: Session = Depends(database)) -> Response:
    s = services(request)
    _limit(s.page_limiter, request)  # before the request's own session is used: one connection at a time
    answers = forms.read_form(s.definition, form)
    key = _form_key(form)
    action = _text(form.get("action")) or "next"
    try:
        step = max(CONTACT_STEP, min(int(_text(form.get("step")) or 0), _review_step(s)))
    except ValueError:
        step = CONTACT_STEP
    shown = forms.shown_items(s.definition, answers.values)
    details_step = _details_step(s)

    if action.startswith("goto-"):
        target = int(action.removeprefix("goto-")) if action.removeprefix("goto-").isdigit() else 0
        return _go(request, db, answers, key, min(target, _review_step(s)))
    if action == "back":
        return _go(request, db, answers, key, _previous_step(s, step, shown))
    if action == "save":
        return _go(request, db, answers, key, step, then="/screen/saved")

    if step == CONTACT_STEP:
        errors = wording.contact_errors(answers.details)
        if action == "skip":  # allowed, with the warning on the page; what was typed correctly is kept
            answers.details = {k: v for k, v in answers.details.items() if k not in errors}
        elif errors:
            return _go(request, db, answers, key, step, check=True)
        return _go(request, db, answers, key, _next_step(s, step, shown))

    if step < details_step:
        # an emergency answer ends the questions at once, even with other questions on the page unanswered
        stopped = _emergency_stop(request, db, answers, key)
        if stopped is not None:
            return stopped
        on_page = _screen_items(s, step)
        seen = set(_text(form.get("seen")).split())
        new = [i for i in forms.answerable(s.definition, on_page) if i in shown and i not in seen]
        errors = forms.item_errors(s.definition, answers, on_page, shown)
        if new or errors:
            return _go(request, db, answers, key, step, check=True, added=new)
        return _go(request, db, answers, key, _next_step(s, step, shown))

    if step == details_step:
        errors = _detail_errors(s, answers)
        return _go(request, db, answers, key, step if errors else _review_step(s), check=bool(errors))

    # review: submit
    if action != "submit":
        return _go(request, db, answers, key, _review_step(s))
    if _detail_errors(s, answers):
        return _go(request, db, answers, key, details_step, check=True)
    for number, screen in enumerate(forms.screens(s.definition), start=1):
        if forms.item_errors(s.definition, answers, screen.items, shown):
            return _go(request, db, answers, key, number, check=True)
    _limit(s.limiter, request)
    try:
        response = _parse(s, answers)
    except ResponseError:
        raise HTTPException(400, "Some answers could not be read. Please start again.") from None
    drafts.delete_draft(db, request.cookies.get(drafts.COOKIE))
    # the privacy notice was agreed by pressing "Send my answers"
    row = _submit(s, db, response, key, consent=s.clinic.privacy_notice_version)
    return _to_result(s, row)


def _detail_errors(s: Services, answers: forms.FormAnswers) -> dict[str, str]:
    """The last page's checks: a name and phone number (asked first, required before sending), date of birth."""
    errors = wording.contact_errors(answers.details)
    parts = [answers.details.get(k, "") for k in wording.DATE_PARTS]
    message, box = wording.date_parts_error(*parts, today=datetime.now(s.clinic.zone).date())
    if message:
        errors[box] = message
    identifiers = {key: answers.details.get(key, "") for key in ("nhs_number", "gp_practice")}
    checked = wording.detail_errors({"name": "-", **identifiers}, contact_required=False, today=date.today())
    errors.update({key: text for key, text in checked.items() if key in identifiers})
    return errors


def _emergency_stop(request: Request, db: Session, answers: forms.FormAnswers, key: str) -> Response | None:
    """If an answer so far is an emergency red flag, store what we have and stop the questions there."""
    s = services(request)
    try:
        response = _parse(s, answers, partial=True)
    except ResponseError:
        return None
    if not emergency_raised(s.definition, assess_compact(s.definition, response)):  # no explanation needed
        return None
    _limit(s.limiter, request)  # emergency stops are stored too: one address cannot flood the triage list
    drafts.delete_draft(db, request.cookies.get(drafts.COOKIE))
    row = _submit(s, db, response, key, detail="stopped early: emergency")
    return _to_result(s, row)


def _submit(
    s: Services,
    db: Session,
    response: Response_,
    key: str,
    *,
    detail: str = "",
    consent: str | None = None,
) -> Submission:
    """Store the submission once per form key AND set of answers: a double click or a re-post of the same answers
    returns the stored one, while the same key with other answers (the patient went back and changed something)
    is a new submission, never answered with the earlier result. An emergency stop is incomplete by its answers."""
    complete = is_complete(s.definition, response)
    fingerprint = response_fingerprint(response, complete=complete)
    row, _created = submit(
        db,
        s.definition,
        response,
        channel="web",
        actor="patient",
        action="submitted",
        detail=detail,
        idempotency_key=idempotency_digest("web", key, fingerprint),
        request_sha256=fingerprint,
        complete=complete,
        consent_notice_version=consent,
    )
    return row


def _form_key(form: FormData) -> str:
    """The form's idempotency key; a missing, overlong or odd one is replaced by a fresh key."""
    key = _text(form.get("key"))
    return key if 0 < len(key) <= KEY_MAX_LENGTH and key.isprintable() else uuid.uuid4().hex


def _parse(s: Services, answers: forms.FormAnswers, *, partial: bool = False) -> Response_:
    """The patient's answers as a checked response (answers to questions not shown are dropped)."""
    document = forms.response_document(s.definition, answers, "patient")
    return parse_response(document, s.definition, hidden="drop", partial=partial)


def _to_result(s: Services, row: Submission) -> Response:
    token = access_token(s.settings.secret_key, row.id)
    done = RedirectResponse(f"/result/{row.id}/{token}", status_code=303)
    done.delete_cookie(drafts.COOKIE, path="/")
    return done


@router.get("/screen/step/{step}")
def step_page(
    request: Request, step: int, check: str = "", added: int = 0, db: Session = Depends(database)
) -> Response:
    """One step of the questions, from the saved draft: Back, Forward and reload never re-send a form."""
    s = services(request)
    found = _draft_answers(request, db)
    db.commit()  # an expired draft is deleted
    if found is None:
        return RedirectResponse("/screen", status_code=303)
    _, answers, key = found
    step = max(CONTACT_STEP, min(step, _review_step(s)))
    if not check:
        return _step_page(request, step, answers, key)
    shown = forms.shown_items(s.definition, answers.values)
    if step == CONTACT_STEP:
        return _contact_page(request, answers, key, wording.contact_errors(answers.details))
    if step < _details_step(s):
        on_page = _screen_items(s, step)
        errors = forms.item_errors(s.definition, answers, on_page, shown)
        notice = ""
        if added > 0:
            notice = (
                f"{added} follow-up question{'s have' if added != 1 else ' has'} been added "
                "because of your answers. Please answer them, then continue."
            )
            follow_ups = {i for i in on_page if s.definition.items[i].enable_when is not None}
            errors = {i: m for i, m in errors.items() if i not in follow_ups}
        return _section_page(request, step, answers, key=key, errors=errors, notice=notice)
    if step == _details_step(s):
        return _details_page(request, answers, key, _detail_errors(s, answers))
    return _review_page(request, answers, key)


@router.get("/screen/saved")
def saved(request: Request, db: Session = Depends(database)) -> Response:
    """The resume link, on screen (and by e-mail when the patient gave an address and the clinic sends e-mail)."""
    s = services(request)
    token = request.cookies.get(drafts.COOKIE) or ""
    found = _draft_answers(request, db)
    db.commit()
    if found is None:
        return RedirectResponse("/screen", status_code=303)
    draft, answers, _ = found
    base = s.clinic.base_url or str(request.base_url).rstrip("/")
    link = f"{base}/resume/{token}"
    until = written_time(draft.expires_at, s.clinic.zone)
    email = answers.details.get("email", "")
    emailed = bool(
        email and s.clinic.alerts and not wording.contact_errors({"name": "-", "contact": "0000000", "email": email})
    )
    if emailed:
        drafts.send_resume_link(s.clinic, os.environ.get("SCREENING_SMTP_PASSWORD"), email, link, until)
    return page(request, "screen_saved.html.j2", link=link, until=until, emailed=emailed, step=draft.step)


@router.get("/resume/{token}")
def resume(request: Request, token: str, db: Session = Depends(database)) -> Response:
    draft = drafts.load_draft(db, token)
    db.commit()
    if draft is None:
        raise HTTPException(404, "This link has expired or is not valid. Please start the questions again.")
    moved = RedirectResponse(f"/screen/step/{draft.step}", status_code=303)
    moved.set_cookie(
        drafts.COOKIE,
        token,
        max_age=int(drafts.KEEP_FOR.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return moved


@router.get("/result/{submission_id}/{token}")
def result(request: Request, submission_id: str, token: str, db: Session = Depends(database)) -> Response:
    s = services(request)
    row = _checked(s, db, submission_id, token)
    try:
        assessment = assessment_of(db, row, s.definition)
    except RebuildError:  # this version cannot rebuild it: never a bare error page for a patient
        phone = f" on {s.clinic.phone}" if s.clinic.phone else ""
        raise HTTPException(
            409,
            f"Your result cannot be shown just now. Please contact the clinic{phone}. If you have a headache with "
            "any warning sign (sudden and severe, weakness, numbness, slurred speech, loss of sight, a fit, fever "
            "with a stiff neck or rash, or confusion), call 999 now.",
        ) from None
    expires = row.created_at + s.settings.result_link_valid_for
    return page(
        request,
        "result.html.j2",
        row=row,
        assessment=assessment,
        emergency=assessment.disposition is Disposition.EMERGENCY,
        unsure=assessment.next_step.checks_undecided_flags,
        neck=wording.NECK_PATTERN[assessment.likelihood.grade],
        reference=reference_number(row.id),
        clinic_tel=re.sub(r"[^0-9+]", "", s.clinic.phone or ""),
        pdf_url=f"/result/{row.id}/{token}/summary.pdf",
        expires_text=written_time(expires, s.clinic.zone),
    )


def reference_number(submission_id: str) -> str:
    """What the patient quotes to the clinic: the first 8 characters of the submission id, in capitals."""
    return submission_id[:8].upper()


@router.get("/result/{submission_id}/{token}/summary.pdf")
def result_pdf(request: Request, submission_id: str, token: str, db: Session = Depends(database)) -> Response:
    s = services(request)
    row = _checked(s, db, submission_id, token)
    return patient_summary_download(
        s, db, row, "This summary was made with an older questionnaire; ask the clinic for it."
    )


def _checked(s: Services, db: Session, submission_id: str, token: str) -> Submission:
    """The submission behind a result link, if the token is right and the link has not expired."""
    row = find_submission(db, submission_id)
    if row is None or row.channel != "web" or not token_matches(s.settings.secret_key, row.id, token):
        raise HTTPException(404, "This link is not valid. Check that you copied all of it.")
    if datetime.now(UTC) > row.created_at + s.settings.result_link_valid_for:
        raise HTTPException(410, "This link has expired. The clinic still has your answers.")
    return row


def _limit(limiter: SharedRateLimiter, request: Request) -> None:
    """Refuse (429) a client address over its limit; the page says what to do if the answers were an emergency."""
    if not limiter.allow(_client(request)):
        raise HTTPException(
            429,
            "Too many answers have been sent from this address. Please wait a minute and try again. Your answers "
            "on this page were not saved. If you have a headache with any warning sign (sudden and severe, "
            "weakness, numbness, slurred speech, loss of sight, a fit, fever with a stiff neck or rash, or "
            "confusion), call 999 now.",
        )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
