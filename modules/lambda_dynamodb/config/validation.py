"""Validation of every setting before anything is created: collect all problems, raise once.

Each rule is a named constant (its text is what users read) and each check returns problem
lines naming field, value and rule. A value only Terraform knows (a variable or reference,
see :mod:`.tokens`) is left to Terraform: the Terraform module's variables carry these rules.

The settings' own rules only: whether the grant covers what the code calls needs the code
analysis, and is checked by :func:`lambda_dynamodb.iam.permissions.validation_problems` (what
:func:`lambda_dynamodb.validate` and the constructs call), so that checking settings stays
quick to import and independent of the analyser.
"""

from __future__ import annotations

import ast
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from lambda_dynamodb.config import defaults
from lambda_dynamodb.iam.access import access_problems
from lambda_dynamodb.packaging.code_package import exclude_problems, source_files
from lambda_dynamodb.config.enums import Architecture, AttributeType, DependencyPackaging, LogsMode, ProjectionType, Runtime, StreamViewType, TracingMode
from lambda_dynamodb.config.errors import ConfigurationError, problem
from lambda_dynamodb.config import rules
from lambda_dynamodb.config.rules import enum_problems
from lambda_dynamodb.config.rules import int_range_problems as _int_range
from lambda_dynamodb.config.rules import length_problems as _length
from lambda_dynamodb.config.rules import pattern_problems as _pattern
from lambda_dynamodb.config.setting_types import type_problems
from lambda_dynamodb.config.tokens import is_unresolved
from lambda_dynamodb.config.settings import (
    ExistingRole,
    ExistingTable,
    FunctionSettings,
    GlobalIndex,
    LambdaDynamoDbSettings,
    LocalIndex,
    RoleSettings,
    TableSettings,
)

