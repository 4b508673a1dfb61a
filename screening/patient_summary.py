"""The patient's own summary: their answers in their words, the outcome, what to do next and when to get help.

No rule names, criteria codes or differential diagnoses: those belong in the clinician's referral.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .assessment import Assessment
from .clinic import ClinicSettings
from .definition import Definition
from .model import Disposition
from .referral import answer_text, local_time
from .response import Response
from .wording import NECK_PATTERN

# What to do next, in the patient's words; the ruleset's own patient text comes first.
NEXT = {
    Disposition.EMERGENCY: "Call 999 now, or go to A&E. Do not wait for a call from the clinic, and do not drive "
    "yourself.",
    Disposition.URGENT_GP: "Speak to a doctor today: your GP surgery, or NHS 111 if it is closed. Take this summary.",
    Disposition.ROUTINE_GP: "Book an appointment with your GP in the next week or two, and take this summary with you.",
    Disposition.PHYSIO_ASSESSMENT: "Book your free discovery call with the clinic, who will arrange a physiotherapy "
    "assessment of your neck.",
    Disposition.SELF_CARE: "Look after yourself as described below, and see your GP if the headaches keep coming "
    "back or get in the way of daily life. You can still book a call with the clinic.",
}
SAFETY_NET = (
    "Call 999 if a headache comes on suddenly and severely, or you get new weakness or numbness, slurred speech, "
    "loss of sight, a fit, confusion or drowsiness, or a high temperature with a stiff neck or a rash.",
    "Call NHS 111 or your GP if your headaches get steadily worse, change in pattern, wake you from sleep, or you "
    "feel unwell with them.",
)


def patient_view(
    definition: Definition,
    response: Response,
    assessment: Assessment,
    clinic: ClinicSettings,
    generated_at: datetime,
    reference: str = "",
) -> dict[str, Any]:
    """Everything the patient summary shows, in display order."""
    step = assessment.next_step
    unsure = step.checks_undecided_flags
    sections = []
    for section in definition.questionnaire.sections:
        rows = [
            (definition.wording[read.item][0], answer_text(definition, read))
            for read in assessment.answers
            if read.item in {item.id for item in section.items} and read.status in ("answered", "not_sure")
        ]
        if rows:
            sections.append((section.title, rows))
    open_questions = list(
        dict.fromkeys(
            read.item
            for flag in assessment.to_check
            for read in flag.answers
            if read.status in ("not_sure", "unanswered")
        )
    )
    return {
        "title": "Your headache screening summary",
        "reference": reference,
        "clinic": clinic,
        "patient": response.patient,
        "generated_at": generated_at,
        "generated_text": local_time(generated_at, clinic.zone),
        "answered_text": local_time(response.collected_at, clinic.zone),
        "kind": assessment.disposition.value,
        "step": step,
        "next": "A clinician from the clinic will phone you today to go through some of your answers."
        if unsure
        else NEXT[assessment.disposition],
        "reasons": [flag.patient_message for flag in assessment.red_flags],
        "open_questions": [definition.wording[item][0] for item in open_questions],
        "neck": NECK_PATTERN[assessment.likelihood.grade][1] if not assessment.red_flags and not unsure else "",
        "safety_net": SAFETY_NET,
        "sections": sections,
        "statement": assessment.statement,
        "provenance": assessment.provenance,
    }
