"""Plain-text renderings for the terminal: the questionnaire as read aloud, and a result summary."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Literal

from .assessment import AnswerRead, Assessment
from .labels import outcome_label

if TYPE_CHECKING:
    from .definition import Definition

Audience = Literal["patient", "staff"]
WIDTH = 100


def outcome_words(assessment: Assessment) -> str:
    """The outcome's headline; a same-day check when only red flags not ruled out set the level."""
    return outcome_label(assessment).headline


def _wrap(text: str, indent: str, hang: str | None = None) -> str:
    return textwrap.fill(
        " ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent if hang is None else hang
    )


def render_questions(definition: Definition, audience: Audience = "patient") -> str:
    """The questionnaire as readable text, in patient or staff wording."""
    from .conditions import describe  # the definition format's models: not needed to print a result
    from .model import DisplayItem

    q = definition.questionnaire
    out = [f"{q.title} (version {q.version}, {audience} wording)", ""]
    number = 0
    for section in q.sections:
        out += [section.title.upper(), ""]
        intro = (section.staff_intro or section.intro) if audience == "staff" else section.intro
        if intro:
            out += [_wrap(intro, "  "), ""]
        for item in section.items:
            wording = item.staff if audience == "staff" else item.patient
            if isinstance(item, DisplayItem):
                out.append(_wrap(wording, "  "))
                if audience == "staff" and item.staff_help:
                    out.append(_wrap(f"Note: {item.staff_help}", "     "))
            else:
                number += 1
                mark = " *" if item.required else ""
                out.append(_wrap(f"{number}. {wording}{mark}", "  ", "     "))
                out.append(f"     [{item.id}] {_answer_hint(item)}")
                if audience == "staff" and item.staff_help:
                    out.append(_wrap(f"Note: {item.staff_help}", "     "))
                elif item.help:
                    out.append(_wrap(f"Help: {item.help}", "     "))
            if item.enable_when is not None:
                out.append(_wrap(f"(asked only if {describe(item.enable_when)})", "     "))
            out.append("")
    out.append("* required")
    return "\n".join(out) + "\n"


def _answer_hint(item: object) -> str:
    from .model import IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, TextItem, YesNoItem

    if isinstance(item, YesNoItem):
        return "yes / no / not sure" if item.allow_not_sure else "yes / no"
    if isinstance(item, SingleChoiceItem):
        return "one of: " + "; ".join(f"{o.code} = {o.label}" for o in item.options)
    if isinstance(item, MultiChoiceItem):
        return "any of: " + "; ".join(f"{o.code} = {o.label}" for o in item.options)
    if isinstance(item, IntegerItem):
        return f"whole number {item.min}–{item.max} {item.unit}"
    if isinstance(item, ScaleItem):
        return f"scale {item.min} ({item.min_label}) to {item.max} ({item.max_label})"
    if isinstance(item, TextItem):
        return f"free text, up to {item.max_length} characters"
    return ""


def format_answer(read: AnswerRead) -> str:
    if read.status == "answered":
        answer = read.answer
        return ", ".join(answer) if isinstance(answer, tuple) else str(answer)
    return read.status.replace("_", " ")


def render_summary(assessment: Assessment, audience: Audience = "staff") -> str:
    """A readable result: what to do now first, then why."""
    a = assessment
    step = a.next_step
    out = [
        f"OUTCOME: {outcome_words(a)} ({a.disposition.value}) — {step.title}",
        _wrap(step.staff if audience == "staff" else step.patient, "  "),
        _wrap(f"When: {step.time_frame}", "  "),
        "",
    ]
    if a.red_flags:
        out.append("Red flags raised:")
        for flag in a.red_flags:
            reads = "; ".join(f"{r.item} = {format_answer(r)}" for r in flag.answers if r.status == "answered")
            message = flag.staff_message if audience == "staff" else flag.patient_message
            out += [_wrap(f"! [{flag.urgency}] {flag.title}", "  ", "      "), _wrap(message, "      ")]
            if reads:
                out.append(_wrap(f"answers: {reads}", "      "))
        out.append("")
    if a.to_check:
        out.append("Must be checked (answered 'not sure' or not answered):")
        for flag in a.to_check:
            open_items = ", ".join(
                r.item for r in flag.answers if r.status in ("not_sure", "unanswered", "not_decided")
            )
            out.append(_wrap(f"? [{flag.urgency}] {flag.title} — ask about: {open_items}", "  "))
        out.append("")
    lk = a.likelihood
    out.append(
        f"Neck-related (cervicogenic) features: {lk.grade.value.replace('_', ' ')} — "
        f"{lk.points} of {lk.maximum} points" + (f" ({lk.unknown_points} unknown)" if lk.unknown_points else "")
    )
    if lk.capped_by:
        out.append(f"  grade limited by: {', '.join(lk.capped_by)}")
    marks = {"met": "[x]", "not_met": "[ ]", "unknown": "[?]"}
    for feature in a.features:
        out.append(
            _wrap(f"{marks[feature.status]} {feature.title} (+{feature.weight}; {feature.criterion})", "  ", "      ")
        )
    out.append("")
    if a.differentials:
        out.append("Other headache types to consider:")
        for diff in a.differentials:
            out.append(_wrap(f"- {diff.title}: {'; '.join(diff.reasons)}", "  ", "    "))
        out.append("")
    if a.missing:
        out.append("Questions that could change the result:")
        for missing in a.missing:
            out.append(_wrap(f"- {missing.item} ({missing.status.replace('_', ' ')})", "  "))
        out.append("")
    p = a.provenance
    out.append(
        f"Rules: {p.questionnaire_id} {p.questionnaire_version} (sha256 {p.questionnaire_sha256[:12]}), "
        f"{p.ruleset_id} {p.ruleset_version} (sha256 {p.ruleset_sha256[:12]}), engine {p.engine_version}"
    )
    out.append(_wrap(a.statement, ""))
    return "\n".join(out) + "\n"
