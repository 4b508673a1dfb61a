"""A checked questionnaire and ruleset, compiled once into what the scorer needs at run time.

A ``Definition`` is made by ``compiler.compile_definition``. What scoring reads (the rules as typed records, the
policy, each item's accepted answers, the generated scorer) is plain data, so a stored definition is taken back
and scored without building the definition format's pydantic models; the questionnaire and ruleset themselves,
their items and the interpreted conditions are built on first use.
"""

from __future__ import annotations

import marshal
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from .answers import AnswerSpec, Checker, checker_for
from .assessment import NextStep, Provenance, RuleKind
from .compiled import CompiledScorer, ScorerSource, build_scorer
from .kinds import NOT_APPLICABLE, UNKNOWN, Disposition, Likelihood, Truth, Urgency

if TYPE_CHECKING:
    from .conditions import Evaluator
    from .model import Condition, Item, Questionnaire, Ruleset


@dataclass(frozen=True, slots=True)
class FindingRule:
    """A named fact derived from answers, read by other rules."""

    kind: ClassVar[RuleKind] = "finding"
    id: str
    title: str
    items: tuple[str, ...]  # questions its condition reads directly
    findings: tuple[str, ...]  # findings its condition reads


@dataclass(frozen=True, slots=True)
class RedFlagRule:
    kind: ClassVar[RuleKind] = "red_flag"
    id: str
    title: str
    urgency: Urgency
    patient_message: str
    staff_message: str
    source: str
    items: tuple[str, ...]
    findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeatureRule:
    kind: ClassVar[RuleKind] = "feature"
    id: str
    title: str
    weight: int
    criterion: str
    source: str
    items: tuple[str, ...]
    findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DifferentialRule:
    kind: ClassVar[RuleKind] = "differential"
    id: str
    title: str
    staff_message: str
    patient_message: str
    source: str
    floor: Urgency | None  # the disposition is at least this whenever the pattern is present
    floor_when_unlikely: Urgency | None  # ... or only when a neck origin is unlikely
    items: tuple[str, ...]
    findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CapRule:
    kind: ClassVar[RuleKind] = "grade_cap"
    id: str
    title: str
    at_most: Likelihood
    items: tuple[str, ...]
    findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GradingRule:
    """The grading's own condition (``likely_requires``), named so it can appear in explanations."""

    kind: ClassVar[RuleKind] = "grading"
    id: str
    title: str
    items: tuple[str, ...]
    findings: tuple[str, ...]


Rule = FindingRule | RedFlagRule | FeatureRule | DifferentialRule | CapRule | GradingRule


@dataclass(frozen=True, slots=True)
class Policy:
    """The ruleset's grading thresholds and disposition policy, as the scorer reads them."""

    by_likelihood: dict[Likelihood, Disposition]
    when_red_flag_unsure: dict[Urgency, Disposition]
    next_steps: dict[Disposition, NextStep]
    unsure_step: NextStep | None  # instead of next_steps[...] when the outcome rests only on flags not ruled out
    likely_at: int
    possible_at: int
    insufficient_when_unknown_at_least: int
    maximum: int  # every feature's weight added up
    statement: str  # the screening-not-diagnosis statement shown with every result


