"""Reading knowledge YAML without YAML 1.1 surprises.

PyYAML follows YAML 1.1: an unquoted `010` becomes 8, and `NO`, `yes`, `on`, `off` become
booleans (Norway's country code turns into False). Knowledge files must quote such values.
`load_yaml` refuses a file that has one, naming the line, instead of loading a wrong value.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:  # the C loader is several times faster; fall back when libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_BOOL_WORDS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_OCTAL_LIKE = re.compile(r"^[-+]?0[0-9_]+$|^0o[0-7]+$|^[-+]?\d+(:[0-5]?\d)+$")


class YamlTrap(ValueError):
    """A plain scalar that YAML 1.1 would read as something the author did not mean."""


def _walk(node: yaml.Node) -> list[yaml.ScalarNode]:
    stack, out = [node], []
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            out.append(n)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
    return out


def _problems(node: yaml.Node | None) -> list[str]:
    if node is None:
        return []
    problems = []
    for scalar in _walk(node):
        if scalar.style:  # quoted or block scalars are read as strings (plain: None or "")
            continue
        line = scalar.start_mark.line + 1
        if _BOOL_WORDS.match(scalar.value):
            problems.append(
                f"line {line}: unquoted {scalar.value!r} would be read as a boolean; "
                "write true/false, or quote it"
            )
        elif _OCTAL_LIKE.match(scalar.value):
            problems.append(
                f"line {line}: unquoted {scalar.value!r} would be read as a number in base 8 "
                "or 60; quote it"
            )
    return problems


def lint_yaml(text: str) -> list[str]:
    """Problems in `text`, one line each: bool-like words and octal- or sexagesimal-looking
    numbers written without quotes."""
    return _problems(yaml.compose(text, Loader=_Loader))


def load_yaml(text: str) -> Any:
    """Parse `text` once, lint it, and build it; raise YamlTrap on a trap or bad syntax."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        problems = _problems(node)
        if problems:
            raise YamlTrap(problems[0])
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise YamlTrap(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
