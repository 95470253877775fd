"""Where the app keeps its Terraform state: the ``backend`` setting of ``cdktf.json``.

- ``{"type": "local"}`` (default): ``terraform.lambda-dynamodb.tfstate`` beside ``cdktf.out/``.
- ``{"type": "s3", "bucket": ..., "key": ..., "region": ..., "dynamodbTable": ...}``, or
  ``"useLockfile": true`` instead of ``dynamodbTable`` (S3-native locking, Terraform >= 1.10):
  state in S3, locked.
- ``{"type": "cloud", "organization": ..., "workspace": ...}`` or ``"workspaceTags": [...]``,
  optional ``"hostname"`` (default app.terraform.io): Terraform Cloud / HCP Terraform, where
  runs, state and plan reviews live.

Missing or malformed fields fail before synthesis, each named with its rule: strings are
strings (a number is refused), ``useLockfile`` is ``true`` or ``false`` (``"no"`` is refused, never
read as true).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from lambda_dynamodb.config.errors import problem, shown

FIELD = "context.backend"
KINDS = ("local", "s3", "cloud")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ORGANIZATION = re.compile(r"[A-Za-z0-9_-]{1,255}")
_WORKSPACE = re.compile(r"[A-Za-z0-9_-]{1,90}")
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]+(:[0-9]+)?")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_TABLE = re.compile(r"[A-Za-z0-9_.-]{3,255}")


@dataclass(frozen=True)
class UnreadNumber:
    """A JSON number Python holds no exact value for: more digits than int() reads (4300 by
    default: it raises ValueError), or beyond float's range (it would be infinity). Kept as its
    text, so that the setting holding it is named in a problem instead of failing the read."""

    text: str

    def __repr__(self) -> str:
        return self.text


def _json_int(text: str) -> int | UnreadNumber:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return UnreadNumber(text)


def _json_float(text: str) -> float | UnreadNumber:
    number = float(text)
    return number if math.isfinite(number) else UnreadNumber(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def settings_json(text: str) -> Any:
    """JSON as settings are read (cdktf.json, LAMBDA_DYNAMODB_BACKEND): NaN and Infinity refused
    (they are not JSON), a number Python has no value for kept as an ``UnreadNumber``. Raises
    ValueError (malformed) or RecursionError (nested deeper than the parser goes)."""
    return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_no_constant)


#: The rule for JSON nested deeper than json.loads goes (it raises RecursionError).
NESTING = "nested no deeper than Python's JSON reader goes (about 1000 levels)"


def max_digits() -> int:
    """The most digits int() reads from text (0: no limit)."""
    return sys.get_int_max_str_digits()


@dataclass(frozen=True)
class BackendSettings:
    type: str = "local"
    options: tuple[tuple[str, Any], ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


#: The shape of each type's object, for a value that is not an object (``"backend": "cloud"``).
SHAPES = {
    "local": '{"type": "local"}',
    "s3": '{"type": "s3", "bucket": ..., "key": ..., "region": ..., "dynamodbTable": ...}',
    "cloud": '{"type": "cloud", "organization": ..., "workspace": ...}',
}


def _shape_rule(value: Any) -> str:
    """The rule for a value that is not an object: the shape its type takes when it names one
    (a newcomer writes ``"cloud"`` for ``{"type": "cloud", ...}``), every shape otherwise."""
    shapes = [SHAPES[value]] if isinstance(value, str) and value in SHAPES else list(SHAPES.values())
    return "an object such as " + " or ".join(shapes)


def parse_backend(field: str, value: Any) -> tuple[Any, list[str]]:
    """The ``backend`` context value as settings, and its problems (empty when valid)."""
    if isinstance(value, str):  # from the environment: LAMBDA_DYNAMODB_BACKEND='{"type": "s3", ...}'
        try:
            value = settings_json(value)
        except RecursionError:
            return value, [problem(field, value, f"JSON {NESTING}")]
        except ValueError:
            pass  # not JSON, e.g. a type's name: _shape_rule tells the object to write
    if not isinstance(value, dict):
        return value, [problem(field, value, _shape_rule(value))]
    if value.get("type") not in KINDS:
        return value, [problem(field, value, f"an object whose type is one of {', '.join(KINDS)}")]
    checks = {"local": _local_problems, "s3": _s3_problems, "cloud": _cloud_problems}[value["type"]]
    options = tuple(sorted((k, v) for k, v in value.items() if k != "type"))
    return BackendSettings(value["type"], options), checks(field, value)


def _unknown(field: str, value: dict[str, Any], known: set[str]) -> list[str]:
    rule = f"a known {value['type']} backend field ({', '.join(sorted(known))})" if known else (
        f"nothing: the {value['type']} backend takes no settings (its state file sits beside cdktf.out/)"
    )
    return [problem(f"{field}.{shown(k)}", value[k], rule) for k in value if k not in known | {"type"}]


def _required(field: str, value: dict[str, Any], name: str, pattern: re.Pattern[str], rule: str) -> list[str]:
    found = value.get(name)
    valid = isinstance(found, str) and pattern.fullmatch(found)
    return [] if valid else [problem(f"{field}.{name}", found, f"{rule} (required for the {value['type']} backend)")]


def _local_problems(field: str, value: dict[str, Any]) -> list[str]:
    return _unknown(field, value, set())


def _s3_problems(field: str, value: dict[str, Any]) -> list[str]:
    problems = _unknown(field, value, {"bucket", "key", "region", "dynamodbTable", "useLockfile"})
    problems += _required(field, value, "bucket", _BUCKET, "an S3 bucket name")
    problems += _required(field, value, "key", re.compile(r"[^\s].{0,1023}"), "the state object's key")
    problems += _required(field, value, "region", _REGION, "an AWS region code such as eu-west-1")
    table, lockfile = value.get("dynamodbTable"), value.get("useLockfile")
    if table not in (None, "") and not (isinstance(table, str) and _TABLE.fullmatch(table)):
        problems.append(problem(f"{field}.dynamodbTable", table, "a DynamoDB table name: 3 to 255 characters of A-Z a-z 0-9 _ . -"))
    if lockfile is not None and not isinstance(lockfile, bool):
        problems.append(problem(f"{field}.useLockfile", lockfile, "true or false"))
    if not table and lockfile is not True:
        problems.append(problem(f"{field}.dynamodbTable", None, "a lock table, or useLockfile: true (state must be locked)"))
    return problems


def _cloud_problems(field: str, value: dict[str, Any]) -> list[str]:
    problems = _unknown(field, value, {"organization", "workspace", "workspaceTags", "hostname"})
    problems += _required(field, value, "organization", _ORGANIZATION, "a Terraform Cloud organization name")
    name, tags = value.get("workspace"), value.get("workspaceTags")
    if (name is None) == (tags is None):
        problems.append(problem(f"{field}.workspace", name, "exactly one of workspace (a name) or workspaceTags (a list)"))
    elif name is not None and not (isinstance(name, str) and _WORKSPACE.fullmatch(name)):
        problems.append(problem(f"{field}.workspace", name, "1 to 90 characters of A-Z a-z 0-9 _ -"))
    elif tags is not None and not (isinstance(tags, list) and tags and all(isinstance(t, str) and t for t in tags)):
        problems.append(problem(f"{field}.workspaceTags", tags, "a non-empty list of tag strings"))
    hostname = value.get("hostname")
    if hostname is not None and not (isinstance(hostname, str) and _HOSTNAME.fullmatch(hostname)):
        problems.append(problem(f"{field}.hostname", hostname, "a host name such as app.terraform.io"))
    return problems


def add_backend(stack: Any, settings: BackendSettings, local_state_path: str) -> None:
    """Configure ``stack``'s backend (the app does this; the module never does)."""
    from cdktf import CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TaggedCloudWorkspaces

    if settings.type == "local":
        LocalBackend(stack, path=local_state_path)
    elif settings.type == "s3":
        backend = S3Backend(
            stack,
            bucket=settings.get("bucket"),
            key=settings.get("key"),
            region=settings.get("region"),
            dynamodb_table=settings.get("dynamodbTable"),
            encrypt=True,
        )
        if settings.get("useLockfile") is True:
            backend.add_override("use_lockfile", True)
    else:
        name = settings.get("workspace")
        CloudBackend(
            stack,
            organization=settings.get("organization"),
            workspaces=NamedCloudWorkspace(name) if name else TaggedCloudWorkspaces(list(settings.get("workspaceTags"))),
            hostname=settings.get("hostname"),
        )
