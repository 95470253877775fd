"""The Lambda function: its code asset (and dependencies' layer), its log group and the function."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cdktf import AssetType, Fn, Op, Precondition, TerraformAsset, TerraformResourceLifecycle
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
from constructs import Construct

from .code_package import FunctionCode, Package, build
from .enums import Architecture, LogsMode, Runtime, TracingMode
from .lambda_service import ServiceUse, log_group_name, statements
from .policy import Statement
from .role import FunctionRole
from .settings import FunctionSettings
from .tokens import is_unresolved, terraform_value

#: Structured logs: CloudWatch Logs Insights can query JSON fields without parsing.
LOG_FORMAT = "JSON"

__all__ = ["LOG_FORMAT", "Function", "log_group_name"]


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
    return asset, _Code(asset.path, zipped.code_sha256)


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
    """``aws_lambda_function`` packaged from a source directory, logging to its own log group.

    The function's role gets what the Lambda service does with it for these settings (see
    :mod:`.lambda_service`): the logs statements of ``logs`` (see :class:`LogsMode`), X-Ray
    when tracing is ``Active``, and what the opt-in features need.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        settings: FunctionSettings,
        *,
        role: FunctionRole,
        table_name: str,
        key_names: str | None = None,
        logs: LogsMode = LogsMode.SCOPED,
        code: FunctionCode | None = None,
    ) -> None:
        """``code``: the built package (built here when not given); ``key_names``: the table's
        key attribute names, comma-separated, for the function's environment."""
        super().__init__(scope, id)
        self._role = role
        self._log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=log_group_name(settings.name),
            retention_in_days=settings.log_retention_days,
            kms_key_id=settings.log_kms_key_arn,
            tags=dict(settings.tags) or None,
            lifecycle=_log_key_in_region(settings.log_kms_key_arn, role.arn_context.region),
        )
        if settings.import_log_group:
            # A group Lambda (or an earlier stack) created: adopted, not created again.
            self._log_group.import_from(log_group_name(settings.name))
        role.add_statements(*statements(ServiceUse.of(settings), logs))
        built = code if code is not None or settings.package is not None else build(settings)
        self._asset, package = _code(self, settings, built)
        self._layer = _layer(self, settings, built.layer) if built and built.layer else None
        variables = {**settings.environment, settings.table_name_variable: table_name}
        if key_names:
            variables[settings.key_names_variable] = key_names
        self._function = LambdaFunction(
            self,
            "function",
            function_name=settings.name,
            role=role.role.arn,
            handler=settings.handler,
            runtime=terraform_value(Runtime, settings.runtime),
            architectures=[terraform_value(Architecture, settings.architecture)],
            memory_size=settings.memory_mb,
            timeout=settings.timeout_seconds,
            filename=package.filename,
            source_code_hash=package.source_code_hash,
            layers=[self._layer.arn] if self._layer else None,
            environment=LambdaFunctionEnvironment(variables=variables),
            logging_config=LambdaFunctionLoggingConfig(log_format=LOG_FORMAT, log_group=self._log_group.name),
            tracing_config=LambdaFunctionTracingConfig(mode=terraform_value(TracingMode, settings.tracing)),
            tags=dict(settings.tags) or None,
            **_feature_arguments(settings),
            # Without these, the first invocations could run before the function may log, and
            # Lambda would create the log group itself, without retention.
            depends_on=[self._log_group, role.attachment],
        )

    def add_statements(self, *statements: Statement) -> None:
        """Grow the function's permissions (grants call this)."""
        self._role.add_statements(*statements)

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
    def layer(self) -> LambdaLayerVersion | None:
        """The dependencies' layer, when they go in one (``DependencyPackaging.LAYER``)."""
        return self._layer

    @property
    def role(self) -> FunctionRole:
        return self._role
