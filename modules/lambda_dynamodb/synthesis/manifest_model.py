"""The permissions manifest's content, as typed values: what one stack's functions may do, and why.

One file per synthesized stack, ``<outdir>/stacks/<stack>/lambda-dynamodb.permissions.json``
(docs/manifest.md). :mod:`.manifest_writer` makes a :class:`Manifest` from the stack's functions
when the app is synthesized; :mod:`.manifest` reads it back. Both go through :meth:`Manifest.to_json`
and :func:`parse`, so what is written is exactly what can be read.

Version policy: a field added keeps :data:`VERSION` (readers ignore fields they do not know, and an
added field has a default here for manifests written before it); removing, renaming or changing
the meaning of a field bumps it, and a reader refuses a version it does not know.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lambda_dynamodb.iam.verdict import Verdict

SCHEMA = "lambda-dynamodb.permissions"
VERSION = 1
#: The file's name in the stack's folder, next to ``cdk.tf.json``.
FILE_NAME = "lambda-dynamodb.permissions.json"
#: Accounts are never in the manifest: ARNs show this instead.
ACCOUNT_PLACEHOLDER = "<account>"


class PackageOrigin(str, Enum):
    #: Built by the module from ``source_dir`` (with its dependencies).
    BUILT = "built"
    #: A zip the app passed as ``package``: copied as it is.
    GIVEN = "given"
    #: A path only Terraform knows (a variable): not summarized.
    TERRAFORM = "terraform"


class TriggerKind(str, Enum):
    STREAM = "stream"
    QUEUE = "queue"


@dataclass(frozen=True)
class Generator:
    package: str
    version: str


@dataclass(frozen=True)
class RoleEntry:
    name: str
    #: ``aws_iam_role.<id>``; None for a role made elsewhere (``ExistingRole``).
    address: str | None
    policy: str
    policy_address: str
    existing: bool


@dataclass(frozen=True)
class PermissionEntry:
    """One (action, resource) the role's policy grants, or a call it lacks (verdict ``missing``)."""

    action: str
    resource: str
    why: tuple[str, ...]
    verdict: Verdict


@dataclass(frozen=True)
class TableEntry:
    name: str
    #: A level (``read``, ``write``, ``read_write``, ``from_code``) or the listed actions.
    access: str | tuple[str, ...]
    #: The environment variable holding the table's name (how the code names the table).
    env: str | None
    arn: str = ""
    #: The table actions granted on it (for ``from_code``: the code's calls).
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriggerEntry:
    kind: TriggerKind
    #: The stream (``.../table/<name>/stream/*``) or the queue's ARN.
    source: str
    label: str = ""
    on_failure: str | None = None
    kms_key: str | None = None


@dataclass(frozen=True)
class UrlEntry:
    auth: str
    public: bool
    address: str = ""


@dataclass(frozen=True)
class CallEntry:
    """One DynamoDB call the code makes (``file`` as the rows' *why* names it)."""

    file: str
    line: int
    method: str
    operation: str
    actions: tuple[str, ...]
    #: ``env:<VARIABLE>``, a literal table name, or None when the code does not say.
    table: str | None
    index: str | None


@dataclass(frozen=True)
class UnresolvedEntry:
    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class PackageEntry:
    """A zip of the function's, in the stack's folder (``file`` relative to it)."""

    file: str
    #: Hex SHA-256 of the zip; None when Terraform reads a path the module cannot.
    sha256: str | None
    files: int | None
    #: The zip's own size.
    bytes: int | None
    origin: PackageOrigin = PackageOrigin.BUILT
    unzipped_bytes: int | None = None
    #: Base64 of the SHA-256: what Lambda reports as ``CodeSha256``.
    code_sha256: str | None = None


@dataclass(frozen=True)
class FunctionEntry:
    name: str
    #: The construct path (``<stack>/<id>/...``).
    path: str
    #: ``aws_lambda_function.<id>``.
    address: str
    role: RoleEntry
    permissions: tuple[PermissionEntry, ...]
    findings: tuple[str, ...]
    tables: tuple[TableEntry, ...]
    triggers: tuple[TriggerEntry, ...]
    url: UrlEntry | None
    calls: tuple[CallEntry, ...]
    unresolved: tuple[UnresolvedEntry, ...]
    package: PackageEntry | None
    handler: str = ""
    runtime: str = ""
    #: The code's folder as the rows name it; None when the code is not read (check_code off).
    source: str | None = None
    #: Whether the code's calls were read and judged against the grant.
    checked: bool = False
    #: What synthesis reported as warnings (granted and unused, calls it cannot read, ...).
    warnings: tuple[str, ...] = ()
    #: What fails synthesis (only written when validation was skipped).
    errors: tuple[str, ...] = ()
    layer: PackageEntry | None = None

    @property
    def missing(self) -> tuple[PermissionEntry, ...]:
        return tuple(row for row in self.permissions if row.verdict is Verdict.MISSING)


@dataclass(frozen=True)
class Manifest:
    stack: str
    #: The stack's region when its AWS provider names it literally; None otherwise.
    region: str | None
    partition: str | None
    generator: Generator
    #: Ordered by construct path.
    functions: tuple[FunctionEntry, ...]
    schema: str = SCHEMA
    version: int = VERSION

    def to_dict(self) -> dict[str, Any]:
        return typing.cast(dict[str, Any], _plain(self))

    def to_json(self) -> bytes:
        """Deterministic bytes: sorted keys (lists keep their order), ASCII, a final newline."""
        return (json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


# --- reading ---------------------------------------------------------------------------------


class ManifestFormatError(ValueError):
    """A field of the manifest is missing or of the wrong type; the message names its path."""


def parse(document: object) -> Manifest:
    """The :class:`Manifest` of a decoded JSON document (schema and version checked by the caller)."""
    return typing.cast(Manifest, _read(Manifest, document, "manifest"))


def _read(kind: Any, value: object, where: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _read(option, value, where)
            except ManifestFormatError as error:
                errors.append(error)
        raise errors[0]
    if origin is tuple:
        if not isinstance(value, list):
            raise ManifestFormatError(f"{where} is {_shown(value)}: a list")
        (item,) = typing.get_args(kind)[:1]
        return tuple(_read(item, element, f"{where}[{index}]") for index, element in enumerate(value))
    if dataclasses.is_dataclass(kind):
        return _read_dataclass(kind, value, where)
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError:
            known = ", ".join(repr(member.value) for member in kind)
            raise ManifestFormatError(f"{where} is {_shown(value)}: one of {known}") from None
    if kind is bool or kind is str:
        if not isinstance(value, kind):
            raise ManifestFormatError(f"{where} is {_shown(value)}: a {'boolean' if kind is bool else 'string'}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ManifestFormatError(f"{where} is {_shown(value)}: a whole number")
        return value
    raise TypeError(f"no reader for {kind!r}")  # a field type this module does not handle


def _read_dataclass(kind: Any, value: object, where: str) -> Any:
    if not isinstance(value, dict):
        raise ManifestFormatError(f"{where} is {_shown(value)}: an object")
    hints = typing.get_type_hints(kind)
    found: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        if field.name in value:
            found[field.name] = _read(hints[field.name], value[field.name], f"{where}.{field.name}")
        elif field.default is dataclasses.MISSING:
            raise ManifestFormatError(f"{where}.{field.name} is missing")
    # Fields this reader does not know are ignored: adding one keeps the version.
    return kind(**found)


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
