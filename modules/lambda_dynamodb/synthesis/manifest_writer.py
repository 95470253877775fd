"""Writing a stack's permissions manifest while the app is synthesized.

The first :class:`~lambda_dynamodb.constructs.function.Function` of a stack creates the stack's
:class:`ManifestWriter` (a construct child of the stack, one per stack) and every function
registers with it. The writer wraps the stack's synthesizer: CDKTF's own runs first (aspects,
validations, custom synthesis, ``cdk.tf.json``), then the manifest is written next to
``cdk.tf.json``, whole (a temporary file renamed over it). So a stack whose check fails, or that
has an error annotation, gets no manifest. (CDKTF's custom-synthesis hook, ``addCustomSynthesis``,
is not part of its jsii API: Python cannot register one; ``TerraformStack.synthesizer`` is.)

The rows are the functions' permission plans, judged in the stack's own partition and region
(its AWS provider's, when written literally) with the account shown as ``<account>``. Every
Terraform token left in a value (a queue's ARN, ...) is written as the Terraform expression it
stands for, so the file is plain data, the same bytes for the same app.
"""

from __future__ import annotations

import json
import os
import tempfile
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsii
from cdktf import (
    DefaultTokenResolver,
    IStackSynthesizer,
    ISynthesisSession,
    StringConcat,
    TerraformResource,
    TerraformStack,
    Tokenization,
)
from constructs import Construct

from lambda_dynamodb._version import __version__
from lambda_dynamodb.config.tokens import is_unresolved
from lambda_dynamodb.iam.lambda_service import Feature, TriggerUse
from lambda_dynamodb.iam.permissions import GrantKind, PermissionPlan, TableUse, function_plan
from lambda_dynamodb.iam.policy import ArnContext, partition_of
from lambda_dynamodb.packaging.code_package import zip_summary
from lambda_dynamodb.synthesis.manifest_model import (
    ACCOUNT_PLACEHOLDER,
    FILE_NAME,
    CallEntry,
    FunctionEntry,
    Generator,
    Manifest,
    PackageEntry,
    PackageOrigin,
    PermissionEntry,
    RoleEntry,
    TableEntry,
    TriggerEntry,
    TriggerKind,
    UnresolvedEntry,
    UrlEntry,
    parse,
)

if TYPE_CHECKING:
    from lambda_dynamodb.constructs.function import Function

#: The writer's construct id, under the stack.
WRITER_ID = "lambda_dynamodb_permissions_manifest"
PACKAGE_NAME = "cdktf-lambda-dynamodb"
#: What CDKTF's annotations call an error (``Annotations.of(x).add_error``).
_ERROR_ANNOTATION = "@cdktf/error"


def manifest_writer(scope: Construct) -> ManifestWriter:
    """The manifest writer of ``scope``'s stack, created on first use."""
    stack = TerraformStack.of(scope)
    found = stack.node.try_find_child(WRITER_ID)
    if isinstance(found, ManifestWriter):
        return found
    return ManifestWriter(stack, WRITER_ID)


class ManifestWriter(Construct):
    """Holds the stack's functions; writes their manifest when the app is synthesized."""

    def __init__(self, stack: TerraformStack, id: str) -> None:
        super().__init__(stack, id)
        self._stack = stack
        self._functions: list[Function] = []
        stack.synthesizer = _Synthesizer(stack.synthesizer, self)

    def add(self, function: Function) -> None:
        self._functions.append(function)

    @property
    def stack(self) -> TerraformStack:
        return self._stack

    def manifest(self) -> Manifest:
        """The stack's manifest as it stands now (tokens resolved to Terraform expressions)."""
        region = _provider_region(self._stack)
        context = ArnContext(partition_of(region) if region else "<partition>", region or "<region>", ACCOUNT_PLACEHOLDER)
        functions = sorted(self._functions, key=lambda function: function.node.path)
        draft = Manifest(
            stack=self._stack.node.id,
            region=region,
            partition=partition_of(region) if region else None,
            generator=Generator(PACKAGE_NAME, __version__),
            functions=tuple(_function_entry(function, context) for function in functions),
        )
        # Read back as the reader reads it: what is written is what every reader gets.
        return parse(_resolved(draft.to_dict(), self._stack))

    def write(self, stack_dir: Path) -> Path | None:
        """Write the manifest into ``stack_dir``; none when the stack has error annotations (the
        cdktf CLI synthesizes on, then fails: no manifest may describe that output)."""
        target = stack_dir / FILE_NAME
        if _has_errors(self._stack):
            target.unlink(missing_ok=True)
            return None
        stack_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, self.manifest().to_json())
        return target


@jsii.implements(IStackSynthesizer)
class _Synthesizer:
    """CDKTF's synthesizer of the stack, then the manifest (only if that one succeeded)."""

    def __init__(self, inner: IStackSynthesizer, writer: ManifestWriter) -> None:
        self._inner = inner
        self._writer = writer

    def synthesize(self, session: ISynthesisSession) -> None:
        self._inner.synthesize(session)
        folder = session.manifest.for_stack(self._writer.stack).working_directory
        self._writer.write(Path(session.outdir) / folder)


# --- one function ----------------------------------------------------------------------------


