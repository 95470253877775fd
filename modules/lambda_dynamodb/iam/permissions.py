"""A function's permissions as a whole: what is granted, what is needed, and why.

Two things need permissions: the function's code (its DynamoDB calls, read from its source by
:mod:`lambda_dynamodb.analysis`, each attributed to one of the tables the function uses) and the Lambda
service (:mod:`.lambda_service`: logs, traces, triggers, ...). :func:`function_plan` takes a
:class:`FunctionModel` (every grant the function's constructs hold, as plain values), decides the
statements of ``from_code`` grants, and judges every permission:

- ``used``: a call of the code or of Lambda needs it;
- ``unused``: granted but nothing calls it: a warning;
- ``missing``: a call needs it and the policy does not allow it: synthesis fails;
- ``not checked``: a table action while the code check is off, or a statement added by hand
  for another service.

The role's policy is exactly :attr:`PermissionPlan.document`: the statements the rows judge are
the statements the constructs emit. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path

from lambda_dynamodb.iam.access import Access, access_label, key_statement, resolve_actions, table_statements
from lambda_dynamodb.analysis import CodeAnalysis, CodeCall, analyse
from lambda_dynamodb.packaging.code_package import source_hash_hex
from lambda_dynamodb.iam.dynamodb_actions import ACCOUNT_LEVEL_ACTIONS, CONTROL_PLANE_ACTIONS
from lambda_dynamodb.config.enums import LogsMode
from lambda_dynamodb.config.errors import problem, raise_if_any
from lambda_dynamodb.iam.evaluation import allows, statement_allows
from lambda_dynamodb.iam.lambda_service import (
    LOG_GROUP_CREATE_ACTIONS,
    ServiceUse,
    TriggerUse,
    requirements,
    statements,
    trigger_requirements,
    trigger_statements,
)
from lambda_dynamodb.iam.verdict import Verdict
from lambda_dynamodb.iam.policy import ANY_RESOURCE, Arn, ArnContext, PolicyDocument, Statement, table_arn
from lambda_dynamodb.config.settings import AccessSetting, ExistingTable, FunctionSettings, LambdaDynamoDbSettings
from lambda_dynamodb.config.tokens import is_unresolved
from lambda_dynamodb.config.validation import settings_problems

#: The context a permission plan is judged in when no real one is known: ARNs keep their
#: shape, and every pair compared is rendered the same way.
PLACEHOLDER_CONTEXT = ArnContext("aws", "<region>", "<account>")

#: Why a statement added to the role directly is there, when nothing the module knows needs it.
BY_HAND = "added by hand"


class GrantKind(Enum):
    #: Table actions: judged against the code's calls (when the code is checked).
    TABLE = "table"
    #: A table's customer-managed key: DynamoDB uses it for whichever table action is granted.
    TABLE_KEY = "table key"
    #: What the function's settings and triggers make Lambda do (logs, tracing, polling, ...).
    LAMBDA = "lambda"
    #: A statement given to the role directly (``role.add_statements``).
    HAND = "hand"


@dataclass(frozen=True)
class TableUse:
    """One table the function uses (``Function.use``): its grant, and the variable naming it."""

    table_name: str
    arn: Arn
    access: AccessSetting
    #: The environment variable set to the table's name: how the code names the table.
    env: str | None = None
    has_indexes: bool = False
    kms_key_arn: str | None = None
    allow_wildcards: bool = False
    #: How rows name the grant ("access 'read' on Orders"); the composite's is the access alone.
    label: str | None = None

    @property
    def granted_by(self) -> str:
        return self.label or f"{access_label(self.access)} on {self.table_name}"

    @property
    def from_code(self) -> bool:
        return isinstance(self.access, str) and self.access == Access.FROM_CODE


@dataclass(frozen=True)
class ExtraGrant:
    """A statement given after the function was made: a table's ``grant``, or by hand."""

    statement: Statement
    granted_by: str
    kind: GrantKind = GrantKind.HAND


@dataclass(frozen=True)
class FunctionModel:
    """Everything that decides a function's permissions, as plain values."""

    function: FunctionSettings
    uses: tuple[TableUse, ...] = ()
    triggers: tuple[TriggerUse, ...] = ()
    extra: tuple[ExtraGrant, ...] = ()
    logs: LogsMode = LogsMode.SCOPED
    check_code: bool = True
    public_url: bool = False
    #: The composite's messages: problems start with ``access:`` and name no table (it has one).
    composite: bool = False


