"""The Lambda function: its role, code asset (and dependencies' layer), log group, the function,
the tables it uses, its triggers and URL, and the check of its permissions at synthesis."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from cdktf import Annotations, AssetType, Fn, Op, Precondition, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionLoggingConfig,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_layer_version import LambdaLayerVersion
from constructs import Construct, IValidation

from lambda_dynamodb.iam.access import access_label, access_problems
from lambda_dynamodb.config import defaults
from lambda_dynamodb.packaging.code_package import FunctionCode, Package, build
from lambda_dynamodb.config.enums import Architecture, LogsMode, Runtime, TracingMode
from lambda_dynamodb.config.errors import problem, raise_if_any
from lambda_dynamodb.constructs.event_sources import FunctionUrlEndpoint, queue_mapping, stream_mapping
from lambda_dynamodb.iam.lambda_service import Feature, TriggerUse, log_group_name
from lambda_dynamodb.constructs.names import claim
from lambda_dynamodb.iam.permissions import FunctionModel, GrantKind, PermissionPlan, TableUse, access_is_known, function_plan
from lambda_dynamodb.iam.policy import Arn, Statement
from lambda_dynamodb.constructs.role import FunctionRole
from lambda_dynamodb.config.settings import AccessSetting, ExistingRole, FunctionSettings, RoleSettings
from lambda_dynamodb.constructs.table import ImportedTable, Table
from lambda_dynamodb.synthesis.manifest_writer import manifest_writer
from lambda_dynamodb.config.tokens import is_unresolved, literal_map, terraform_value
from lambda_dynamodb.config.validation import (
    ENV_NAME_RULE,
    RESERVED_ENV_NAMES,
    ENV_NAME_PATTERN,
    code_check_problems,
    enum_problems,
    environment_problems,
    existing_role_problems,
    function_problems,
    role_problems,
    with_type_problems,
)
from lambda_dynamodb.config.triggers import FunctionUrl, QueueTrigger, StreamTrigger, Trigger, trigger_problems, url_problems

#: Structured logs: CloudWatch Logs Insights can query JSON fields without parsing.
LOG_FORMAT = "JSON"

__all__ = ["LOG_FORMAT", "Function", "log_group_name"]

TableLike = Table | ImportedTable


def _log_key_in_region(key_arn: str | None, region: str) -> TerraformResourceLifecycle | None:
    """CloudWatch Logs uses only keys of its own region: checked by Terraform at plan time, where
    the stack's region is known (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html)."""
    if key_arn is None:
        return None
    in_region = Op.eq(Fn.element(Fn.split(":", key_arn), 3), region)
    message = f"function.log_kms_key_arn '{key_arn}' is invalid: a KMS key in the stack's region: CloudWatch Logs only uses keys of its own region"
    return TerraformResourceLifecycle(precondition=[Precondition(condition=in_region, error_message=message)])


def _feature_arguments(settings: FunctionSettings) -> dict[str, object]:
    """The function's opt-in hardening settings, as resource arguments (absent when off)."""
    arguments: dict[str, object] = {
        "reserved_concurrent_executions": settings.reserved_concurrency,
        "kms_key_arn": settings.environment_kms_key_arn,
        "code_signing_config_arn": settings.code_signing_config_arn,
    }
    if settings.dead_letter_target_arn:
        arguments["dead_letter_config"] = LambdaFunctionDeadLetterConfig(target_arn=settings.dead_letter_target_arn)
    if settings.subnet_ids:
        arguments["vpc_config"] = LambdaFunctionVpcConfig(
            subnet_ids=list(settings.subnet_ids), security_group_ids=list(settings.security_group_ids)
        )
    return {name: value for name, value in arguments.items() if value is not None}


@dataclass(frozen=True)
class _Code:
    filename: str
    source_code_hash: str
    #: The zip the asset copies into the output (None: a path Terraform reads).
    zip: Path | None = None


