"""Reads one YAML policy file into a tree of located values, so every later error can name file:line:col.

Refused, as clear issues rather than crashes: files over 256 KiB or of more than 10,000 values (so the slow
pure-Python reader stays well under a second), nesting deeper than 32 levels, anchors
and aliases (the classic "billion laughs" expansion), duplicate keys, non-string keys (YAML 1.1 reads an
unquoted `on:` or `yes:` as a boolean), tags and types other than strings, numbers, booleans and null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ghapp.core.errors import GhappError

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_NODES = 10_000  # values in one file (the bundled default has 230); PyYAML reads ~25k a second
_SCALARS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class PolicyError(GhappError, ValueError):
    """The base error of the policy seam: a policy that cannot be read, merged or followed."""


@dataclass(frozen=True)
class PolicyIssue:
    """One problem with a policy file, at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Mark:
    """Where a value (or its key) is written: file, 1-based line and column."""

    source: str
    line: int
    column: int

    def issue(self, message: str) -> PolicyIssue:
        return PolicyIssue(self.source, self.line, self.column, message)


@dataclass(frozen=True, eq=False)
class Node:
    """A value with its place. `value` is a dict of str -> Node, a tuple of Nodes, or a scalar."""

    value: Any
    mark: Mark
    key_mark: Mark | None = None  # where the key naming this value is, for mapping entries

    def plain(self) -> Any:
        """The value as plain Python data (dicts, lists, scalars), for schema validation."""
        if isinstance(self.value, dict):
            return {key: child.plain() for key, child in self.value.items()}
        if isinstance(self.value, tuple):
            return [child.plain() for child in self.value]
        return self.value

    def find(self, path: tuple[str | int, ...]) -> Node:
        """The deepest node along `path` (a key path such as ("gates", "lint", "enabled"))."""
        node = self
        for step in path:
            children = node.value
            found = (isinstance(children, dict) and isinstance(step, str) and step in children) or (
                isinstance(children, tuple) and isinstance(step, int) and 0 <= step < len(children)
            )
            if not found:
                break
            node = children[step]
        return node

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None


class _Refused(Exception):
    """A YAML construct the policy reader refuses (aliases, excessive depth), at a PyYAML mark."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with aliases refused and nesting capped while composing."""

    depth = 0
    nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.check_event()  # loads the next event into current_event
        event: Any = self.current_event
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                "anchors and aliases (*name) are not supported in a policy file: write the value out", event.start_mark
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(f"the file holds more than {MAX_NODES} values", event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"the file nests deeper than {MAX_DEPTH} levels", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _mark(source: str, mark: Any) -> Mark:
    """A PyYAML mark (0-based; None when PyYAML has no position) as a 1-based Mark."""
    return Mark(source, getattr(mark, "line", 0) + 1, getattr(mark, "column", 0) + 1)


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def read_yaml(text: str, source: str) -> tuple[Node | None, tuple[PolicyIssue, ...]]:
    """Parse `text` into a located tree. An empty file is an empty mapping; the root must be a mapping."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        return None, (
            PolicyIssue(
                source, 1, 1, f"the file is {size} bytes; a policy file may be at most {MAX_BYTES // 1024} KiB"
            ),
        )
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # raised before parsing, with a character offset
        line, column = _position(text, exc.position)
        return None, (PolicyIssue(source, line, column, f"invalid character: {exc.reason}"),)
    try:
        root = loader.get_single_node()
    except _Refused as exc:
        return None, (_mark(source, exc.mark).issue(exc.message),)
    except yaml.MarkedYAMLError as exc:
        mark = _mark(source, exc.problem_mark or exc.context_mark)
        problem = ", ".join(part for part in (exc.context, exc.problem) if part)
        if "'\\t'" in problem:
            problem += " (indent with spaces: YAML does not allow tabs there)"
        return None, (mark.issue(f"invalid YAML: {problem}"),)
    finally:
        loader.dispose()
    if root is None or root.tag == "tag:yaml.org,2002:null":  # no document, or `---` alone: nothing set
        return Node({}, Mark(source, 1, 1)), ()
    issues: list[PolicyIssue] = []
    tree = _Converter(loader, source, issues).node(root, None)
    if not isinstance(tree.value, dict):
        issues.append(tree.mark.issue("the policy file must be a mapping of keys to values"))
        return None, tuple(issues)
    return tree, tuple(issues)


@dataclass
class _Converter:
    loader: _Loader
    source: str
    issues: list[PolicyIssue]

    def node(self, node: yaml.Node, key_mark: Mark | None) -> Node:
        mark = _mark(self.source, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return Node(self._mapping(node), mark, key_mark)
        if isinstance(node, yaml.SequenceNode):
            return Node(tuple(self.node(item, None) for item in node.value), mark, key_mark)
        return Node(self._scalar(node, mark), mark, key_mark)

    def _mapping(self, node: yaml.MappingNode) -> dict[str, Node]:
        entries: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key_mark = _mark(self.source, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                self.issues.append(
                    key_mark.issue(
                        f"the key {shown!r} is not a plain string "
                        "(YAML reads on/off/yes/no/numbers as other types): quote it"
                    )
                )
                continue
            key = str(key_node.value)
            first = entries.get(key)
            if first is not None:
                assert first.key_mark is not None
                self.issues.append(key_mark.issue(f"duplicate key {key!r} (first set at line {first.key_mark.line})"))
                continue
            entries[key] = self.node(value_node, key_mark)
        return entries

    def _scalar(self, node: yaml.Node, mark: Mark) -> Any:
        if node.tag not in _SCALARS:
            self.issues.append(
                mark.issue(
                    f"unsupported YAML value {node.value!r} (tag {node.tag}): "
                    "policy values are strings, numbers, booleans or null; quote it"
                )
            )
            return None
        assert isinstance(node, yaml.ScalarNode)
        try:
            return self.loader.construct_object(node)
        except ValueError:  # Python refuses to read integers of more than 4,300 digits
            self.issues.append(mark.issue(f"the number {node.value[:20]}... is too large"))
            return None
