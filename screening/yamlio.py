"""Read YAML into plain data while remembering the line every key and list entry came from.

Only ``true``/``false`` are booleans here (as in YAML 1.2): answers such as ``yes``, ``no`` and ``on``
stay strings, which is what a questionnaire about yes/no questions needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

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


class YamlSyntaxError(ValueError):
    """The text is not YAML; carries the 1-based line of the fault."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text; return the data and a map from each key/entry path to its 1-based line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = _construct(loader, node, (), lines) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(
            f"{exc.problem or 'not valid YAML'}" + (f" ({exc.context})" if exc.context else ""),
            mark.line + 1 if mark is not None else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
    finally:
        loader.dispose()
    return data, lines


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _construct(loader: Any, node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        raise yaml.MarkedYAMLError(
            problem=f"the tag {node.tag} is not allowed; write plain YAML", problem_mark=node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise yaml.MarkedYAMLError(problem="a key must be a plain value", problem_mark=key_node.start_mark)
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
    return loader.construct_object(node, deep=True)


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
