"""Everything about a definition that can be checked before any answer exists.

Each check returns ``Issue``s that name the path inside the YAML document; the loader turns paths into
line numbers. Checks on single conditions live in ``condition_checks``, reachability ("can this ever be true?")
in ``reach``.
"""

from __future__ import annotations

from .condition_checks import Issue as Issue
from .condition_checks import Path_, check_condition
from .error_codes import ErrorCode
from .model import Condition, Item, MultiChoiceItem, Questionnaire, Ruleset, SingleChoiceItem
from .reach import Reach

# ---------------------------------------------------------------------------------------------
# Whole-document checks


def check_questionnaire(q: Questionnaire) -> list[Issue]:
    issues: list[Issue] = []
    items: dict[str, Item] = {}
    seen_sections: set[str] = set()
    where: dict[str, Path_] = {}
    for s, section in enumerate(q.sections):
        spath: Path_ = ("sections", s)
        if section.id in seen_sections:
            issues.append(
                Issue(
                    "questionnaire",
                    (*spath, "id"),
                    f"section '{section.id}'",
                    "duplicate section id",
                    "give each section its own id",
                    code=ErrorCode.DUPLICATE_SECTION,
                )
            )
        seen_sections.add(section.id)
        for k, item in enumerate(section.items):
            ipath: Path_ = (*spath, "items", k)
            if item.id in items:
                issues.append(
                    Issue(
                        "questionnaire",
                        (*ipath, "id"),
                        f"item '{item.id}'",
                        "duplicate item id",
                        "give each item its own id",
                        code=ErrorCode.DUPLICATE_ITEM,
                        first=(*where[item.id], "id"),
                    )
                )
                continue
            items[item.id] = item
            where[item.id] = ipath
            if isinstance(item, SingleChoiceItem | MultiChoiceItem):
                codes: set[str] = set()
                for o, option in enumerate(item.options):
                    if option.code in codes:
                        issues.append(
                            Issue(
                                "questionnaire",
                                (*ipath, "options", o, "code"),
                                f"item '{item.id}'",
                                f"option '{option.code}' is listed twice",
                                "give each option its own code",
                                code=ErrorCode.DUPLICATE_OPTION,
                            )
                        )
                    codes.add(option.code)
                    if option.exclusive and isinstance(item, SingleChoiceItem):
                        issues.append(
                            Issue(
                                "questionnaire",
                                (*ipath, "options", o, "exclusive"),
                                f"item '{item.id}'",
                                "'exclusive' only applies to multiple choice",
                                "remove it",
                                code=ErrorCode.EXCLUSIVE_ON_SINGLE,
                            )
                        )
    for item_id, item in items.items():
        if item.enable_when is not None:
            issues += check_condition(
                item.enable_when, (*where[item_id], "enable_when"), "questionnaire", f"item '{item_id}'", items, None
            )
    issues += _cycles(items, where)
    if not issues:  # reachability needs every reference and comparison to be sound
        reach = Reach(items, {})
        for item_id, item in items.items():
            if item.enable_when is not None and not reach.can_be_true(item.enable_when):
                issues.append(
                    Issue(
                        "questionnaire",
                        (*where[item_id], "enable_when"),
                        f"item '{item_id}'",
                        "can never be shown: no set of answers makes its enable_when true",
                        "fix the condition or remove the item",
                        code=ErrorCode.NEVER_SHOWN,
                    )
                )
    return issues


def _cycles(items: dict[str, Item], where: dict[str, Path_]) -> list[Issue]:
    from .conditions import items_read

    deps = {
        i: [d for d in (items_read(it.enable_when) if it.enable_when else []) if d in items] for i, it in items.items()
    }
    return [
        Issue(
            "questionnaire",
            (*where[cycle[0]], "enable_when"),
            f"item '{cycle[0]}'",
            f"enable_when forms a cycle: {' → '.join([*cycle, cycle[0]])}",
            "an item may only depend on items that do not depend on it",
            code=ErrorCode.ENABLE_WHEN_CYCLE,
        )
        for cycle in find_cycles(deps)
    ]