@dataclass(frozen=True)
class Need:
    """One call made with the role: by the code (at a line) or by the Lambda service."""

    action: str
    resource: Arn
    why: str
    call: CodeCall | None = None
    #: The table use a code call is attributed to (None: a table the function does not use).
    use: TableUse | None = None
    #: How messages name the call's table ("Archive (ARCHIVE_TABLE)").
    table_label: str = ""


@dataclass(frozen=True)
class Grant:
    """A statement of the role, and what grants it (shown when nothing needs it)."""

    statement: Statement
    granted_by: str
    kind: GrantKind
    #: The table use it grants for (its table statement, or its table's key), if any.
    use: TableUse | None = None


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
    #: The errors a grant added later could mend (a call on a table the function does not use).
    late_errors: tuple[str, ...] = ()
    #: What a reviewer must see even when nothing is missing (a public function URL).
    findings: tuple[str, ...] = ()
    #: The actions each ``from_code`` use is granted, by table name.
    from_code_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def document(self) -> PolicyDocument:
        return PolicyDocument(tuple(grant.statement for grant in self.grants))


# --- the plan ----------------------------------------------------------------------------------


def permission_plan(settings: LambdaDynamoDbSettings, context: ArnContext = PLACEHOLDER_CONTEXT) -> PermissionPlan:
    """The plan of the composite ``settings`` describe (settings must be valid)."""
    return function_plan(composite_model(settings), context)


def composite_model(settings: LambdaDynamoDbSettings) -> FunctionModel:
    """What :class:`~lambda_dynamodb.constructs.composite.LambdaDynamoDb` gives its function: one table."""
    table = settings.table
    use = TableUse(
        table_name=table.name,
        arn=Arn.of(table.arn) if isinstance(table, ExistingTable) and table.arn else table_arn(table.name),
        access=settings.access,
        env=settings.function.table_name_variable,
        has_indexes=table.has_indexes,
        kms_key_arn=table.kms_key_arn,
        allow_wildcards=settings.allow_wildcard_actions,
        label=access_label(settings.access),
    )
    return FunctionModel(settings.function, (use,), logs=settings.logs, check_code=settings.check_code, composite=True)


def function_plan(model: FunctionModel, context: ArnContext = PLACEHOLDER_CONTEXT) -> PermissionPlan:
    """Judge every permission of the function ``model`` describes (its settings must be valid)."""
    function = model.function
    analysis = code_analysis(Path(function.source_dir), function.handler, function.exclude) if model.check_code else None
    targets = _Targets(model, analysis)
    from_code = {use.table_name: targets.from_code_actions(use) for use in model.uses if use.from_code}
    grants = _grants(model, from_code)
    needs = targets.needs() + _lambda_needs(model)
    document = PolicyDocument(tuple(grant.statement for grant in grants)).render(context)
    rows = tuple(_rows(grants, needs, context, checked=analysis is not None))
    messages = _Messages(model)
    missing = [need for need in needs if not allows(document, need.action, need.resource.render(context))]
    missing_errors = tuple(messages.missing(need, context) for need in missing)
    late = tuple(messages.missing(need, context) for need in missing if need.call is not None and need.use is None)
    findings = tuple(_findings(model))
    return PermissionPlan(
        table_actions=next(iter(from_code.values()), None) or _first_use_actions(model),
        grants=grants,
        needs=needs,
        analysis=analysis,
        rows=rows + tuple(PermissionRow(n.action, n.resource.render(context), (n.why,), Verdict.MISSING) for n in missing),
        errors=targets.errors() + missing_errors,
        warnings=tuple(_warnings(rows, analysis, model)) + targets.warnings() + findings,
        late_errors=late,
        findings=findings,
        from_code_actions=from_code,
    )


def code_analysis(source_dir: Path, handler: str | None = None, exclude: tuple[str, ...] = ()) -> CodeAnalysis:
    """The analysis of ``source_dir`` from ``handler``, done once per version of its code."""
    # The working directory is part of the key: messages name files relative to it.
    return _analysis(source_dir.resolve(), source_hash_hex(source_dir, exclude), handler, tuple(exclude), Path.cwd())


@cache
def _analysis(source_dir: Path, digest: str, handler: str | None, exclude: tuple[str, ...], cwd: Path) -> CodeAnalysis:
    return analyse(source_dir, handler=handler, exclude=exclude)


