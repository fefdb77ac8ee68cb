"""GitHub's limits on a GraphQL query, checked before it runs (docs.github.com/graphql/overview/rate-limits-and-
query-limits-for-the-graphql-api): `first` or `last` on every connection, within 1-100; at most 500,000 nodes;
and its cost: the requests its connections need (each one's parents' sizes multiplied), over 100."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

from tests.ghsim.graphql_schema import schema

NODE_LIMIT = 500_000
PAGE_LIMIT = 100
JSON = dict[str, Any]


class Failure(Exception):
    """An error GitHub reports with a `type` (beside the data when a field fails, alone when the query does)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def measure(document: DocumentNode, variables: JSON, operation: str | None) -> tuple[int, int]:
    """(nodes the query may ask for, requests GitHub needs for its connections); `Failure` past a limit."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation is None or (o.name is not None and o.name.value == operation)), None)
    if op is None:
        raise Failure("INVALID_OPERATION", "No operation given")
    query_type = schema().query_type
    assert query_type is not None
    totals = [0, 0]

    def walk(selections: SelectionSetNode | None, parent: GraphQLNamedType, multiplier: int) -> None:
        for node in selections.selections if selections is not None else ():
            if isinstance(node, FragmentSpreadNode):
                fragment = fragments[node.name.value]
                walk(
                    fragment.selection_set, schema().get_type(fragment.type_condition.name.value) or parent, multiplier
                )
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                walk(node.selection_set, schema().get_type(condition.name.value) if condition else parent, multiplier)
            elif isinstance(node, FieldNode):
                _field(node, parent, multiplier)

    def _field(node: FieldNode, parent: GraphQLNamedType, multiplier: int) -> None:
        fields = getattr(parent, "fields", {})
        definition = fields.get(node.name.value)
        if definition is None:
            return  # __typename
        named = get_named_type(definition.type)
        if named.name.endswith("Connection"):
            args = {a.name.value: value_from_ast_untyped(a.value, variables) for a in node.arguments or ()}
            size = args.get("first") if args.get("first") is not None else args.get("last")
            if size is None:
                raise Failure(
                    "MISSING_PAGINATION_BOUNDARIES",
                    f"You must provide a `first` or `last` value to properly paginate the `{node.name.value}` "
                    "connection.",
                )
            if not isinstance(size, int) or not 1 <= size <= PAGE_LIMIT:
                which = "first" if args.get("first") is not None else "last"
                raise Failure(
                    "ARGUMENT_LIMIT",
                    f"Requesting {size} records on the `{node.name.value}` connection exceeds the `{which}` limit "
                    f"of {PAGE_LIMIT} records.",
                )
            totals[1] += multiplier
            multiplier *= size
            totals[0] += multiplier
            if totals[0] > NODE_LIMIT:
                raise Failure(
                    "MAX_NODE_LIMIT_EXCEEDED",
                    f"By the time this query traverses to the {node.name.value} connection, it is requesting up to "
                    f"{totals[0]:,} possible nodes which exceeds the maximum limit of {NODE_LIMIT:,}.",
                )
        walk(node.selection_set, named, multiplier)

    walk(op.selection_set, query_type, 1)
    return totals[0], totals[1]