TABLE_NAME_RULE = "3 to 255 characters of A-Z a-z 0-9 _ . -"
INDEX_NAME_RULE = TABLE_NAME_RULE
ATTRIBUTE_NAME_RULE = "1 to 255 characters"
FUNCTION_NAME_RULE = "1 to 64 characters of A-Z a-z 0-9 - _"
IAM_NAME_RULE_64 = "1 to 64 characters of A-Z a-z 0-9 and + = , . @ _ -"
IAM_NAME_RULE_128 = "1 to 128 characters of A-Z a-z 0-9 and + = , . @ _ -"
IAM_PATH_RULE = "starts and ends with /, at most 512 printable ASCII characters"
BOUNDARY_RULE = "an IAM policy ARN, arn:<partition>:iam::<account or aws>:policy/<name>"
MEMORY_RULE = "a whole number of MB from 128 to 10240"
TIMEOUT_RULE = "a whole number of seconds from 1 to 900"
#: The retention values CloudWatch Logs accepts (0 keeps logs forever).
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
LOG_RETENTION_RULE = "one of CloudWatch's retention values " + ", ".join(map(str, LOG_RETENTION_DAYS))
HANDLER_RULE = "module.function, e.g. handler.handler"
SOURCE_DIR_RULE = "an existing directory holding the function's code"
PACKAGE_RULE = "an existing .zip file: the function's built deployment package"
ENV_NAME_RULE = "a letter, then letters, digits or _ (and not a name Lambda reserves)"
KEY_ATTRIBUTE_RULE = "a key must be one of the declared attributes"
UNUSED_ATTRIBUTE_RULE = "DynamoDB accepts only attributes used by the table's or an index's key"
TAG_RULE = "tag keys 1 to 128 characters, values at most 256"
#: https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html: DynamoDB, IAM, Lambda and
#: CloudWatch Logs refuse other characters and the ``aws:`` prefix (the emulator accepts them).
TAG_CHARACTERS_RULE = "letters, digits, spaces and + - = . _ : / @ only, and a key not starting with aws: (AWS's tag rules)"
_TAG_PUNCTUATION = frozenset(" +-=._:/@")
TABLE_ARN_RULE = "a DynamoDB table ARN, arn:<partition>:dynamodb:<region>:<account>:table/<name> (no wildcards), or a Terraform value"
STREAM_ARN_RULE = "a DynamoDB stream ARN, arn:<partition>:dynamodb:<region>:<account>:table/<name>/stream/<label>, or a Terraform value"
HANDLER_FUNCTION_RULE = "its function must be defined at the top level of {file} (def {name} or an assignment to {name})"
KMS_KEY_RULE = rules.KMS_KEY_RULE
DEAD_LETTER_RULE = rules.SQS_OR_SNS_RULE
CODE_SIGNING_RULE = "a code signing config ARN, arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<id>"
CONCURRENCY_RULE = "a whole number of executions, 0 or more (0 stops the function)"
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html: Lambda keeps 100
#: executions of the account's regional quota unreserved; PutFunctionConcurrency runs after the
#: function is created, so a reservation that does not fit leaves a created, tainted function.
RESERVED_CONCURRENCY_RULE = (
    "at most {most}: Lambda keeps {unreserved} of the account's regional concurrency quota ({quota}, concurrency_quota) "
    "unreserved, and the reservation is made after the function is created, so one that does not fit fails the "
    "deploy with the function left tainted (new accounts may have a quota of 10, where none fits). "
    "Ask AWS to raise the quota, then set concurrency_quota"
)
CONCURRENCY_QUOTA_RULE = "a whole number of concurrent executions, 10 or more (AWS's default is 1000)"
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html: with an Enforce
#: policy Lambda refuses code without a valid signature, and the module zips unsigned code.
CODE_SIGNING_PACKAGE_RULE = (
    "Lambda refuses unsigned code under an Enforce policy, and the zip the module builds is unsigned: "
    "give the zip signed with AWS Signer as package, with package_signed=True"
)
PACKAGE_SIGNED_RULE = "package_signed says the given package is signed: it needs a package"
DEAD_LETTER_KEY_RULE = "a key for the dead-letter target: it needs dead_letter_target_arn"
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 4 KB for all of a
#: function's environment variables together.
MAX_ENVIRONMENT_BYTES = 4096
ENVIRONMENT_SIZE_RULE = (
    "Lambda refuses environments over 4 KB ({limit} bytes of names and values together); with the "
    "variables the module sets these are {size} bytes"
)
#: DynamoDB refuses UpdateTimeToLive to another attribute while TTL is on ("TimeToLive is active
#: on a different AttributeName"), and turning it off takes effect within an hour
#: (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-how-to.html).
TTL_RENAME_RULE = (
    "DynamoDB refuses to move TTL to another attribute while it is on (\"TimeToLive is active on a different "
    "AttributeName\"): deploy twice, first ttl_attribute=None with previous_ttl_attribute={old!r} (TTL off, "
    "which DynamoDB may take up to an hour to finish), then ttl_attribute={new!r}"
)
SUBNET_RULE = "subnet-<8 or 17 hex digits>"
SECURITY_GROUP_RULE = "sg-<8 or 17 hex digits>"
VPC_RULE = "a function in a VPC needs at least one subnet and one security group"
CHECK_CODE_RULE = "the code check reads Python source from source_dir: set check_code=False for {what}"

TABLE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,255}")
FUNCTION_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
IAM_NAME_64_PATTERN = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
IAM_NAME_128_PATTERN = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
_IAM_PATH = re.compile(r"/([\x21-\x7e]*/)?")
_BOUNDARY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+", re.ASCII)
HANDLER_PATTERN = re.compile(r"[A-Za-z_][\w./-]*\.[A-Za-z_]\w*", re.ASCII)
ENV_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TABLE_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:table/[A-Za-z0-9_.-]{3,255}")
_STREAM_ARN = re.compile(_TABLE_ARN.pattern + r"/stream/[A-Za-z0-9:._-]+")
_KMS_KEY_ARN = rules.KMS_KEY_ARN
_DEAD_LETTER_ARN = rules.SQS_OR_SNS_ARN
_CODE_SIGNING_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:code-signing-config:csc-[a-z0-9]{17}")
_SUBNET = re.compile(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})")
_SECURITY_GROUP = re.compile(r"sg-([0-9a-f]{8}|[0-9a-f]{17})")
#: Names the Lambda service sets itself; a function may not override them.
RESERVED_ENV_NAMES = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)
#: The file a handler's module must be in, by runtime language.
_HANDLER_FILE_SUFFIXES: dict[str, tuple[str, ...]] = {"python": (".py",), "nodejs": (".js", ".mjs", ".cjs")}