def _code(scope: Construct, settings: FunctionSettings, built: FunctionCode | None) -> tuple[TerraformAsset | None, _Code]:
    """The function's zip: ``package`` as it is, or built from ``source_dir`` (see :mod:`.code_package`)."""
    if settings.package is not None and is_unresolved(settings.package):
        # Only Terraform can read it: it hashes the file at plan time.
        package = str(settings.package)
        return None, _Code(package, Fn.filebase64sha256(package))
    if settings.package is not None:
        path = Path(settings.package).resolve()
        zipped = Package(path, hashlib.sha256(path.read_bytes()).digest())
    else:
        zipped = (built or build(settings)).function  # built by the caller, or here
    return _asset(scope, "code", zipped)


def _asset(scope: Construct, id: str, zipped: Package) -> tuple[TerraformAsset, _Code]:
    # The zip's own SHA-256 is what Lambda reports as CodeSha256, so a deployment can be
    # checked against the file; the zip is reproducible, so it changes only with its content.
    asset = TerraformAsset(scope, id, path=str(zipped.path), type=AssetType.FILE, asset_hash=zipped.sha256.hex())
    return asset, _Code(asset.path, zipped.code_sha256, zipped.path)


def _layer(scope: Construct, settings: FunctionSettings, zipped: Package) -> LambdaLayerVersion:
    """The dependencies' own layer, usable only by the function's runtime and architecture."""
    _, code = _asset(scope, "dependencies_code", zipped)
    return LambdaLayerVersion(
        scope,
        "dependencies",
        layer_name=f"{settings.name}-dependencies",
        description=f"Python dependencies of {settings.name} (its requirements.txt)",
        filename=code.filename,
        source_code_hash=code.source_code_hash,
        compatible_runtimes=[terraform_value(Runtime, settings.runtime)],
        compatible_architectures=[terraform_value(Architecture, settings.architecture)],
    )


