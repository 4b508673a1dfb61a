"""``compile_definition``: a checked questionnaire and ruleset turned into the ``Definition`` the scorer reads.

Everything that depends only on the definition is worked out here, once: the order questions and findings are
evaluated in, each rule as a typed record with what it reads, each item's accepted answers, the disposition
policy, and the generated scorer (``screening.codegen``).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .answers import answer_spec
from .assessment import NextStep, Provenance
from .codegen import RuleSource, generate_source
from .compiled import build_scorer, cached_scorer
from .conditions import describe, findings_read, items_read
from .definition import (
    CapRule,
    Definition,
    DifferentialRule,
    FeatureRule,
    FindingRule,
    GradingRule,
    Policy,
    RedFlagRule,
    Rule,
)
from .kinds import Likelihood
from .model import (
    Condition,
    DisplayItem,
    DispositionText,
    Finding,
    IntegerItem,
    Item,
    MultiChoiceItem,
    Questionnaire,
    Ruleset,
    ScaleItem,
    SingleChoiceItem,
    YesNoItem,
)

LIKELY_REQUIRES = ("likely_requires", "Core neck criterion needed for 'likely'")


def compile_definition(
    questionnaire: Questionnaire,
    ruleset: Ruleset,
    questionnaire_sha256: str,
    ruleset_sha256: str,
    questionnaire_file: str = "<questionnaire>",
    ruleset_file: str = "<ruleset>",
) -> Definition:
    """The definition of a questionnaire and ruleset that passed every check (see ``loader.load_definition``)."""
    q, r = questionnaire, ruleset
    items = {item.id: item for item in q.items()}
    in_order = finding_order(r)
    findings = tuple(FindingRule(f.id, f.title, *_reads(f.condition)) for f in in_order)
    red_flags = tuple(
        RedFlagRule(f.id, f.title, f.urgency, f.patient_message, f.staff_message, f.source, *_reads(f.condition))
        for f in r.red_flags
    )
    features = tuple(
        FeatureRule(f.id, f.title, f.weight, f.criterion, f.source, *_reads(f.condition)) for f in r.features
    )
    differentials = tuple(
        DifferentialRule(
            d.id,
            d.title,
            d.staff_message,
            d.patient_message,
            d.source,
            d.floor,
            d.floor_when_unlikely,
            *_reads(d.condition),
        )
        for d in r.differentials
    )
    caps = tuple(CapRule(c.id, c.title, Likelihood(c.at_most), *_reads(c.when)) for c in r.grading.caps)
    requires = r.grading.likely_requires
    likely_requires = GradingRule(*LIKELY_REQUIRES, *_reads(requires)) if requires is not None else None

    order = enablement_order(q)
    ungated = tuple(i for i in order if items[i].enable_when is None)
    required = tuple(i for i, it in items.items() if not isinstance(it, DisplayItem) and it.required)
    multi_choice = tuple(i for i in ungated if isinstance(items[i], MultiChoiceItem))
    rules: list[RuleSource] = [RuleSource("finding", f.id, f.condition) for f in in_order]
    rules += [RuleSource("red_flag", f.id, f.condition) for f in r.red_flags]
    rules += [RuleSource("feature", f.id, f.condition, f.weight) for f in r.features]
    if requires is not None:
        rules.append(RuleSource("grading", LIKELY_REQUIRES[0], requires))
    rules += [RuleSource("grade_cap", c.id, c.when) for c in r.grading.caps]
    rules += [RuleSource("differential", d.id, d.condition) for d in r.differentials]
    key = (questionnaire_sha256, ruleset_sha256)
    scorer = cached_scorer(key) or build_scorer(
        key, generate_source([(i, items[i].enable_when) for i in order], rules, multi_choice, required)
    )

    every_rule: tuple[Rule, ...] = (*findings, *red_flags, *features, *differentials, *caps)
    by_finding = {f.id: f for f in findings}
    policy = r.disposition
    return Definition(
        questionnaire_sha256=questionnaire_sha256,
        ruleset_sha256=ruleset_sha256,
        questionnaire_file=questionnaire_file,
        ruleset_file=ruleset_file,
        models=(q, r),
        provenance=Provenance(q.id, q.version, questionnaire_sha256, r.id, r.version, ruleset_sha256, __version__),
        policy=Policy(
            by_likelihood=dict(policy.by_likelihood),
            when_red_flag_unsure=dict(policy.when_red_flag_unsure),
            next_steps={d: _next_step(t) for d, t in policy.texts.items()},
            unsure_step=_next_step(policy.unsure_text, checks_undecided_flags=True) if policy.unsure_text else None,
            likely_at=r.grading.likely_at,
            possible_at=r.grading.possible_at,
            insufficient_when_unknown_at_least=r.grading.insufficient_when_unknown_at_least,
            maximum=sum(f.weight for f in r.features),
            statement=r.statement,
        ),
        findings=findings,
        red_flags=red_flags,
        features=features,
        differentials=differentials,
        caps=caps,
        likely_requires=likely_requires,
        answer_specs={i: answer_spec(item) for i, item in items.items()},
        reads_all={rule.id: tuple(i for i in items if i in _items_behind(rule, by_finding)) for rule in every_rule},
        finding_titles={f.id: f.title for f in r.findings},
        descriptions={d.id: describe(d.condition) for d in r.differentials},
        position={item_id: k for k, item_id in enumerate(items)},
        slot={item_id: k for k, item_id in enumerate(order)},
        ungated=ungated,
        plain_answers={i: values for i, it in items.items() if (values := plain_answers(it))},
        wording={i: (it.patient, it.staff) for i, it in items.items()},
        required=required,
        multi_choice=multi_choice,
        scorer=scorer,
    )


def _reads(condition: Condition) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The items and findings a condition reads: the two tuples every rule record ends with."""
    return tuple(items_read(condition)), tuple(findings_read(condition))