def _first_use_actions(model: FunctionModel) -> tuple[str, ...]:
    if not model.uses or model.uses[0].from_code:
        return ()
    use = model.uses[0]
    return resolve_actions(use.access, use.allow_wildcards)


# --- attributing the code's calls to tables ----------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The table a call goes to: a use, a table the function does not use, or unknown."""

    use: TableUse | None
    resource: Arn | None
    label: str
    reason: str = ""


class _Targets:
    """The code's calls, each attributed to its table (never to a guessed one)."""

    def __init__(self, model: FunctionModel, analysis: CodeAnalysis | None) -> None:
        self.model = model
        self.analysis = analysis
        calls = analysis.calls if analysis else ()
        self.calls = [(call, self._target(call)) for call in calls]

    def _target(self, call: CodeCall) -> _Target:
        if call.actions and all(action in ACCOUNT_LEVEL_ACTIONS for action in call.actions):
            return _Target(None, ANY_RESOURCE, "the account")
        uses, reference = self.model.uses, call.table
        if reference is not None and reference.startswith("env:"):
            variable = reference.removeprefix("env:")
            use = next((u for u in uses if u.env == variable), None)
            if use is not None:
                return _Target(use, use.arn, f"{use.table_name} ({variable})")
            value = self.model.function.environment.get(variable)
            if not (isinstance(value, str) and not is_unresolved(value)):
                # Unset, the variable fails the function at run time: never the only table's.
                return _Target(None, None, "", f"its table name is read from {variable}, which no use() of the function sets")
            reference = value
        if reference is not None:
            use = next((u for u in uses if u.table_name == reference), None)
            return _Target(use, use.arn if use else table_arn(reference), reference)
        return self._only_use("which table it calls cannot be read from the code")

    def _only_use(self, reason: str) -> _Target:
        # One table: the call can only be on it (how the reference setup's function is read).
        # More than one: the call is reported, never attributed to a guess.
        if len(self.model.uses) == 1:
            use = self.model.uses[0]
            return _Target(use, use.arn, f"{use.table_name} ({use.env})" if use.env else use.table_name)
        tables = ", ".join(u.table_name for u in self.model.uses) or "none"
        return _Target(None, None, "", f"{reason}, and the function uses more than one table ({tables})")

    def from_code_actions(self, use: TableUse) -> tuple[str, ...]:
        """What ``from_code`` grants on ``use``: the data-plane actions of the calls on it."""
        excluded = CONTROL_PLANE_ACTIONS | ACCOUNT_LEVEL_ACTIONS
        actions = {a for call, target in self.calls if target.use == use for a in call.actions if a not in excluded}
        return tuple(sorted(actions))

    def needs(self) -> tuple[Need, ...]:
        found = []
        for call, target in self.calls:
            if target.resource is None:
                continue
            resource = target.resource
            # "Some index, maybe" (arguments the analysis cannot read) on a table without any
            # indexes can only be the table itself.
            maybe = call.index == "*" and target.use is not None and not target.use.has_indexes
            if call.index and not maybe and target.resource != ANY_RESOURCE:
                resource = target.resource.child(f"/index/{call.index}")
            for action in call.actions:
                found.append(Need(action, resource, f"{call.where} {call.method}", call, target.use, target.label))
        return tuple(found)

    def _unattributed(self) -> Iterator[tuple[CodeCall, _Target]]:
        return ((call, target) for call, target in self.calls if target.resource is None)

    @property
    def _from_code(self) -> list[TableUse]:
        return [use for use in self.model.uses if use.from_code]

    def errors(self) -> tuple[str, ...]:
        uses = self._from_code
        if not uses:
            return ()
        # The code's problems are the function's, whichever of its from_code uses they concern.
        field = "access" if self.model.composite else f"{self.model.function.name}: access"
        value = Access.FROM_CODE.value
        if self.analysis is None:
            return (problem(field, value, "reads the code's calls: it needs check_code on"),)
        rule = "grants exactly what the code calls, and {what}; list the actions explicitly instead"
        found = [problem(field, value, rule.format(what=f"{u.where} {u.reason}")) for u in self.analysis.unresolved]
        found += [problem(field, value, rule.format(what=_call_text(call) + f": {target.reason}")) for call, target in self._unattributed()]
        for use in uses if not found else ():
            if not self.from_code_actions(use) and not any(t.use == use for _, t in self.calls):
                what = f"no code in {self.analysis.source} calls {'DynamoDB' if self.model.composite else use.table_name}"
                name = "access" if self.model.composite else f"{self.model.function.name}: use({use.table_name}).access"
                found.append(problem(name, value, rule.format(what=what)))
        return tuple(found)

    def warnings(self) -> tuple[str, ...]:
        if self._from_code or self.analysis is None:
            return ()
        prefix = "" if self.model.composite else f"{self.model.function.name}: "
        found = [
            f"warning: {prefix}{u.where} {u.reason}: the code check cannot tell whether the grant covers it" for u in self.analysis.unresolved
        ]
        found += [
            f"warning: {prefix}{_call_text(call)}: {target.reason}: the code check cannot tell whether a grant covers it"
            for call, target in self._unattributed()
        ]
        return tuple(found)


