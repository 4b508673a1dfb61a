"""What outcomes, urgencies and grades are called wherever they are shown: one table, a column per reader.

Staff pages and alert e-mails use the short words, the terminal shouts a headline, the referral letter has its
own badge and a sentence for the doctor who reads it. Change a label here and every place follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from .assessment import Assessment
from .kinds import NO, NOT_SURE, YES, Disposition, Likelihood


@dataclass(frozen=True, slots=True)
class DispositionLabel:
    """The names of one outcome, one per place it is shown."""

    words: str  # staff pages, the queue and alert e-mails
    headline: str  # the terminal's result line, in capitals
    badge: str  # the referral letter's badge
    icon: str  # beside the letter's badge
    next_step: str  # the letter's next step, as the doctor reading it would put it
    ask: str  # what the letter asks of that doctor; nothing is booked by the screening itself


DISPOSITION_LABELS: dict[Disposition, DispositionLabel] = {
    Disposition.EMERGENCY: DispositionLabel(
        words="Emergency",
        headline="EMERGENCY",
        badge="EMERGENCY",
        icon="!!",
        next_step="Send to hospital now (999 / A&E)",
        ask="The patient has been told to call 999 or go to A&E now. If they contact you instead, please arrange "
        "emergency assessment for the red flags below. Physiotherapy has not started.",
    ),
    Disposition.URGENT_GP: DispositionLabel(
        words="Urgent GP",
        headline="URGENT GP",
        badge="URGENT",
        icon="!",
        next_step="Same-day medical assessment",
        ask="Please see the patient today for the red flags below, and tell us whether physiotherapy is "
        "appropriate. Physiotherapy is on hold until then.",
    ),
    Disposition.ROUTINE_GP: DispositionLabel(
        words="Routine GP",
        headline="ROUTINE GP",
        badge="GP REVIEW",
        icon="GP",
        next_step="Routine GP review",
        ask="Please review the patient within about 1–2 weeks (the cause of the headaches and/or the medicines, "
        "as listed below), and tell us whether physiotherapy can go ahead.",
    ),
    Disposition.PHYSIO_ASSESSMENT: DispositionLabel(
        words="Physio assessment",
        headline="PHYSIOTHERAPY ASSESSMENT",
        badge="PHYSIOTHERAPY",
        icon="✓",
        next_step="Suitable for physiotherapy assessment",
        ask="No action is needed: this is for your information. No red flags were raised; the patient has been "
        "advised to book a physiotherapy assessment, where the neck will be examined.",
    ),
    Disposition.SELF_CARE: DispositionLabel(
        words="Self-care",
        headline="SELF-CARE",
        badge="SELF-CARE",
        icon="✓",
        next_step="Self-care with safety-netting",
        ask="No action is needed now: this is for your information. The patient was given self-care and "
        "safety-net advice, and told to see you if the headaches persist.",
    ),
}


def disposition_words(value: str) -> str:
    """The short words for a stored disposition value (the value itself when it names none)."""
    try:
        return DISPOSITION_LABELS[Disposition(value)].words
    except ValueError:
        return value


# The outcome when only red flags that could not be ruled out set its level: the clinic checks them the same day.
SAME_DAY_CHECK = "SAME-DAY CHECK"
SAME_DAY_NEXT_STEP = "Same-day check of safety answers that could not be ruled out"
SAME_DAY_ASK = (
    "Some warning signs could not be ruled out (the answers were “not sure”; they are listed below). The clinic's "
    "clinician will phone the patient today to check them, and physiotherapy is on hold until then. No action is "
    "needed from you unless the patient contacts you."
)


def outcome_label(assessment: Assessment) -> DispositionLabel:
    """The labels of the assessment's outcome; a same-day check when only red flags not ruled out set the level."""
    label = DISPOSITION_LABELS[assessment.disposition]
    if not assessment.next_step.checks_undecided_flags:
        return label
    return DispositionLabel(
        words="Same-day check",
        headline=SAME_DAY_CHECK,
        badge=SAME_DAY_CHECK,
        icon=label.icon,
        next_step=SAME_DAY_NEXT_STEP,
        ask=SAME_DAY_ASK,
    )


# How urgent a raised red flag is, as the letter and the terminal name it
URGENCY_LABELS = {"emergency": "Emergency", "urgent_gp": "Urgent (same day)", "routine_gp": "Routine GP"}

GRADE_LABELS = {
    Likelihood.LIKELY.value: "Likely",
    Likelihood.POSSIBLE.value: "Possible",
    Likelihood.UNLIKELY.value: "Unlikely",
    Likelihood.INSUFFICIENT_INFORMATION.value: "Insufficient information",
}

# A yes/no question's answers in words: on pages, in the letter, at the terminal and in FHIR codings
YES_NO_WORDS = {YES: "Yes", NO: "No", NOT_SURE: "Not sure"}