MAX_GLOBAL_INDEXES = 20
MAX_LOCAL_INDEXES = 5


def settings_problems(settings: LambdaDynamoDbSettings) -> list[str]:
    """Every problem of the settings (not the permission check: see the module's docstring)."""
    problems = list(table_problems(settings.table))
    problems += function_problems(settings.function)
    problems += role_problems(settings.role)
    problems += access_problems(settings.access, settings.allow_wildcard_actions is True)
    if not isinstance(settings.allow_wildcard_actions, bool):
        problems.append(problem("allow_wildcard_actions", settings.allow_wildcard_actions, "true or false"))
    problems += enum_problems("logs", settings.logs, LogsMode)
    problems += check_code_problems(settings)
    problems = with_type_problems(problems, settings.table, "table")
    problems = with_type_problems(problems, settings.function, "function")
    problems = with_type_problems(problems, settings.role, "role")
    if not problems:
        problems += environment_size_problems(settings)
    return problems


def with_type_problems(problems: list[str], settings: object, field: str) -> list[str]:
    """``problems`` and the type problems of ``settings``' fields no rule has named already."""
    named = [p for p in problems if p.startswith(field)]
    extra = [p for p in type_problems(settings, field) if not any(n.startswith(p.split(" ", 1)[0]) for n in named)]
    return problems + extra


def check_code_problems(settings: LambdaDynamoDbSettings) -> list[str]:
    return code_check_problems(settings.function, settings.check_code)


def code_check_problems(function: FunctionSettings, check_code: object) -> list[str]:
    if not isinstance(check_code, bool):
        return [problem("check_code", check_code, "true or false")]
    if not check_code:
        return []
    if function.package is not None:
        return [problem("check_code", True, CHECK_CODE_RULE.format(what="a built package"))]
    runtime = function.runtime
    if not is_unresolved(runtime) and runtime in {r.value for r in Runtime} and Runtime(runtime).language != "python":
        return [problem("check_code", True, CHECK_CODE_RULE.format(what=f"a {Runtime(runtime).value} function"))]
    return []


def existing_table_problems(table: ExistingTable) -> list[str]:
    return list(table_problems(table))


def table_problems(table: TableSettings | ExistingTable) -> Iterator[str]:
    yield from _pattern("table.name", table.name, TABLE_NAME_PATTERN, TABLE_NAME_RULE)
    if isinstance(table, ExistingTable):
        yield from _existing_arn_problems(table)
        if table.kms_key_arn is not None:
            yield from _pattern("table.kms_key_arn", table.kms_key_arn, _KMS_KEY_ARN, KMS_KEY_RULE)
        for index, name in enumerate(table.key_names):
            yield from _length(f"table.key_names[{index}]", name, 1, 255, ATTRIBUTE_NAME_RULE)
        if len(table.key_names) > 2:
            yield problem("table.key_names", list(table.key_names), "a partition key name, and at most one sort key name")
        return
    declared = set()
    for index, attribute in enumerate(table.attributes):
        declared.add(attribute.name)
        yield from _length(f"table.attributes[{index}].name", attribute.name, 1, 255, ATTRIBUTE_NAME_RULE)
        yield from enum_problems(f"table.attributes[{index}].type", attribute.type, AttributeType)
    keys = dict(_key_fields(table))
    for field, key in keys.items():
        if key not in declared:
            yield problem(field, key, f"{KEY_ATTRIBUTE_RULE} ({', '.join(sorted(declared)) or 'none declared'})")
    for name in sorted(declared - set(keys.values())):
        yield problem("table.attributes", name, UNUSED_ATTRIBUTE_RULE)
    yield from _index_problems(table)
    if table.kms_key_arn is not None:
        yield from _pattern("table.kms_key_arn", table.kms_key_arn, _KMS_KEY_ARN, KMS_KEY_RULE)
    yield from _ttl_problems(table)
    if table.stream is not None:
        yield from enum_problems("table.stream", table.stream, StreamViewType)
    yield from _tag_problems("table.tags", table.tags)