def _call_text(call: CodeCall) -> str:
    return f"{call.where} calls {call.method} ({', '.join(call.actions)})"


# --- the statements ----------------------------------------------------------------------------


def _grants(model: FunctionModel, from_code: dict[str, tuple[str, ...]]) -> tuple[Grant, ...]:
    """The role's statements, in the module's order: the tables first (as in the reference),
    then what Lambda does, then what was added later, in the order it was added."""
    found: list[Grant] = []
    for use in model.uses:
        actions = from_code[use.table_name] if use.from_code else resolve_actions(use.access, use.allow_wildcards)
        found += [Grant(s, use.granted_by, GrantKind.TABLE, use) for s in table_statements(actions, use.arn, use.has_indexes)]
        if use.kms_key_arn and actions:
            found.append(Grant(key_statement(actions, use.kms_key_arn), "the table's customer-managed key", GrantKind.TABLE_KEY, use))
    logs = f"logs {LogsMode(model.logs).value!r}"
    for statement in statements(ServiceUse.of(model.function), model.logs):
        found.append(Grant(statement, logs if _is_logs(statement) else "the function's settings", GrantKind.LAMBDA))
    for trigger in model.triggers:
        found += [Grant(statement, f"the trigger on {trigger.label}", GrantKind.LAMBDA) for statement in trigger_statements(trigger)]
    found += [Grant(extra.statement, extra.granted_by, extra.kind) for extra in model.extra]
    return tuple(found)


def _is_logs(statement: Statement) -> bool:
    return all(action.startswith("logs:") for action in statement.actions)


def _lambda_needs(model: FunctionModel) -> tuple[Need, ...]:
    found = requirements(ServiceUse.of(model.function))
    for trigger in model.triggers:
        found += trigger_requirements(trigger)
    return tuple(Need(r.action, r.resource, r.reason) for r in found)


# --- the verdicts ------------------------------------------------------------------------------


def _rows(grants: Sequence[Grant], needs: Sequence[Need], context: ArnContext, *, checked: bool) -> Iterator[PermissionRow]:
    for grant in grants:
        for action in grant.statement.actions:
            for resource in (arn.render(context) for arn in grant.statement.resources):
                pair = {"Effect": "Allow", "Action": action, "Resource": resource}
                why = tuple(n.why for n in needs if statement_allows(pair, n.action, n.resource.render(context)))
                yield PermissionRow(action, resource, why or (_granted_only(grant),), _verdict(grant, action, why, checked))


def _granted_only(grant: Grant) -> str:
    if grant.kind is GrantKind.TABLE_KEY:
        return "DynamoDB uses the table's key for the granted table actions"
    if grant.kind is GrantKind.HAND:
        return BY_HAND
    return f"granted by {grant.granted_by} only"


def _verdict(grant: Grant, action: str, why: tuple[str, ...], checked: bool) -> Verdict:
    if why or grant.kind is GrantKind.TABLE_KEY:
        return Verdict.USED
    code_action = action.startswith("dynamodb:")
    if grant.kind is GrantKind.TABLE and not checked:
        return Verdict.NOT_CHECKED
    if grant.kind is GrantKind.HAND and not (code_action and checked):
        return Verdict.NOT_CHECKED  # another service's action: the code check reads DynamoDB calls only
    return Verdict.UNUSED


def unmet_needs(document: PolicyDocument, needs: Sequence[Need], label: str = "the policy") -> tuple[str, ...]:
    """A problem line per need ``document`` does not allow (empty when all are allowed)."""
    rendered = document.render(PLACEHOLDER_CONTEXT)
    messages = _Messages(None, label)
    return tuple(messages.missing(n, PLACEHOLDER_CONTEXT) for n in needs if not allows(rendered, n.action, n.resource.render(PLACEHOLDER_CONTEXT)))