def _function_entry(function: Function, context: ArnContext) -> FunctionEntry:
    plan = function_plan(function.model(), context)
    settings = function.settings
    analysis = plan.analysis
    return FunctionEntry(
        name=settings.name,
        path=function.node.path,
        address=_address(function.resource),
        role=_role_entry(function),
        permissions=tuple(PermissionEntry(row.action, row.resource, row.why, row.verdict) for row in plan.rows),
        findings=tuple(finding.removeprefix("warning: ") for finding in plan.findings),
        tables=tuple(_table_entry(use, plan, context) for use in function.uses),
        triggers=tuple(_trigger_entry(trigger, context) for trigger in function.model().triggers),
        url=UrlEntry(function.url.auth.value, function.url.public, _address(function.url.resource)) if function.url else None,
        calls=tuple(
            CallEntry(call.path, call.line, call.method, call.operation, tuple(call.actions), call.table, call.index)
            for call in (analysis.calls if analysis else ())
        ),
        unresolved=tuple(UnresolvedEntry(u.path, u.line, u.reason) for u in (analysis.unresolved if analysis else ())),
        package=_package_entry(function),
        handler=settings.handler,
        runtime=_text(settings.runtime),
        source=analysis.source if analysis else None,
        checked=analysis is not None,
        warnings=tuple(w.removeprefix("warning: ") for w in plan.warnings if w not in plan.findings),
        errors=tuple(plan.errors),
        layer=_layer_entry(function),
    )


def _role_entry(function: Function) -> RoleEntry:
    role = function.role
    return RoleEntry(
        name=role.role_name,
        address=_address(role.role) if role.role is not None else None,
        policy=role.policy_name,
        policy_address=_address(role.policy),
        existing=role.role is None,
    )


def _table_entry(use: TableUse, plan: PermissionPlan, context: ArnContext) -> TableEntry:
    granted = [a for g in plan.grants if g.use == use and g.kind is GrantKind.TABLE for a in g.statement.actions]
    access = use.access
    shown: str | tuple[str, ...] = _text(access) if isinstance(access, str) else tuple(_text(a) for a in access)
    return TableEntry(use.table_name, shown, use.env, use.arn.render(context), tuple(dict.fromkeys(granted)))


def _trigger_entry(trigger: TriggerUse, context: ArnContext) -> TriggerEntry:
    kind = TriggerKind.STREAM if trigger.feature is Feature.STREAM_TRIGGER else TriggerKind.QUEUE
    return TriggerEntry(kind, trigger.source.render(context), trigger.label, trigger.on_failure_arn, trigger.kms_key_arn)


def _package_entry(function: Function) -> PackageEntry:
    asset, zipped = function.asset, function.package_zip
    if asset is None or zipped is None:
        # A path only Terraform reads (a variable): it hashes the file at plan time.
        return PackageEntry(file=str(function.settings.package), sha256=None, files=None, bytes=None, origin=PackageOrigin.TERRAFORM)
    origin = PackageOrigin.GIVEN if function.settings.package is not None else PackageOrigin.BUILT
    return _zip_entry(asset.path, zipped, origin)


def _layer_entry(function: Function) -> PackageEntry | None:
    layer, zipped = function.layer, function.layer_zip
    if layer is None or zipped is None:
        return None
    return _zip_entry(layer.filename, zipped, PackageOrigin.BUILT)


def _zip_entry(file: str, zipped: Path, origin: PackageOrigin) -> PackageEntry:
    # The zip the asset copies: the stack folder's copy is the same bytes (asset hash = SHA-256).
    summary = zip_summary(zipped)
    return PackageEntry(
        file=file,
        sha256=summary.sha256,
        files=summary.files,
        bytes=summary.zipped_bytes,
        origin=origin,
        unzipped_bytes=summary.unzipped_bytes,
        code_sha256=summary.code_sha256,
    )


# --- the stack -------------------------------------------------------------------------------


def _provider_region(stack: TerraformStack) -> str | None:
    """The region of the stack's default AWS provider, when it is literal text."""
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    for node in stack.node.find_all():
        if isinstance(node, AwsProvider) and node.alias is None:
            region = node.region
            return region if isinstance(region, str) and region and not is_unresolved(region) else None
    return None


def _has_errors(stack: TerraformStack) -> bool:
    return any(entry.type == _ERROR_ANNOTATION for node in stack.node.find_all() for entry in node.node.metadata)


def _address(resource: TerraformResource) -> str:
    """The resource's Terraform address (``type.name``), as plans and state name it."""
    return f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"


def _text(value: Any) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


# --- plain data ------------------------------------------------------------------------------


def _resolved(value: Any, stack: TerraformStack) -> Any:
    """``value`` with every token string replaced by the Terraform expression it stands for."""
    if isinstance(value, dict):
        return {key: _resolved(item, stack) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, stack) for item in value]
    if isinstance(value, str) and is_unresolved(value):
        expression = Tokenization.resolve(value, scope=stack, resolver=DefaultTokenResolver(StringConcat()))
        return expression if isinstance(expression, str) else json.dumps(expression, sort_keys=True)
    return value


def _write_atomically(target: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never part of one."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from the team's other accounts
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