def find_cycles(deps: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle in a dependency graph, once, starting from its first-listed node."""
    order = {node: k for k, node in enumerate(deps)}
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    start = min(range(len(cycle)), key=lambda k: order[cycle[k]])
                    cycles.append(cycle[start:] + cycle[:start])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in deps:
        if node not in state:
            visit(node)
    return cycles


def check_ruleset(r: Ruleset, q: Questionnaire | None, *, reachability: bool = True) -> list[Issue]:
    from .conditions import findings_read

    issues: list[Issue] = []
    items = {i.id: i for i in q.items()} if q is not None else {}
    if q is not None:
        if r.questionnaire.id != q.id:
            issues.append(
                Issue(
                    "ruleset",
                    ("questionnaire", "id"),
                    f"ruleset '{r.id}'",
                    f"written for questionnaire '{r.questionnaire.id}', not '{q.id}'",
                    "pair the ruleset with its own questionnaire",
                    code=ErrorCode.OTHER_QUESTIONNAIRE,
                )
            )
        elif r.questionnaire.version.split(".")[0] != q.version.split(".")[0] or _ver(q.version) < _ver(
            r.questionnaire.version
        ):
            issues.append(
                Issue(
                    "ruleset",
                    ("questionnaire", "version"),
                    f"ruleset '{r.id}'",
                    f"written for version {r.questionnaire.version}, but the questionnaire is {q.version}",
                    "update the ruleset's questionnaire version after checking its rules",
                    code=ErrorCode.QUESTIONNAIRE_VERSION,
                )
            )

    rules: list[tuple[str, str, Path_, Condition]] = []
    rules += [("finding", f.id, ("findings", k), f.condition) for k, f in enumerate(r.findings)]
    rules += [("red flag", f.id, ("red_flags", k), f.condition) for k, f in enumerate(r.red_flags)]
    rules += [("feature", f.id, ("features", k), f.condition) for k, f in enumerate(r.features)]
    rules += [("differential", d.id, ("differentials", k), d.condition) for k, d in enumerate(r.differentials)]
    rules += [("grade cap", c.id, ("grading", "caps", k), c.when) for k, c in enumerate(r.grading.caps)]

    first: dict[str, Path_] = {}
    for kind, rid, path, _ in rules:
        if rid in first:
            issues.append(
                Issue(
                    "ruleset",
                    (*path, "id"),
                    f"{kind} '{rid}'",
                    "duplicate rule id",
                    "rule ids must be unique across findings, red flags, features, differentials and caps",
                    code=ErrorCode.DUPLICATE_RULE,
                    first=(*first[rid], "id"),
                )
            )
        else:
            first[rid] = path
    finding_ids = {f.id for f in r.findings}
    if q is not None:
        for kind, rid, path, cond in rules:
            cpath = (*path, "when" if kind == "grade cap" else "condition")
            issues += check_condition(cond, cpath, "ruleset", f"{kind} '{rid}'", items, finding_ids)
        if r.grading.likely_requires is not None:
            issues += check_condition(
                r.grading.likely_requires, ("grading", "likely_requires"), "ruleset", "grading", items, finding_ids
            )

    fdeps = {f.id: [d for d in findings_read(f.condition) if d in finding_ids] for f in r.findings}
    fpath = {f.id: ("findings", k) for k, f in enumerate(r.findings)}
    for cycle in find_cycles(fdeps):
        issues.append(
            Issue(
                "ruleset",
                (*fpath[cycle[0]], "condition"),
                f"finding '{cycle[0]}'",
                f"findings form a cycle: {' → '.join([*cycle, cycle[0]])}",
                "a finding may only read findings that do not read it",
                code=ErrorCode.FINDING_CYCLE,
            )
        )
    if issues or q is None or not reachability:
        return issues  # reachability on a broken ruleset would only repeat the same faults

    reach = Reach(items, {f.id: f.condition for f in r.findings})
    for kind, rid, path, cond in rules:
        cpath = (*path, "when" if kind == "grade cap" else "condition")
        if not reach.can_be_true(cond):
            issues.append(
                Issue(
                    "ruleset",
                    cpath,
                    f"{kind} '{rid}'",
                    "can never fire: no set of answers makes it true",
                    "check for contradictory comparisons or items that can never be shown",
                    code=ErrorCode.NEVER_FIRES,
                )
            )
        elif kind in ("red flag", "grade cap") and not reach.can_be_false(cond):
            issues.append(
                Issue(
                    "ruleset",
                    cpath,
                    f"{kind} '{rid}'",
                    "is always true: every response would raise it",
                    "make the condition depend on an answer",
                    code=ErrorCode.ALWAYS_TRUE,
                )
            )
    return issues


def _ver(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))
