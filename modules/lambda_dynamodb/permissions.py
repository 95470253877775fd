"""The role's permissions as a whole: what is granted, what is needed, and why.

Two things need permissions: the function's code (its DynamoDB calls, read from its source by
:mod:`.code_calls`) and the Lambda service (:mod:`.lambda_service`). :func:`permission_plan`
puts the role's statements next to those needs and judges every permission:

- ``used``: a call of the code or of Lambda needs it;
- ``unused``: granted (by the access level, or the logs mode) but nothing calls it: a warning;
- ``missing``: a call needs it and the policy does not allow it: synthesis fails;
- ``not checked``: a table action while the code check is off.

Everything here is pure: it runs before any construct is created, and again by
``make permissions``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from .access import Access, access_label, key_statement, resolve_actions, table_statement
from .code_calls import CodeAnalysis, CodeCall, analyse
from .code_package import source_hash_hex
from .enums import LogsMode
from .errors import problem
from .evaluation import allows, statement_allows
from .lambda_service import LOG_GROUP_CREATE_ACTIONS, ServiceUse, requirements, statements
from .policy import Arn, ArnContext, PolicyDocument, Statement, table_arn
from .settings import ExistingTable, LambdaDynamoDbSettings
from .tokens import is_unresolved

#: The context a permission plan is judged in when no real one is known: ARNs keep their
#: shape, and every pair compared is rendered the same way.
PLACEHOLDER_CONTEXT = ArnContext("aws", "<region>", "<account>")


class Verdict(str, Enum):
    USED = "used"
    UNUSED = "unused"
    MISSING = "missing"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Need:
    """One call made with the role: by the code (at a line) or by the Lambda service."""

    action: str
    resource: Arn
    why: str
    call: CodeCall | None = None


class GrantKind(Enum):
    #: Table actions: judged against the code's calls (when the code is checked).
    TABLE = "table"
    #: A table's customer-managed key: DynamoDB uses it for whichever table action is granted.
    TABLE_KEY = "table key"
    #: What the function's settings make Lambda do (logs, tracing, VPC, ...).
    LAMBDA = "lambda"


@dataclass(frozen=True)
class Grant:
    """A statement of the role, and what grants it (shown when nothing needs it)."""

    statement: Statement
    granted_by: str
    kind: GrantKind


@dataclass(frozen=True)
class PermissionRow:
    action: str
    resource: str
    why: tuple[str, ...]
    verdict: Verdict


@dataclass(frozen=True)
class PermissionPlan:
    """The role's statements, what needs them, and the verdicts; errors fail synthesis."""

    table_actions: tuple[str, ...]
    grants: tuple[Grant, ...]
    needs: tuple[Need, ...]
    analysis: CodeAnalysis | None
    rows: tuple[PermissionRow, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def document(self) -> PolicyDocument:
        return PolicyDocument(tuple(grant.statement for grant in self.grants))


def permission_plan(settings: LambdaDynamoDbSettings, context: ArnContext = PLACEHOLDER_CONTEXT) -> PermissionPlan:
    """Judge every permission of the role ``settings`` describe (settings must be valid)."""
    analysis = code_analysis(Path(settings.function.source_dir)) if settings.check_code else None
    table = _table_arn(settings)
    table_actions, access_errors = _table_actions(settings, analysis)
    grants = _grants(settings, table_actions, table)
    needs = _code_needs(analysis, settings.table.name, table) + _lambda_needs(settings)
    document = PolicyDocument(tuple(grant.statement for grant in grants)).render(context)
    rows = tuple(_rows(grants, needs, context, checked=analysis is not None))
    errors = access_errors + tuple(_missing_errors(needs, document, context, access_label(settings.access)))
    return PermissionPlan(
        table_actions=table_actions,
        grants=grants,
        needs=needs,
        analysis=analysis,
        rows=rows + tuple(_missing_rows(needs, document, context)),
        errors=errors,
        warnings=tuple(_warnings(rows, analysis, settings)),
    )


def code_analysis(source_dir: Path) -> CodeAnalysis:
    """The analysis of ``source_dir``, done once per version of its code."""
    return _analysis(source_dir.resolve(), source_hash_hex(source_dir))


@cache
def _analysis(source_dir: Path, digest: str) -> CodeAnalysis:
    return analyse(source_dir)


def _table_arn(settings: LambdaDynamoDbSettings) -> Arn:
    table = settings.table
    return Arn.of(table.arn) if isinstance(table, ExistingTable) and table.arn else table_arn(table.name)


def _table_actions(settings: LambdaDynamoDbSettings, analysis: CodeAnalysis | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The table actions granted, and the problems of ``from_code``."""
    if not (isinstance(settings.access, str) and settings.access == Access.FROM_CODE):
        return resolve_actions(settings.access, settings.allow_wildcard_actions), ()
    if analysis is None:
        return (), (problem("access", Access.FROM_CODE.value, "reads the code's calls: it needs check_code on"),)
    rule = "grants exactly what the code calls, and {what}; list the actions explicitly instead"
    errors = tuple(problem("access", Access.FROM_CODE.value, rule.format(what=f"{u.where} {u.reason}")) for u in analysis.unresolved)
    own = [call for call in analysis.calls if _targets(call, settings.table.name)]
    if not own and not errors:
        errors += (problem("access", Access.FROM_CODE.value, rule.format(what=f"no code in {analysis.source} calls DynamoDB")),)
    return tuple(sorted({action for call in own for action in call.actions})), errors


def _targets(call: CodeCall, table_name: str) -> bool:
    """The call goes to the function's table (named by its environment, or by that name)."""
    return call.table is None or call.table == table_name


def _grants(settings: LambdaDynamoDbSettings, table_actions: tuple[str, ...], table: Arn) -> tuple[Grant, ...]:
    """The role's statements, in the module's order: the table first, as in the reference."""
    label = access_label(settings.access)
    found = [Grant(table_statement(table_actions, table, settings.table.has_indexes), label, GrantKind.TABLE)] if table_actions else []
    if settings.table.kms_key_arn and table_actions:
        found.append(Grant(key_statement(table_actions, settings.table.kms_key_arn), "the table's customer-managed key", GrantKind.TABLE_KEY))
    logs = f"logs {LogsMode(settings.logs).value!r}"
    found += [
        Grant(statement, logs if _is_logs(statement) else "the function's settings", GrantKind.LAMBDA)
        for statement in _service_statements(settings)
    ]
    return tuple(found)


def _service_statements(settings: LambdaDynamoDbSettings) -> tuple[Statement, ...]:
    return statements(ServiceUse.of(settings.function), settings.logs)


def _is_logs(statement: Statement) -> bool:
    return all(action.startswith("logs:") for action in statement.actions)


def _code_needs(analysis: CodeAnalysis | None, table_name: str, table: Arn) -> tuple[Need, ...]:
    if analysis is None:
        return ()
    return tuple(
        Need(action, _call_resource(call, table_name, table), f"{call.where} {call.method}", call)
        for call in analysis.calls
        for action in call.actions
    )


def _call_resource(call: CodeCall, table_name: str, table: Arn) -> Arn:
    resource = table if _targets(call, table_name) else table_arn(str(call.table))
    return resource.child(f"/index/{call.index}") if call.index else resource


def _lambda_needs(settings: LambdaDynamoDbSettings) -> tuple[Need, ...]:
    return tuple(Need(r.action, r.resource, r.reason) for r in requirements(ServiceUse.of(settings.function)))


def _rows(grants: Sequence[Grant], needs: Sequence[Need], context: ArnContext, *, checked: bool) -> Iterator[PermissionRow]:
    for grant in grants:
        for action in grant.statement.actions:
            for resource in (arn.render(context) for arn in grant.statement.resources):
                pair = {"Effect": "Allow", "Action": action, "Resource": resource}
                why = tuple(n.why for n in needs if statement_allows(pair, n.action, n.resource.render(context)))
                yield PermissionRow(action, resource, why or (_granted_only(grant),), _verdict(grant, why, checked))


def _granted_only(grant: Grant) -> str:
    if grant.kind is GrantKind.TABLE_KEY:
        return "DynamoDB uses the table's key for the granted table actions"
    return f"granted by {grant.granted_by} only"


def _verdict(grant: Grant, why: tuple[str, ...], checked: bool) -> Verdict:
    if why or grant.kind is GrantKind.TABLE_KEY:
        return Verdict.USED
    if grant.kind is GrantKind.TABLE and not checked:
        return Verdict.NOT_CHECKED
    return Verdict.UNUSED


def _not_allowed(needs: Sequence[Need], document: dict[str, object], context: ArnContext) -> Iterator[Need]:
    return (n for n in needs if not allows(document, n.action, n.resource.render(context)))


def _missing_rows(needs: Sequence[Need], document: dict[str, object], context: ArnContext) -> Iterator[PermissionRow]:
    for need in _not_allowed(needs, document, context):
        yield PermissionRow(need.action, need.resource.render(context), (need.why,), Verdict.MISSING)


def unmet_needs(document: PolicyDocument, needs: Sequence[Need], label: str = "the policy") -> tuple[str, ...]:
    """A problem line per need ``document`` does not allow (empty when all are allowed)."""
    return tuple(_missing_errors(needs, document.render(PLACEHOLDER_CONTEXT), PLACEHOLDER_CONTEXT, label))


def _missing_errors(needs: Sequence[Need], document: dict[str, object], context: ArnContext, label: str) -> Iterator[str]:
    for need in _not_allowed(needs, document, context):
        if need.call is None:
            yield f"lambda: the role does not allow {need.action} on {need.resource.render(context)}, which Lambda needs: {need.why}"
        else:
            yield f"access: {need.call.where} calls {need.call.method} ({need.action}{_target(need.call)}), which {label} does not grant"


def _target(call: CodeCall) -> str:
    table = f" on table {call.table!r}" if call.table else ""
    return f"{table} on index {call.index!r}" if call.index else table


def _warnings(rows: Sequence[PermissionRow], analysis: CodeAnalysis | None, settings: LambdaDynamoDbSettings) -> Iterator[str]:
    warned: set[str] = set()
    for row in rows:
        if row.verdict is Verdict.UNUSED and row.action not in warned:
            warned.add(row.action)
            yield f"warning: {row.action} is granted but {_nobody(row.action, analysis)}"
    if analysis is not None and settings.access != Access.FROM_CODE:
        for unresolved in analysis.unresolved:
            yield f"warning: {unresolved.where} {unresolved.reason}: the code check cannot tell whether the grant covers it"


def _nobody(action: str, analysis: CodeAnalysis | None) -> str:
    if action in LOG_GROUP_CREATE_ACTIONS:
        return "Lambda does not need it: the module creates the log group"
    if action.startswith("dynamodb:") and analysis is not None:
        return f"no code in {analysis.source} calls it"
    return "nothing the function or Lambda does needs it"


def is_checkable(settings: LambdaDynamoDbSettings) -> bool:
    """Whether a plan can be made: the access setting must be known (not a Terraform value)."""
    return not (isinstance(settings.access, (list, tuple)) and is_unresolved(settings.access))