def _existing_arn_problems(table: ExistingTable) -> Iterator[str]:
    """An imported table's ARNs name a table, never a pattern: a wildcard would widen every grant."""
    if table.arn is not None:
        yield from _pattern("table.arn", table.arn, _TABLE_ARN, TABLE_ARN_RULE)
    if table.stream_arn is not None:
        yield from _pattern("table.stream_arn", table.stream_arn, _STREAM_ARN, STREAM_ARN_RULE)
        known = not (is_unresolved(table.stream_arn) or is_unresolved(table.name)) and isinstance(table.stream_arn, str)
        if known and _STREAM_ARN.fullmatch(table.stream_arn) and f":table/{table.name}/stream/" not in table.stream_arn:
            yield problem("table.stream_arn", table.stream_arn, f"a stream of the table {table.name}")


def _ttl_problems(table: TableSettings) -> Iterator[str]:
    for field, name in (("table.ttl_attribute", table.ttl_attribute), ("table.previous_ttl_attribute", table.previous_ttl_attribute)):
        if name is not None:
            yield from _length(field, name, 1, 255, ATTRIBUTE_NAME_RULE)
    old, new = table.previous_ttl_attribute, table.ttl_attribute
    if old is not None and new is not None and old != new:
        yield problem("table.ttl_attribute", new, TTL_RENAME_RULE.format(old=old, new=new))


def _key_fields(table: TableSettings) -> Iterator[tuple[str, str]]:
    yield "table.partition_key", table.partition_key
    if table.sort_key is not None:
        yield "table.sort_key", table.sort_key
    for index, gsi in enumerate(table.global_indexes):
        yield f"table.global_indexes[{index}].partition_key", gsi.partition_key
        if gsi.sort_key is not None:
            yield f"table.global_indexes[{index}].sort_key", gsi.sort_key
    for index, lsi in enumerate(table.local_indexes):
        yield f"table.local_indexes[{index}].sort_key", lsi.sort_key


def _index_problems(table: TableSettings) -> Iterator[str]:
    if len(table.global_indexes) > MAX_GLOBAL_INDEXES:
        yield problem("table.global_indexes", len(table.global_indexes), f"at most {MAX_GLOBAL_INDEXES} global secondary indexes")
    if len(table.local_indexes) > MAX_LOCAL_INDEXES:
        yield problem("table.local_indexes", len(table.local_indexes), f"at most {MAX_LOCAL_INDEXES} local secondary indexes")
    if table.local_indexes and table.sort_key is None:
        yield problem("table.sort_key", None, "a table with local secondary indexes needs a sort key")
    seen: set[str] = set()
    indexes: list[tuple[str, GlobalIndex | LocalIndex]] = [
        *((f"table.global_indexes[{i}]", gsi) for i, gsi in enumerate(table.global_indexes)),
        *((f"table.local_indexes[{i}]", lsi) for i, lsi in enumerate(table.local_indexes)),
    ]
    for field, index in indexes:
        yield from _pattern(f"{field}.name", index.name, TABLE_NAME_PATTERN, INDEX_NAME_RULE)
        if index.name in seen:
            yield problem(f"{field}.name", index.name, "index names must be unique within a table")
        seen.add(index.name)
        yield from enum_problems(f"{field}.projection", index.projection, ProjectionType)
        if index.non_key_attributes and index.projection != ProjectionType.INCLUDE:
            yield problem(f"{field}.non_key_attributes", list(index.non_key_attributes), "only with projection INCLUDE")