class _Messages:
    """How problems name what is missing: the composite's words, or the function's and table's."""

    def __init__(self, model: FunctionModel | None, label: str | None = None) -> None:
        self.model = model
        self.label = label
        self.composite = model is None or model.composite
        self.prefix = "access: " if self.composite else f"{model.function.name}: "  # type: ignore[union-attr]

    def missing(self, need: Need, context: ArnContext) -> str:
        call = need.call
        if call is None:
            return f"lambda: the role does not allow {need.action} on {need.resource.render(context)}, which Lambda needs: {need.why}"
        use = need.use
        if use is not None and use.from_code and need.action in CONTROL_PLANE_ACTIONS:
            where = "" if self.composite else f" on {need.table_label}"
            return (
                f"{self.prefix}{call.where} calls {call.method} ({need.action}){where}: a control-plane action, "
                "which from_code never grants: list it in an explicit access list if the function must do this"
            )
        if self.composite:
            label = self.label or (use.granted_by if use else "the policy")
            return f"{self.prefix}{call.where} calls {call.method} ({need.action}{_target(call)}), which {label} does not grant"
        index = f" index {call.index!r} of" if call.index else ""
        granted = f"which {access_label(use.access)} does not grant" if use else "which the function does not use: add it with use() or grant it"
        return f"{self.prefix}{call.where} calls {call.method} ({need.action}) on{index} {need.table_label}, {granted}"


def _target(call: CodeCall) -> str:
    table = f" on table {call.table!r}" if call.table and not call.table.startswith("env:") else ""
    return f"{table} on index {call.index!r}" if call.index else table


def _warnings(rows: Sequence[PermissionRow], analysis: CodeAnalysis | None, model: FunctionModel) -> Iterator[str]:
    prefix = "" if model.composite else f"{model.function.name}: "
    warned: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.action, "" if model.composite else row.resource)
        if row.verdict is Verdict.UNUSED and key not in warned:
            warned.add(key)
            on = "" if model.composite else f" on {row.resource}"
            yield f"warning: {prefix}{row.action}{on} is granted but {_nobody(row.action, analysis)}"


def _findings(model: FunctionModel) -> Iterator[str]:
    if model.public_url:
        yield f"warning: {model.function.name}: its function URL is public (auth NONE): anyone on the internet can invoke it"
        # https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html; AWS provider 5.100.0 cannot
        # restrict a lambda:InvokeFunction statement to URL calls (AddPermission's InvokedViaFunctionUrl).
        yield (
            f"warning: {model.function.name}: on AWS, a function URL made since October 2025 also needs lambda:InvokeFunction "
            "for * with InvokedViaFunctionUrl, which the pinned AWS provider cannot express: add it after the first deploy (docs/real-aws.md)"
        )


def _nobody(action: str, analysis: CodeAnalysis | None) -> str:
    if action in LOG_GROUP_CREATE_ACTIONS:
        return "Lambda does not need it: the module creates the log group"
    if action.startswith("dynamodb:") and analysis is not None:
        return f"no code in {analysis.source} calls it"
    return "nothing the function or Lambda does needs it"


def is_checkable(settings: LambdaDynamoDbSettings) -> bool:
    """Whether a plan can be made: the access setting must be known (not a Terraform value)."""
    return access_is_known(settings.access)


def access_is_known(access: object) -> bool:
    return not (isinstance(access, (list, tuple)) and is_unresolved(access)) and not (isinstance(access, str) and is_unresolved(access))


# --- validation with the permission check ------------------------------------------------------


def validation_problems(settings: LambdaDynamoDbSettings, *, permissions: bool = True) -> list[str]:
    """Every problem of the settings (:func:`~lambda_dynamodb.config.validation.settings_problems`);
    once they are sound (and with ``permissions``), every call the grant does not cover.

    Here rather than in :mod:`lambda_dynamodb.config.validation`, which does not import the code
    analysis: the permission check is the one rule that reads the function's code.
    """
    problems = settings_problems(settings)
    if permissions and not problems and is_checkable(settings):
        problems += permission_plan(settings).errors
    return problems


def validate(settings: LambdaDynamoDbSettings) -> None:
    """Raise one :class:`~lambda_dynamodb.config.errors.ConfigurationError` listing every problem of
    ``settings``, the calls of the function's code its grant does not cover included."""
    raise_if_any(validation_problems(settings))
