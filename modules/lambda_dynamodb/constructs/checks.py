"""The synthesis check, callable before ``app.synth()``: every function's problems, raised once.

Each :class:`~lambda_dynamodb.constructs.function.Function` checks itself when the app is synthesized
(a CDKTF validation); :func:`check` runs the same checks on demand, so that an app (or a test)
gets a :class:`~lambda_dynamodb.config.errors.ConfigurationError` naming every problem instead of
CDKTF's validation failure.
"""

from __future__ import annotations

from constructs import Construct

from lambda_dynamodb.config.errors import raise_if_any
from lambda_dynamodb.constructs.function import Function


def functions(scope: Construct) -> list[Function]:
    """Every function of this library in ``scope`` (an app, a stack), in tree order."""
    return [node for node in scope.node.find_all() if isinstance(node, Function)]


def check(scope: Construct) -> list[str]:
    """Raise one error listing every function's problems; return every warning."""
    raise_if_any(problem for function in functions(scope) for problem in function.problems())
    return [warning for function in functions(scope) for warning in (function.permissions.warnings if function.permissions else ())]