def function_problems(function: FunctionSettings) -> Iterator[str]:
    yield from _pattern("function.name", function.name, FUNCTION_NAME_PATTERN, FUNCTION_NAME_RULE)
    runtime_problems = enum_problems("function.runtime", function.runtime, Runtime)
    yield from runtime_problems
    yield from _int_range("function.memory_mb", function.memory_mb, 128, 10240, MEMORY_RULE)
    yield from _int_range("function.timeout_seconds", function.timeout_seconds, 1, 900, TIMEOUT_RULE)
    yield from enum_problems("function.architecture", function.architecture, Architecture)
    yield from enum_problems("function.tracing", function.tracing, TracingMode)
    yield from enum_problems("function.dependencies", function.dependencies, DependencyPackaging)
    if not (isinstance(function.runtime_provided, tuple) and all(isinstance(name, str) and name for name in function.runtime_provided)):
        yield problem("function.runtime_provided", function.runtime_provided, "a tuple of distribution names")
    if not _known_retention(function.log_retention_days):
        yield problem("function.log_retention_days", function.log_retention_days, LOG_RETENTION_RULE)
    yield from _env_problems(function)
    yield from _hardening_problems(function)
    known_runtime = not (runtime_problems or is_unresolved(function.runtime))
    yield from _code_problems(function, Runtime(function.runtime) if known_runtime else None)
    yield from _tag_problems("function.tags", function.tags)


def _known_retention(days: object) -> bool:
    return is_unresolved(days) or (days in LOG_RETENTION_DAYS and not isinstance(days, bool))


def _hardening_problems(function: FunctionSettings) -> Iterator[str]:
    yield from _concurrency_problems(function)
    yield from _code_signing_problems(function)
    if function.dead_letter_kms_key_arn is not None and function.dead_letter_target_arn is None:
        yield problem("function.dead_letter_kms_key_arn", function.dead_letter_kms_key_arn, DEAD_LETTER_KEY_RULE)
    optional_arns = (
        ("function.dead_letter_target_arn", function.dead_letter_target_arn, _DEAD_LETTER_ARN, DEAD_LETTER_RULE),
        ("function.dead_letter_kms_key_arn", function.dead_letter_kms_key_arn, _KMS_KEY_ARN, KMS_KEY_RULE),
        ("function.environment_kms_key_arn", function.environment_kms_key_arn, _KMS_KEY_ARN, KMS_KEY_RULE),
        ("function.log_kms_key_arn", function.log_kms_key_arn, _KMS_KEY_ARN, KMS_KEY_RULE),
        ("function.code_signing_config_arn", function.code_signing_config_arn, _CODE_SIGNING_ARN, CODE_SIGNING_RULE),
    )
    for field, value, pattern, rule in optional_arns:
        if value is not None:
            yield from _pattern(field, value, pattern, rule)
    for index, subnet in enumerate(function.subnet_ids):
        yield from _pattern(f"function.subnet_ids[{index}]", subnet, _SUBNET, SUBNET_RULE)
    for index, group in enumerate(function.security_group_ids):
        yield from _pattern(f"function.security_group_ids[{index}]", group, _SECURITY_GROUP, SECURITY_GROUP_RULE)
    if bool(function.subnet_ids) != bool(function.security_group_ids):
        yield problem("function.subnet_ids", list(function.subnet_ids), VPC_RULE)


def _concurrency_problems(function: FunctionSettings) -> Iterator[str]:
    quota_problems = _int_range("function.concurrency_quota", function.concurrency_quota, 10, 10_000_000, CONCURRENCY_QUOTA_RULE)
    yield from quota_problems
    reserved = function.reserved_concurrency
    if reserved is None:
        return
    range_problems = _int_range("function.reserved_concurrency", reserved, 0, 10_000_000, CONCURRENCY_RULE)
    yield from range_problems
    most = function.concurrency_quota - defaults.UNRESERVED_CONCURRENCY if not quota_problems else None
    if not range_problems and most is not None and not is_unresolved(reserved) and reserved > most:
        rule = RESERVED_CONCURRENCY_RULE.format(most=max(most, 0), unreserved=defaults.UNRESERVED_CONCURRENCY, quota=function.concurrency_quota)
        yield problem("function.reserved_concurrency", reserved, rule)


