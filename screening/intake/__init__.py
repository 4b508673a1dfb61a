"""Terminal intake for reception: read the questions aloud one at a time, then save the response and the PDF.

Staff wording throughout. ``prompts`` draws the terminal, ``checks`` refuses answers that cannot stand,
``interview`` asks the questions (and confirms an emergency before it stops them), ``drafts`` keeps an
intake in progress, and ``session`` runs one intake from start to saved files.
"""

from __future__ import annotations

from .drafts import Draft, IntakeError, draft_json, load_draft
from .prompts import Terminal
from .session import conduct_intake, run_intake

__all__ = ["Draft", "IntakeError", "Terminal", "conduct_intake", "draft_json", "load_draft", "run_intake"]
