"""What the referral says: one assessment turned into the letter (page 1) and its appendix, ready for the template.

Everything a reader sees is worked out here, so the template stays plain and the layout cheap to draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .assessment import AnswerRead, Assessment
from .definition import Definition
from .labels import GRADE_LABELS, URGENCY_LABELS, YES_NO_WORDS, outcome_label
from .model import DisplayItem, Ge, IntegerItem, MultiChoiceItem, ScaleItem, SingleChoiceItem, YesNoItem
from .response import Response

if TYPE_CHECKING:
    from .clinic import ClinicSettings

STATUS_LABELS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
RESULT_WORDS = {"true": "yes", "false": "no", "unknown": "unknown"}
ANSWER_LABELS = {
    "not_sure": "Not sure",
    "unanswered": "No answer",
    "not_decided": "Not asked (depends on an unanswered question)",
    "not_shown": "Not asked (did not apply)",
}


@dataclass(frozen=True)
class AnswerRow:
    question: str
    answer: str
    status: str


@dataclass(frozen=True)
class SectionView:
    title: str
    rows: list[AnswerRow]
    not_asked: list[str]


@dataclass(frozen=True)
class MedicationRow:
    label: str
    days: str
    threshold: int
    over: bool
    reported: int | None  # the number answered, if any


def answer_text(definition: Definition, read: AnswerRead) -> str:
    """An answer in words: option labels rather than codes, numbers with their unit."""
    if read.status != "answered":
        return ANSWER_LABELS[read.status]
    item = definition.items[read.item]
    value = read.answer
    if isinstance(item, YesNoItem):
        return YES_NO_WORDS.get(str(value), str(value))
    if isinstance(item, SingleChoiceItem | MultiChoiceItem):
        labels = {o.code: o.label for o in item.options}
        codes = value if isinstance(value, tuple) else (value,)
        return "; ".join(labels.get(str(c), str(c)) for c in codes)
    if isinstance(item, IntegerItem):
        return f"{value} {_singular(item.unit) if value == 1 else item.unit}"
    if isinstance(item, ScaleItem):
        return f"{value} out of {item.max}"
    return str(value)


def _singular(unit: str) -> str:
    """'days a month' -> 'day a month', 'years' -> 'year' (for an answer of exactly 1)."""
    first, _, rest = unit.partition(" ")
    return " ".join(filter(None, (first.removesuffix("s"), rest)))


def _question(definition: Definition, item_id: str, respondent: str) -> str:
    patient, staff = definition.wording[item_id]
    return staff if respondent == "staff" else patient


def _sections(definition: Definition, reads: Mapping[str, AnswerRead], respondent: str) -> list[SectionView]:
    views = []
    for section in definition.questionnaire.sections:
        rows: list[AnswerRow] = []
        not_asked: list[str] = []
        for item in section.items:
            if isinstance(item, DisplayItem):
                continue
            read = reads[item.id]
            question = _question(definition, item.id, respondent)
            if read.status in ("not_shown", "not_decided"):
                not_asked.append(question)
            else:
                rows.append(AnswerRow(question, answer_text(definition, read), read.status))
        views.append(SectionView(section.title, rows, not_asked))
    return views


def _medication_rows(definition: Definition, reads: Mapping[str, AnswerRead]) -> list[MedicationRow]:
    """Reported medicine days next to the overuse threshold that the ruleset's findings use for them."""
    thresholds: dict[str, tuple[str, int]] = {}
    for finding in definition.ruleset.findings:
        cond = finding.condition
        if isinstance(cond, Ge) and isinstance(definition.items.get(cond.ge.item), IntegerItem):
            thresholds.setdefault(cond.ge.item, (finding.title, cond.ge.value))
    rows = []
    for item_id, (title, threshold) in thresholds.items():
        item = definition.items[item_id]
        if not isinstance(item, IntegerItem) or "day" not in item.unit or item_id not in reads:
            continue
        read = reads[item_id]
        if read.status == "not_shown":
            continue
        days = read.answer if read.status == "answered" and isinstance(read.answer, int) else None
        over = days is not None and days >= threshold
        rows.append(MedicationRow(title, answer_text(definition, read), threshold, over, days))
    return rows


def pertinent_negatives(definition: Definition, assessment: Assessment) -> str:
    """One sentence of what the answers ruled out, e.g. "No fever or feeling generally unwell; no recent injury."

    Red flags that share a ``negative`` phrase count together: the phrase is said only when every one of them
    was ruled out and every yes/no question behind them that was asked was answered "no" (at least one was). A
    flag raised, not ruled out, or ruled out only by age or an unanswered question keeps its phrase out, so the
    sentence never claims more than the patient said.
    """
    result = {t.id: t.result for t in assessment.explanation if t.kind == "red_flag"}
    reads = {read.item: read for read in assessment.answers}
    groups: dict[str, list[str]] = {}
    for flag in definition.ruleset.red_flags:
        if flag.negative is not None:
            groups.setdefault(flag.negative, []).append(flag.id)
    phrases = []
    for phrase, flags in groups.items():
        asked = [
            reads[i]
            for flag_id in flags
            for i in definition.reads_all[flag_id]
            if isinstance(definition.items[i], YesNoItem) and reads[i].status not in ("not_shown", "not_decided")
        ]
        ruled_out = all(result.get(flag_id) == "false" for flag_id in flags)
        if ruled_out and asked and all(read.status == "answered" and read.answer == "no" for read in asked):
            phrases.append(phrase)
    return ("No " + "; no ".join(phrases) + ".") if phrases else ""


