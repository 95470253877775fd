"""Physical names are unique within a stack: two resources of one kind with one name would
collide in AWS (the second create fails, or both manage the same object)."""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from lambda_dynamodb.config.errors import problem
from lambda_dynamodb.config.tokens import is_unresolved

#: Id of the stack-wide construct holding the names claimed in the stack.
_REGISTRY_ID = "lambda_dynamodb_names"


class _Names(Construct):
    """(kind, name) -> the construct path that claimed it, for one stack (it synthesizes nothing)."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.claimed: dict[tuple[str, str], str] = {}


def _registry(stack: TerraformStack) -> dict[tuple[str, str], str]:
    holder = stack.node.try_find_child(_REGISTRY_ID)
    if holder is None:
        holder = _Names(stack, _REGISTRY_ID)
    return holder.claimed  # type: ignore[attr-defined]


def claim(scope: Construct, id: str, names: list[tuple[str, str, str]]) -> list[str]:
    """Reserve ``(field, kind, name)`` for the construct ``id`` in ``scope``; a problem per name
    another construct of the stack already holds. Only when none is taken are they all claimed."""
    stack = TerraformStack.of(scope)
    claimed = _registry(stack)
    path = f"{scope.node.path}/{id}"
    problems = []
    for field, kind, name in names:
        if isinstance(name, str) and not is_unresolved(name) and (kind, name) in claimed:
            rule = f"another {kind} of stack {stack.node.id} has this name ({claimed[kind, name]}): names must be unique"
            problems.append(problem(field, name, rule))
    if not problems:
        claimed.update({(kind, name): path for _, kind, name in names if isinstance(name, str) and not is_unresolved(name)})
    return problems