_NO_FINDINGS: Mapping[str, Truth] = {}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: it is compiled once and shared
class Definition:
    """A questionnaire paired with its ruleset, both already checked (see ``loader.load_definition``)."""

    questionnaire_sha256: str
    ruleset_sha256: str
    questionnaire_file: str
    ruleset_file: str
    models: tuple[Questionnaire, Ruleset] | bytes = field(repr=False)  # bytes: pickled, built on first use
    provenance: Provenance
    policy: Policy
    findings: tuple[FindingRule, ...]  # each after the findings it reads
    red_flags: tuple[RedFlagRule, ...]
    features: tuple[FeatureRule, ...]
    differentials: tuple[DifferentialRule, ...]
    caps: tuple[CapRule, ...]
    likely_requires: GradingRule | None
    answer_specs: dict[str, AnswerSpec]  # item id -> what it accepts, every item in the order asked
    reads_all: dict[str, tuple[str, ...]]  # rule id -> items read, also through findings
    finding_titles: dict[str, str]
    descriptions: dict[str, str]  # differential id -> readable condition
    position: dict[str, int]  # item id -> order asked
    slot: dict[str, int]  # item id -> its place in ``order`` (and in an Evaluation), each after what it reads
    ungated: tuple[str, ...]  # items always shown
    plain_answers: dict[str, frozenset[Any]]  # item id -> every valid str/int answer
    wording: dict[str, tuple[str, str]]  # item id -> (patient, staff) wording
    required: tuple[str, ...]  # questions that must be answered when shown
    multi_choice: tuple[str, ...]  # ungated multiple-choice items (answers become sets)
    scorer: CompiledScorer  # every rule as one generated function

    # -- the definition format's models, built on first use --------------------------------------------------

    @cached_property
    def _models(self) -> tuple[Questionnaire, Ruleset]:
        models = self.models
        if isinstance(models, bytes):
            loaded: tuple[Questionnaire, Ruleset] = pickle.loads(models)  # written by __getstate__ below
            return loaded
        return models

    @property
    def questionnaire(self) -> Questionnaire:
        return self._models[0]

    @property
    def ruleset(self) -> Ruleset:
        return self._models[1]

    @cached_property
    def items(self) -> dict[str, Item]:
        return {item.id: item for item in self.questionnaire.items()}

    @cached_property
    def order(self) -> tuple[tuple[str, Evaluator | None], ...]:
        """Item ids, each after every item its ``enable_when`` reads, with that condition compiled."""
        from .conditions import compile_condition

        items = self.items
        return tuple(
            (i, compile_condition(gate) if (gate := items[i].enable_when) is not None else None) for i in self.slot
        )

    @cached_property
    def gated(self) -> tuple[tuple[str, Evaluator], ...]:
        """The items not always shown, each after what it reads."""
        return tuple((i, gate) for i, gate in self.order if gate is not None)

    @cached_property
    def _conditions(self) -> dict[tuple[str, str], Condition]:
        r = self.ruleset
        found: dict[tuple[str, str], Condition] = {("finding", f.id): f.condition for f in r.findings}
        found.update({("red_flag", f.id): f.condition for f in r.red_flags})
        found.update({("feature", f.id): f.condition for f in r.features})
        found.update({("differential", d.id): d.condition for d in r.differentials})
        found.update({("grade_cap", c.id): c.when for c in r.grading.caps})
        if self.likely_requires is not None and r.grading.likely_requires is not None:
            found["grading", self.likely_requires.id] = r.grading.likely_requires
        return found

    @cached_property
    def _evaluators(self) -> dict[tuple[str, str], Evaluator]:
        from .conditions import compile_condition

        return {key: compile_condition(condition) for key, condition in self._conditions.items()}

    def condition(self, rule: Rule) -> Condition:
        """The rule's condition as written in the ruleset."""
        return self._conditions[rule.kind, rule.id]

    def evaluator(self, rule: Rule) -> Evaluator:
        """The rule's condition compiled on its own (the interpreted scorer and the emergency alerts use it)."""
        return self._evaluators[rule.kind, rule.id]

    @cached_property
    def checkers(self) -> dict[str, Checker | None]:
        return {i: checker_for(spec) for i, spec in self.answer_specs.items()}

    @cached_property
    def answerable(self) -> tuple[str, ...]:
        """The ids of every item that takes an answer (not display text), in questionnaire order."""
        return tuple(i for i, spec in self.answer_specs.items() if spec.kind != "display")

    def is_answerable(self, item_id: str) -> bool:
        return self.answer_specs[item_id].kind != "display"

    def effective_values(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Truth]]:
        """Each item's value as rules see it, and whether it is shown (true/false/unknown)."""
        get = answers.get
        values = {item_id: get(item_id, UNKNOWN) for item_id in self.ungated}
        for item_id in self.multi_choice:
            if item_id in answers:
                values[item_id] = frozenset(answers[item_id])
        shown: dict[str, Truth] = dict.fromkeys(self.ungated, True)
        for item_id, enable in self.gated:
            is_shown = shown[item_id] = enable(values, _NO_FINDINGS)
            if is_shown is True:
                answer = get(item_id, UNKNOWN)
                values[item_id] = frozenset(answer) if isinstance(answer, list | tuple) else answer
            else:
                values[item_id] = NOT_APPLICABLE if is_shown is False else UNKNOWN
        return values, shown

    # -- kept on disk by ``screening.stored`` ------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        if not isinstance(self.models, bytes):
            state["models"] = pickle.dumps(self.models, protocol=pickle.HIGHEST_PROTOCOL)
        s = self.scorer
        state["scorer"] = (s.source, s.constants, s.rules, marshal.dumps(s.code))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        source, constants, rules, code = state["scorer"]
        key = (state["questionnaire_sha256"], state["ruleset_sha256"])
        scorer = build_scorer(key, ScorerSource(source, constants, rules), marshal.loads(code))
        self.__dict__.update(state, scorer=scorer)  # frozen: filled in once, as __init__ would