def _code_signing_problems(function: FunctionSettings) -> Iterator[str]:
    if not isinstance(function.package_signed, bool):
        yield problem("function.package_signed", function.package_signed, "true or false")
    elif function.package_signed and function.package is None:
        yield problem("function.package_signed", True, PACKAGE_SIGNED_RULE)
    if function.code_signing_config_arn is not None and not (function.package is not None and function.package_signed is True):
        yield problem("function.code_signing_config_arn", function.code_signing_config_arn, CODE_SIGNING_PACKAGE_RULE)


def environment_size_problems(settings: LambdaDynamoDbSettings) -> list[str]:
    """The function's environment, with the variables the module adds, within Lambda's 4 KB."""
    function, table = settings.function, settings.table
    key_names = table.key_names if isinstance(table, ExistingTable) else (table.partition_key, table.sort_key)
    variables = {**function.environment, function.table_name_variable: table.name}
    variables[function.key_names_variable] = ",".join(name for name in key_names if name)
    return environment_problems("function.environment", variables, sorted(function.environment))


def environment_problems(field: str, variables: Mapping[str, str], shown: object = None) -> list[str]:
    """``variables`` (names and values, as deployed) within Lambda's 4 KB."""
    if any(is_unresolved(part) or not isinstance(part, str) for pair in variables.items() for part in pair):
        return []  # Terraform's values: their size is only known at plan time
    size = sum(len(name.encode()) + len(value.encode()) for name, value in variables.items())
    if size <= MAX_ENVIRONMENT_BYTES:
        return []
    value = sorted(variables) if shown is None else shown
    return [problem(field, value, ENVIRONMENT_SIZE_RULE.format(limit=MAX_ENVIRONMENT_BYTES, size=size))]


def _env_problems(function: FunctionSettings) -> Iterator[str]:
    own = {"function.table_name_variable": function.table_name_variable, "function.key_names_variable": function.key_names_variable}
    names = own | {f"function.environment[{name!r}]": name for name in function.environment}
    for field, name in names.items():
        if not (isinstance(name, str) and ENV_NAME_PATTERN.fullmatch(name)) or name in RESERVED_ENV_NAMES:
            yield problem(field, name, ENV_NAME_RULE)
    for name in own.values():
        if name in function.environment:
            yield problem("function.environment", name, "the module sets this variable (the table's name or key names); do not set it again")
    if function.key_names_variable == function.table_name_variable:
        yield problem("function.key_names_variable", function.key_names_variable, "a name other than table_name_variable")
    for name, value in function.environment.items():
        if not isinstance(value, str):
            yield problem(f"function.environment[{name!r}]", value, "a string")


def _code_problems(function: FunctionSettings, runtime: Runtime | None) -> Iterator[str]:
    if function.package is not None:
        where, files, problems = _package_files(function.package)
    elif exclude_problems(function):
        where, files, problems = str(function.source_dir), None, exclude_problems(function)
    else:
        where, files, problems = _source_files(Path(function.source_dir), tuple(function.exclude))
    if problems:
        yield from problems
        return
    handler_problems = _pattern("function.handler", function.handler, HANDLER_PATTERN, HANDLER_RULE)
    yield from handler_problems
    if handler_problems or files is None or is_unresolved(function.handler):
        return
    suffixes = _HANDLER_FILE_SUFFIXES.get(runtime.language if runtime else "", ())
    module = function.handler.rsplit(".", 1)[0].replace(".", "/")
    candidates = [f"{module}{suffix}" for suffix in suffixes]
    if runtime is not None and runtime.language == "python":
        # Lambda imports the handler's module with importlib: a package's __init__.py is a module too.
        candidates.append(f"{module}/__init__.py")
    found = [name for name in candidates if name in files]
    if suffixes and not found:
        yield problem("function.handler", function.handler, f"its module must exist in {where} as {module}{suffixes[0]}")
    elif runtime is not None and runtime.language == "python" and function.package is None:
        yield from _handler_function_problems(function, Path(function.source_dir) / found[0])