def _next_step(text: DispositionText, *, checks_undecided_flags: bool = False) -> NextStep:
    return NextStep(text.title, text.patient, text.staff, text.action, text.time_frame, checks_undecided_flags)


def _items_behind(rule: Rule, by_finding: dict[str, FindingRule]) -> set[str]:
    """Every item the rule reads, directly or through findings."""
    seen: set[str] = set()
    result: set[str] = set()
    stack = [rule]
    while stack:
        current = stack.pop()
        result.update(current.items)
        for fid in current.findings:
            if fid not in seen and fid in by_finding:
                seen.add(fid)
                stack.append(by_finding[fid])
    return result


def plain_answers(item: Item) -> frozenset[Any]:
    """The answers to an item that are a plain string or whole number, when there are few enough to list."""
    if isinstance(item, YesNoItem | SingleChoiceItem):
        return frozenset(item.codes)
    if isinstance(item, IntegerItem | ScaleItem) and item.max - item.min <= 1000:
        return frozenset(range(item.min, item.max + 1))
    return frozenset()


def enablement_order(q: Questionnaire) -> list[str]:
    """Item ids ordered so each item comes after every item its ``enable_when`` reads (stable)."""
    items = q.items()
    deps = {i.id: items_read(i.enable_when) if i.enable_when else [] for i in items}
    return _topological([i.id for i in items], deps)


def finding_order(r: Ruleset) -> list[Finding]:
    by_id = {f.id: f for f in r.findings}
    deps = {f.id: findings_read(f.condition) for f in r.findings}
    return [by_id[i] for i in _topological(list(by_id), deps)]


def _topological(ids: list[str], deps: dict[str, list[str]]) -> list[str]:
    """Depth-first order that keeps the written order where it can; ignores unknown ids and cycles."""
    done: set[str] = set()
    visiting: set[str] = set()
    out: list[str] = []

    def visit(node: str) -> None:
        if node in done or node in visiting:
            return
        visiting.add(node)
        for dep in deps.get(node, []):
            if dep in deps:
                visit(dep)
        visiting.discard(node)
        done.add(node)
        out.append(node)

    for node in ids:
        visit(node)
    return out
