"""Read YAML into plain data while remembering the line every key and list entry came from.

Only ``true``/``false`` are booleans here (as in YAML 1.2): answers such as ``yes``, ``no`` and ``on``
stay strings, which is what a questionnaire about yes/no questions needs. Each document is checked against
its limits (``screening.limits``: size, nesting, values with aliases expanded, long numbers) before anything
is built from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from .error_codes import ErrorCode
from .errors import YamlSyntaxError as YamlSyntaxError  # importable from here as before
from .limits import (
    DEFINITION_LIMITS,
    MAX_NUMBER_DIGITS,
    DocumentLimits,
    LimitError,
    number_too_long,
    too_deep,
    too_large,
    too_many_values,
)

Path_ = tuple[str | int, ...]

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml is in every PyYAML wheel we install
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader with YAML 1.2 booleans: only true/false."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_with_lines(text: str, limits: DocumentLimits = DEFINITION_LIMITS) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text; return the data and a map from each key/entry path to its 1-based line.

    The document is first checked against ``limits`` (size, nesting, values, aliases) without building
    anything; a document over a limit raises LimitError, one that is not YAML raises YamlSyntaxError.
    """
    if len(text) > limits.max_bytes:
        raise too_large(limits)
    try:
        check_limits(text, limits)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            lines: dict[Path_, int] = {}
            data = _construct(loader, node, (), lines) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own cap, met while reading ahead past ours
            raise too_deep(limits, mark.line + 1 if mark is not None else None) from exc
        raise YamlSyntaxError(
            f"{exc.problem or 'not valid YAML'}" + (f" ({exc.context})" if exc.context else ""),
            mark.line + 1 if mark is not None else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
    return data, lines


_COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def check_limits(text: str, limits: DocumentLimits) -> None:
    """Walk the YAML events (no nodes built) and raise LimitError at the first limit passed.

    Every alias counts as a full copy of the node it names, so an alias bomb (aliases of aliases, each
    level multiplying the size) is refused within ``limits.max_values`` counted values, and an alias inside
    the node it names (which never ends) is refused outright.
    """
    loader = _Loader(text)
    try:
        total = 0
        # one entry per open mapping or list: [anchor, values before it, height of its tallest child]
        open_nodes: list[list[Any]] = []
        anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values it expands to, its height)
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, yaml.ScalarEvent):
                total += 1
                if event.anchor is not None:
                    anchors[event.anchor] = (1, 0)
            elif isinstance(event, _COLLECTION_START):
                open_nodes.append([event.anchor, total, 0])
                total += 1
                if len(open_nodes) > limits.max_depth:
                    raise too_deep(limits, line)
            elif isinstance(event, _COLLECTION_END):
                anchor, before, tallest = open_nodes.pop()
                height = tallest + 1
                if open_nodes:
                    open_nodes[-1][2] = max(open_nodes[-1][2], height)
                if anchor is not None:
                    anchors[anchor] = (total - before, height)
            elif isinstance(event, yaml.AliasEvent):
                name = event.anchor
                if any(entry[0] == name for entry in open_nodes):
                    raise LimitError(
                        f"the alias *{name} stands for a value that contains the alias itself, so it never ends",
                        line,
                        "write the values out instead of using the alias",
                        code=ErrorCode.ALIAS_LOOP,
                    )
                if name not in anchors:
                    raise YamlSyntaxError(f"found undefined alias '{name}'", line)
                size, height = anchors[name]
                total += size
                if len(open_nodes) + height > limits.max_depth:
                    raise too_deep(limits, line)
                if open_nodes:
                    open_nodes[-1][2] = max(open_nodes[-1][2], height)
            if total > limits.max_values:
                raise too_many_values(limits, line)
    finally:
        loader.dispose()


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


_INT_TAG = "tag:yaml.org,2002:int"


def _construct(loader: Any, node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        raise yaml.MarkedYAMLError(
            problem=f"the tag {node.tag} is not allowed; write plain YAML", problem_mark=node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.MarkedYAMLError(problem="a key must be a plain value", problem_mark=key_node.start_mark)
            key = _scalar(loader, key_node)
            if key in result:
                raise yaml.MarkedYAMLError(
                    problem=f"key '{key}' appears twice in the same mapping", problem_mark=key_node.start_mark
                )
            child = (*path, key)
            result[key] = _construct(loader, value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, child, (*path, i), lines) for i, child in enumerate(node.value)]
    return _scalar(loader, node)


def _scalar(loader: Any, node: yaml.Node) -> Any:
    """One scalar's value; numbers too long to be real, and values of the wrong form, are clean errors."""
    if node.tag == _INT_TAG and len(node.value) > MAX_NUMBER_DIGITS:
        raise number_too_long(len(node.value), node.start_mark.line + 1)
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:  # e.g. 2026-02-30, or !!timestamp x
        kind = str(node.tag).rsplit(":", 1)[-1]
        shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
        raise yaml.MarkedYAMLError(
            problem=f"'{shown}' cannot be read as a {kind}", problem_mark=node.start_mark
        ) from exc


def line_for(loc: Sequence[str | int], data: Any, lines: dict[Path_, int]) -> int | None:
    """Map an error location (e.g. pydantic's ``loc``) onto the deepest line we know.

    Parts of ``loc`` that are not in the data (pydantic's union tags such as ``'yes_no'``) are skipped.
    """
    path: Path_ = ()
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            continue  # a union tag or other part that is not in the data
        path = (*path, part)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)