def _handler_function_problems(function: FunctionSettings, path: Path) -> list[str]:
    """Lambda imports the module and looks the name up: a missing one fails every invocation."""
    name = function.handler.rsplit(".", 1)[1]
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError) as error:
        return [problem("function.handler", function.handler, f"its module {path.name} cannot be parsed: {error}")]
    if name in _top_level_names(tree):
        return []
    return [problem("function.handler", function.handler, HANDLER_FUNCTION_RULE.format(file=path.name, name=name))]


def _top_level_names(tree: ast.Module) -> set[str]:
    """Names a module defines when imported: in its body and its if/try/with blocks, not in functions."""
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            pending += [child for child in ast.iter_child_nodes(node) if isinstance(child, (ast.stmt, ast.ExceptHandler))]
        elif isinstance(node, ast.ExceptHandler):
            pending += node.body
    return names


#: (where the code is, its file names or None when only Terraform can read it, problems)
_CodeFiles = tuple[str, "frozenset[str] | None", list[str]]


def _source_files(source: Path, exclude: tuple[str, ...]) -> _CodeFiles:
    if not source.is_dir():
        return str(source), None, [problem("function.source_dir", str(source), SOURCE_DIR_RULE)]
    try:
        names = frozenset(path.relative_to(source).as_posix() for path in source_files(source, exclude))
    except ConfigurationError as error:  # a link out of the folder: collected with the rest
        return str(source), None, list(error.problems)
    return str(source), names, []


def _package_files(package: str | Path) -> _CodeFiles:
    if is_unresolved(package):
        return str(package), None, []
    try:
        with zipfile.ZipFile(package) as bundle:
            return str(package), frozenset(bundle.namelist()), []
    except (OSError, zipfile.BadZipFile):
        return str(package), None, [problem("function.package", str(package), PACKAGE_RULE)]


def existing_role_problems(role: ExistingRole, function: FunctionSettings) -> Iterator[str]:
    yield from _pattern("role.name", role.name, IAM_NAME_64_PATTERN, IAM_NAME_RULE_64)
    yield from _pattern("role.path", role.path, _IAM_PATH, IAM_PATH_RULE, max_length=512)
    yield from _pattern("role.policy_name", f"{function.name}-policy", IAM_NAME_128_PATTERN, IAM_NAME_RULE_128)


def role_problems(role: RoleSettings) -> Iterator[str]:
    yield from _pattern("role.name", role.name, IAM_NAME_64_PATTERN, IAM_NAME_RULE_64)
    yield from _pattern("role.policy_name", role.policy_name, IAM_NAME_128_PATTERN, IAM_NAME_RULE_128)
    yield from _pattern("role.path", role.path, _IAM_PATH, IAM_PATH_RULE, max_length=512)
    if role.permissions_boundary_arn is not None:
        yield from _pattern("role.permissions_boundary_arn", role.permissions_boundary_arn, _BOUNDARY_ARN, BOUNDARY_RULE)
    yield from _tag_problems("role.tags", role.tags)


def _tag_problems(field: str, tags: object) -> Iterator[str]:
    if not isinstance(tags, Mapping):
        yield problem(field, tags, "a mapping of tag keys to values")
        return
    for key, value in tags.items():
        if is_unresolved(key) or is_unresolved(value):
            continue
        if not (isinstance(key, str) and 1 <= len(key) <= 128 and isinstance(value, str) and len(value) <= 256):
            yield problem(f"{field}[{key!r}]", value, TAG_RULE)
        elif not (_tag_text(key) and _tag_text(value)) or key.lower().startswith("aws:"):
            yield problem(f"{field}[{key!r}]", value, TAG_CHARACTERS_RULE)


def _tag_text(text: str) -> bool:
    return all(c.isalnum() or c in _TAG_PUNCTUATION for c in text)


REGION_RULE = "an AWS region code such as eu-west-1"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def region_problems(region: object, field: str = "region") -> list[str]:
    return _pattern(field, region, _REGION, REGION_RULE)