class Function(Construct):
    """A Lambda function with the role it runs as, granted exactly what it needs.

    Creates the function's role (``<name>-role``) and policy (``<name>-policy``) unless ``role``
    names them (:class:`RoleSettings`) or is a role made elsewhere (:class:`ExistingRole`), its
    log group ``/aws/lambda/<name>`` and the function, packaged from ``source_dir`` with its
    dependencies. :meth:`use` gives it a table, :meth:`add_trigger` a stream or queue,
    :meth:`add_url` an HTTPS endpoint. The role gets what the Lambda service does with it for
    these settings and triggers (see :mod:`.lambda_service`).

    Its permissions (:attr:`permissions`) are judged on the statements the role holds when the
    app is synthesized, grants added later included: a call the code makes that no statement
    allows fails synthesis, naming the function, the file and line, the call and the table.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        settings: FunctionSettings,
        *,
        role: RoleSettings | ExistingRole | FunctionRole | None = None,
        logs: LogsMode = LogsMode.SCOPED,
        check_code: bool = True,
        code: FunctionCode | None = None,
        _composite: bool = False,
    ) -> None:
        """``code``: the built package (built here when not given)."""
        role_settings = _role_settings(settings, role)
        raise_if_any(_problems(scope, id, settings, role_settings, logs, check_code, composite=_composite))
        # Built before any construct: a dependency without a wheel for Lambda, or a package over
        # Lambda's limits, fails here with nothing created.
        built = code if code is not None or settings.package is not None else build(settings)
        super().__init__(scope, id)
        self._settings = settings
        self._logs = LogsMode(logs)
        self._check_code = check_code
        self._composite = _composite
        self._uses: list[TableUse] = []
        self._triggers: list[TriggerUse] = []
        self._urls: list[FunctionUrlEndpoint] = []
        self._variables: dict[str, str] = dict(settings.environment)
        #: The same variables with the tables' names as text (the deployed values), for the 4 KB limit.
        self._sized: dict[str, str] = dict(settings.environment)
        self._plan: PermissionPlan | None = None
        if isinstance(role, FunctionRole):
            self._role = role
        else:
            self._role = FunctionRole(self, "role", role_settings, policy_name=f"{settings.name}-policy")  # type: ignore[arg-type]
        self._log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=log_group_name(settings.name),
            retention_in_days=settings.log_retention_days,
            kms_key_id=settings.log_kms_key_arn,
            tags=literal_map(settings.tags),
            lifecycle=_log_key_in_region(settings.log_kms_key_arn, self._role.arn_context.region),
        )
        if settings.import_log_group:
            # A group Lambda (or an earlier stack) created: adopted, not created again.
            self._log_group.import_from(log_group_name(settings.name))
        self._asset, package = _code(self, settings, built)
        self._layer = _layer(self, settings, built.layer) if built and built.layer else None
        self._package_zip = package.zip
        self._layer_zip = built.layer.path if built and built.layer else None
        self._function = LambdaFunction(
            self,
            "function",
            function_name=settings.name,
            role=self._role.arn,
            handler=settings.handler,
            runtime=terraform_value(Runtime, settings.runtime),
            architectures=[terraform_value(Architecture, settings.architecture)],
            memory_size=settings.memory_mb,
            timeout=settings.timeout_seconds,
            filename=package.filename,
            source_code_hash=package.source_code_hash,
            layers=[self._layer.arn] if self._layer else None,
            environment=LambdaFunctionEnvironment(variables=literal_map(self._variables)) if self._variables else None,
            logging_config=LambdaFunctionLoggingConfig(log_format=LOG_FORMAT, log_group=self._log_group.name),
            tracing_config=LambdaFunctionTracingConfig(mode=terraform_value(TracingMode, settings.tracing)),
            tags=literal_map(settings.tags),
            **_feature_arguments(settings),
            # Without these, the first invocations could run before the function may log, and
            # Lambda would create the log group itself, without retention.
            depends_on=[self._log_group, self._role.attachment],
        )
        self._role.on_change(self._refresh)
        self._refresh()
        self.node.add_validation(_PermissionCheck(self))
        # The stack's permissions manifest lists the function (written when the app is synthesized).
        manifest_writer(self).add(self)

    # --- what the function uses ----------------------------------------------------------------

    def use(
        self,
        table: TableLike,
        *,
        access: AccessSetting,
        env: str = defaults.TABLE_NAME_VARIABLE,
        key_names_env: str | None = None,
        allow_wildcards: bool = False,
    ) -> tuple[Statement, ...]:
        """Give the function ``table``: its name in the variable ``env``, and ``access`` to it.

        ``access`` is a level (``Access.READ``, ...), ``Access.FROM_CODE`` (exactly the calls
        the code makes on this table, decided when the app is synthesized), or a list of
        actions. ``key_names_env`` also passes the table's key attribute names. Returns the
        statements granted (for ``from_code``, as the code reads now).
        """
        raise_if_any(self._use_problems(table, access, env, key_names_env, allow_wildcards))
        self._uses.append(
            TableUse(
                table_name=table.table_name,
                arn=table.arn_model,
                access=tuple(access) if isinstance(access, list) else access,
                env=env,
                has_indexes=table.has_indexes,
                kms_key_arn=table.kms_key_arn,
                allow_wildcards=allow_wildcards,
                label=access_label(access) if self._composite else None,
            )
        )
        self._variables[env] = table.name
        self._sized[env] = table.table_name
        if key_names_env and table.key_names:
            self._variables[key_names_env] = self._sized[key_names_env] = ",".join(table.key_names)
        self._function.put_environment(variables=literal_map(self._variables))
        self._refresh()
        return self._use_statements(self._uses[-1])

    def _use_problems(self, table: object, access: object, env: object, key_names_env: object, allow_wildcards: object) -> list[str]:
        field = f"{self._settings.name}.use"
        if not isinstance(table, (Table, ImportedTable)):
            return [problem(f"{field}.table", type(table).__name__, "a Table or ImportedTable")]
        found = access_problems(access, allow_wildcards is True, f"{field}({table.table_name}).access")
        if not isinstance(allow_wildcards, bool):
            found.append(problem(f"{field}({table.table_name}).allow_wildcards", allow_wildcards, "true or false"))
        for name, value in (("env", env), ("key_names_env", key_names_env)):
            if value is None and name == "key_names_env":
                continue
            if not (isinstance(value, str) and ENV_NAME_PATTERN.fullmatch(value)) or value in RESERVED_ENV_NAMES:
                found.append(problem(f"{field}({table.table_name}).{name}", value, ENV_NAME_RULE))
            elif value in self._variables:
                found.append(problem(f"{field}({table.table_name}).{name}", value, "the function's environment sets this variable already"))
        if any(use.table_name == table.table_name for use in self._uses):
            found.append(problem(f"{field}.table", table.table_name, "the function uses this table already: one use() per table"))
        return found

    def _use_statements(self, use: TableUse) -> tuple[Statement, ...]:
        plan = self._plan
        if plan is None:
            return ()
        return tuple(grant.statement for grant in plan.grants if grant.use == use)

    def add_trigger(self, trigger: Trigger) -> Any:
        """Invoke the function from a table's stream or a queue; returns the event source mapping.
        The role gets what Lambda's poller does with it (see :mod:`.lambda_service`)."""
        field = f"{self._settings.name}.triggers[{len(self._triggers)}]"
        raise_if_any(trigger_problems(trigger, field, self._settings.timeout_seconds))
        after = [self._role.attachment]
        if isinstance(trigger, StreamTrigger):
            source = trigger.table
            if self.node.try_find_child(f"{source.table_name}_stream") is not None:
                raise_if_any([problem(f"{field}.table", source.table_name, "the function has a trigger on this table's stream already")])
            self._triggers.append(TriggerUse(Feature.STREAM_TRIGGER, source.stream_resource(), f"the stream of {source.table_name}", trigger.on_failure_arn))
            mapping = stream_mapping(self, f"{source.table_name}_stream", self._function.function_name, trigger, after)
        else:
            assert isinstance(trigger, QueueTrigger)
            queue = Arn.of(trigger.queue_arn)
            label = f"queue {trigger.queue_arn}" if not is_unresolved(trigger.queue_arn) else f"queue {len(self._triggers)}"
            self._triggers.append(TriggerUse(Feature.QUEUE_TRIGGER, queue, label, kms_key_arn=trigger.kms_key_arn))
            mapping = queue_mapping(self, f"queue_{len(self._triggers) - 1}", self._function.function_name, trigger, after)
        self._refresh()
        return mapping

    def add_url(self, url: FunctionUrl | None = None) -> FunctionUrlEndpoint:
        """An HTTPS endpoint for the function: signed callers only, unless ``public=True``."""
        settings = url or FunctionUrl()
        raise_if_any(url_problems(settings, f"{self._settings.name}.url"))
        if self._urls:
            raise_if_any([problem(f"{self._settings.name}.url", "a second URL", "a function has one URL")])
        endpoint = FunctionUrlEndpoint(self, "url", self._function.function_name, settings)
        self._urls.append(endpoint)
        self._refresh()
        return endpoint

    def add_statements(self, *statements: Statement) -> tuple[Statement, ...]:
        """Give the function's role more statements (rows show them as "added by hand")."""
        return self._role.add_statements(*statements)

    def record(self, statements: tuple[Statement, ...], granted_by: str, kind: GrantKind) -> tuple[Statement, ...]:
        """What a table's ``grant`` calls: the statements, with what granted them."""
        return self._role.record(statements, granted_by, kind)

    # --- the permissions -----------------------------------------------------------------------

    def model(self) -> FunctionModel:
        """Everything that decides the function's permissions, as it stands now."""
        return FunctionModel(
            function=self._settings,
            uses=tuple(self._uses),
            triggers=tuple(self._triggers),
            extra=self._role.extra,
            logs=self._logs,
            check_code=self._check_code and self._checkable,
            public_url=any(url.public for url in self._urls),
            composite=self._composite,
        )

    def _refresh(self) -> None:
        # The role's own statements are decided by the plan (from_code grants read the code), so
        # they are decided again whenever something the plan reads changes.
        model = self.model()
        plan = function_plan(model)
        own = plan.grants[: len(plan.grants) - len(model.extra)]
        self._role.set_statements(tuple(grant.statement for grant in own))
        self._plan = plan if self._checkable else None

    @property
    def _checkable(self) -> bool:
        """Whether a plan can judge the grants: no access setting is a Terraform value."""
        return all(access_is_known(use.access) for use in self._uses)

    @property
    def permissions(self) -> PermissionPlan | None:
        """Every permission of the role with why it is there, and the verdicts (the final rows once
        the app is complete); None when an access setting is a Terraform value."""
        return self._plan

    def problems(self) -> list[str]:
        """What fails synthesis: calls no statement allows, and the function's environment size."""
        plan = self._plan
        found = list(plan.errors) if plan else []
        return found + environment_problems(f"{self._settings.name}.environment", self._sized)

    # --- what it is ----------------------------------------------------------------------------

    @property
    def settings(self) -> FunctionSettings:
        return self._settings

    @property
    def name(self) -> str:
        return self._function.function_name

    @property
    def arn(self) -> str:
        return self._function.arn

    @property
    def resource(self) -> LambdaFunction:
        return self._function

    @property
    def log_group(self) -> CloudwatchLogGroup:
        return self._log_group

    @property
    def asset(self) -> TerraformAsset | None:
        """The code package copied into the output; None when Terraform reads a given path."""
        return self._asset

    @property
    def package_zip(self) -> Path | None:
        """The zip :attr:`asset` copies into the stack's folder; None when Terraform reads a given path."""
        return self._package_zip

    @property
    def layer_zip(self) -> Path | None:
        """The zip of the dependencies' layer, when they go in one."""
        return self._layer_zip

    @property
    def layer(self) -> LambdaLayerVersion | None:
        """The dependencies' layer, when they go in one (``DependencyPackaging.LAYER``)."""
        return self._layer

    @property
    def role(self) -> FunctionRole:
        return self._role

    @property
    def url(self) -> FunctionUrlEndpoint | None:
        return self._urls[0] if self._urls else None

    @property
    def uses(self) -> tuple[TableUse, ...]:
        return tuple(self._uses)