def nhs_number_text(digits: str) -> str:
    """An NHS number the way it is printed on NHS letters: 3 3 4 digits."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment in the clinic's time zone, with the zone's abbreviation (GMT or BST in the UK)."""
    return moment.astimezone(zone).strftime("%d %b %Y, %H:%M %Z")


def completed_by_text(respondent: str, completed_by: str | None) -> str:
    if respondent != "staff":
        return "The patient, online"
    return f"{completed_by} (clinic staff), with the patient" if completed_by else "Clinic staff, with the patient"


def build_view(
    definition: Definition,
    response: Response,
    assessment: Assessment,
    clinic: ClinicSettings,
    generated_at: datetime,
    reference: str = "",
    completed_by: str | None = None,
) -> dict[str, Any]:
    """Everything the referral template shows, in display order.

    ``reference`` (e.g. a submission id) goes into the document title; the patient's name never does, since
    the title is copied into the PDF's metadata, which viewers, indexers and mail previews show and keep.
    ``completed_by`` names the staff member who asked the questions (staff intakes only).
    """
    reads = {read.item: read for read in assessment.answers}

    def answers_of(items: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
        return [
            (_question(definition, i, assessment.respondent), answer_text(definition, reads[i]))
            for i in items
            if reads[i].status not in ("not_shown",)
        ]

    # findings are shown inside the rules that use them, each with its value
    fired = [t for t in assessment.explanation if t.result == "true" and t.kind != "finding"]
    finding_values = {t.id: t.result for t in assessment.explanation if t.kind == "finding"}
    titles = definition.finding_titles
    kind = assessment.disposition.value
    label = outcome_label(assessment)
    patient = response.patient
    medication = _medication_rows(definition, reads)
    likelihood = assessment.likelihood
    caps = [cap.title for cap in definition.ruleset.grading.caps if cap.id in likelihood.capped_by]
    collected = local_time(response.collected_at, clinic.zone)
    born = patient.date_of_birth if patient else None
    identifiers = [
        ("Patient", patient.name if patient and patient.name else "Not given"),
        ("Date of birth", born.strftime("%d %b %Y") if born else "Not given"),
    ]
    if patient and patient.nhs_number:
        identifiers.append(("NHS number", nhs_number_text(patient.nhs_number)))
    if patient and patient.gp_practice:
        identifiers.append(("GP practice", patient.gp_practice))
    identifiers.append(("Contact", patient.contact if patient and patient.contact else "Not given"))
    identifiers.append(("Completed by", f"{completed_by_text(assessment.respondent, completed_by)}, {collected}"))
    return {
        "clinic": clinic,
        "generated_at": generated_at,
        "generated_text": local_time(generated_at, clinic.zone),
        "identifiers": identifiers,
        "patient": patient,
        "respondent": assessment.respondent,
        "assessment": assessment,
        "outcome": {
            "kind": kind,
            "label": label.badge,
            "icon": label.icon,
            "headline": label.next_step,
            "title": assessment.next_step.title,
            "ask": label.ask,
        },
        "urgency_labels": URGENCY_LABELS,
        "grade_label": GRADE_LABELS[likelihood.grade.value],
        "grade_line": f"{GRADE_LABELS[likelihood.grade.value]} ({likelihood.points} of {likelihood.maximum} points"
        + (f"; limited by: {'; '.join(caps)}" if caps else "")
        + ")",
        "caps": caps,
        "status_labels": STATUS_LABELS,
        "red_flags": [
            (flag, answers_of([r.item for r in flag.answers if r.status == "answered"]))
            for flag in assessment.red_flags
        ],
        "to_check": [
            (flag, [(q, a) for q, a in answers_of([r.item for r in flag.answers if r.status != "answered"])])
            for flag in assessment.to_check
        ],
        "negatives": pertinent_negatives(definition, assessment),
        "medication": medication,
        "medication_on_letter": any(row.over or (row.reported or 0) > 0 for row in medication),
        "sections": _sections(definition, reads, assessment.respondent),
        "fired": [
            (
                trace,
                [(titles.get(f, f), RESULT_WORDS[finding_values[f]]) for f in trace.findings],
                answers_of(trace.items),
            )
            for trace in fired
        ],
        "provenance": assessment.provenance,
        "statement": assessment.statement,
        "title": "Headache screening summary",
        "reference": reference,
    }
