"""The pages of patient self-screening, one per step, and the draft that carries the answers between them.

Each step is saved on the server and then shown by a GET, so Back, Forward and reload never re-send a form.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ..assessment import AnswerRead
from ..report import answer_text
from . import drafts, forms
from .deps import Services, page, services

# ---------------------------------------------------------------------------------------------
# save and return: every step is saved server-side and then shown by a GET (post/redirect/get)


def _go(
    request: Request,
    db: Session,
    answers: forms.FormAnswers,
    key: str,
    step: int,
    *,
    check: bool = False,
    added: list[str] | None = None,
    then: str = "",
) -> Response:
    """Save the answers as the patient's draft, then send the browser to the page for ``step`` with a GET."""
    token = request.cookies.get(drafts.COOKIE) or ""
    if drafts.load_draft(db, token) is None:
        token = drafts.new_token()
    drafts.save_draft(db, token, _state(answers, key), step)
    db.commit()
    query = "?check=1" if check else ""
    if added:
        query += f"&added={len(added)}"
    moved = RedirectResponse(then or f"/screen/step/{step}{query}", status_code=303)
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


def _state(answers: forms.FormAnswers, key: str) -> list[tuple[str, str]]:
    """What a draft keeps: every answer as typed (mistakes too, to show them again), the details, the form key."""
    pairs = [(item_id, value) for item_id, values in answers.typed.items() for value in values]
    return [*pairs, *answers.details.items(), ("key", key)]


def _draft_answers(request: Request, db: Session) -> tuple[drafts.Draft, forms.FormAnswers, str] | None:
    draft = drafts.load_draft(db, request.cookies.get(drafts.COOKIE))
    if draft is None:
        return None
    pairs: list[tuple[str, str | UploadFile]] = list(draft.pairs)
    answers = forms.read_form(services(request).definition, FormData(pairs))
    key = next((value for name, value in draft.pairs if name == "key"), "") or uuid.uuid4().hex
    return draft, answers, key


# ---------------------------------------------------------------------------------------------
# pages


CONTACT_STEP = 0  # then one step per section, the details, the review


def _screen(s: Services, step: int) -> forms.Screen:
    """The screen of questions shown at this step (steps 1 to N)."""
    return forms.screens(s.definition)[step - 1]


def _screen_items(s: Services, step: int) -> list[str]:
    return list(_screen(s, step).items)


def _details_step(s: Services) -> int:
    return len(forms.screens(s.definition)) + 1


def _review_step(s: Services) -> int:
    return _details_step(s) + 1


def _has_questions(s: Services, step: int, shown: set[str]) -> bool:
    items = _screen_items(s, step)
    return any(i in shown for i in forms.answerable(s.definition, items))


def _next_step(s: Services, step: int, shown: set[str]) -> int:
    step += 1
    while step < _details_step(s) and not _has_questions(s, step, shown):
        step += 1
    return step


def _previous_step(s: Services, step: int, shown: set[str]) -> int:
    step -= 1
    while CONTACT_STEP < step < _details_step(s) and not _has_questions(s, step, shown):
        step -= 1
    return max(step, CONTACT_STEP)


def _step_page(request: Request, step: int, answers: forms.FormAnswers, key: str) -> Response:
    s = services(request)
    if step == CONTACT_STEP:
        return _contact_page(request, answers, key)
    if step < _details_step(s):
        return _section_page(request, step, answers, key=key)
    if step == _details_step(s):
        return _details_page(request, answers, key)
    return _review_page(request, answers, key)


def _common(request: Request, step: int, answers: forms.FormAnswers, key: str, on_page: set[str]) -> dict[str, Any]:
    s = services(request)
    carried = [
        (item_id, value)
        for item_id, answer in answers.values.items()
        if item_id not in on_page
        for value in (answer if isinstance(answer, list) else [answer])
    ]
    carried += [(k, v) for k, v in answers.details.items() if k not in on_page]
    return {
        "step": step,
        "steps": _review_step(s) + 1,
        "key": key,
        "carried": carried,
    }


CONTACT_FIELDS = {"name", "contact", "email"}


def _contact_page(
    request: Request, answers: forms.FormAnswers, key: str, errors: dict[str, str] | None = None
) -> Response:
    return page(
        request,
        "screen_contact.html.j2",
        answers=answers,
        errors=errors or {},
        **_common(request, CONTACT_STEP, answers, key, CONTACT_FIELDS),
    )


def _section_page(
    request: Request,
    step: int,
    answers: forms.FormAnswers,
    *,
    key: str,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    s = services(request)
    screen = _screen(s, step)
    section = s.definition.questionnaire.sections[screen.section]
    on_page_ids = list(screen.items)
    on_page = set(on_page_ids)
    shown = forms.shown_items(s.definition, answers.values)
    return page(
        request,
        "screen_section.html.j2",
        section=section,
        screen=screen,
        items=[s.definition.items[i] for i in on_page_ids],
        answers=answers,
        errors=errors or {},
        shown=shown,
        seen=" ".join(i for i in forms.answerable(s.definition, on_page_ids) if i in shown),
        notice=notice,
        wording="patient",
        no_phone=not answers.details.get("contact"),
        **_common(request, step, answers, key, on_page),
    )


def _details_page(
    request: Request, answers: forms.FormAnswers, key: str, errors: dict[str, str] | None = None
) -> Response:
    s = services(request)
    return page(
        request,
        "screen_details.html.j2",
        answers=answers,
        errors=errors or {},
        **_common(request, _details_step(s), answers, key, set(forms.DETAILS)),
    )


def _review_page(request: Request, answers: forms.FormAnswers, key: str) -> Response:
    s = services(request)
    shown = forms.shown_items(s.definition, answers.values)
    sections = []
    for index, section in enumerate(s.definition.questionnaire.sections):
        rows = []
        for item_id in forms.answerable(s.definition, [item.id for item in section.items]):
            if item_id not in shown:
                continue
            value = answers.values.get(item_id)
            read = (
                AnswerRead(item_id, "answered", tuple(value) if isinstance(value, list) else value)
                if value is not None
                else AnswerRead(item_id, "unanswered")
            )
            rows.append((s.definition.wording[item_id][0], answer_text(s.definition, read)))
        if rows:
            first = next(n for n, screen in enumerate(forms.screens(s.definition), start=1) if screen.section == index)
            sections.append((first, section.title, rows))
    born = forms.patient_block(answers.details) or {}
    return page(
        request,
        "screen_review.html.j2",
        sections=sections,
        answers=answers,
        born=_long_date(born.get("date_of_birth", "")),
        details_step=_details_step(s),
        **_common(request, _review_step(s), answers, key, set()),
    )


def _long_date(iso: str) -> str:
    """27 March 1980, as GOV.UK writes dates; empty when none was given."""
    return date.fromisoformat(iso).strftime("%-d %B %Y") if iso else ""