@jsii.implements(IValidation)
class _PermissionCheck:
    """Runs when the app is synthesized, on the finished tree: errors stop the synthesis (CDKTF
    prints them by construct path), warnings become annotations (``cdktf synth`` prints them)."""

    def __init__(self, function: Function) -> None:
        self._function = function

    def validate(self) -> list[str]:
        plan = self._function.permissions
        for warning in plan.warnings if plan else ():
            Annotations.of(self._function).add_warning(warning)
        return self._function.problems()


def _role_settings(settings: FunctionSettings, role: object) -> RoleSettings | ExistingRole | FunctionRole | object:
    if role is None:
        return RoleSettings(name=f"{settings.name}-role", policy_name=f"{settings.name}-policy")
    return role


def _problems(scope: Construct, id: str, settings: FunctionSettings, role: object, logs: object, check_code: object, *, composite: bool) -> list[str]:
    found = list(function_problems(settings))
    if isinstance(role, RoleSettings):
        found += role_problems(role)
    elif isinstance(role, ExistingRole):
        found += existing_role_problems(role, settings)
    elif not isinstance(role, FunctionRole):
        found.append(problem("role", type(role).__name__, "RoleSettings, ExistingRole or None"))
    found += enum_problems("logs", logs, LogsMode)
    found += code_check_problems(settings, check_code)
    found = with_type_problems(found, settings, "function")
    if isinstance(role, (RoleSettings, ExistingRole)):
        found = with_type_problems(found, role, "role")
    if found or composite:
        return found  # the composite claims its names itself
    names = [("function.name", "Lambda function", settings.name)]
    if isinstance(role, RoleSettings):
        names += [("role.name", "IAM role", role.name), ("role.policy_name", "IAM policy", role.policy_name)]
    else:
        names.append(("role.policy_name", "IAM policy", f"{settings.name}-policy"))
    return claim(scope, id, names)
