"""The app: one stack, ``lambda-dynamodb``, composing the module with the AWS provider.

Settings come from the ``context`` block of ``cdktf.json``; each can be overridden by an
environment variable (see ``CONTEXT_KEYS``). Every problem names the key as typed in
``cdktf.json`` (see ``MODULE_FIELD_KEYS``). Importing this file synthesizes nothing.

Every bad input is a named problem (``ConfigurationError``, exit 2), never a traceback: JSON
nested too deeply, numbers Python cannot read, a CDKTF token marker typed as a setting (settings
are literal text, never Terraform values), an unknown ``LAMBDA_DYNAMODB_*`` variable.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_dynamodb import (
    Access,
    Architecture,
    ConfigurationError,
    FunctionSettings,
    LambdaDynamoDbSettings,
    LogsMode,
    RoleSettings,
    Runtime,
    TableSettings,
    TracingMode,
)
from lambda_dynamodb.synthesis.backends import NESTING, BackendSettings, UnreadNumber, add_backend, max_digits, parse_backend, settings_json
from lambda_dynamodb.config.errors import problem, shown
from lambda_dynamodb.iam.access import access_problems
from lambda_dynamodb.packaging.dependencies import DependencyInstallError
from lambda_dynamodb.config.validation import REGION_RULE, enum_problems, region_problems
from lambda_dynamodb.iam.permissions import validation_problems

STACK_NAME = "lambda-dynamodb"
PROJECT_DIR = Path(__file__).resolve().parent
CDKTF_JSON = PROJECT_DIR / "cdktf.json"
#: The local backend's state file, relative to the stack's folder (<outdir>/stacks/<stack>): it
#: lives beside cdktf.out/, in the project, so re-synthesizing never loses it. Relative, so the
#: JSON is the same wherever the project is checked out.
STATE_PATH = f"../../../terraform.{STACK_NAME}.tfstate"
ENV_PREFIX = "LAMBDA_DYNAMODB_"


@dataclass(frozen=True)
class AppSettings:
    region: str
    table_name: str
    function_name: str
    role_name: str
    policy_name: str
    access: Access | tuple[str, ...]
    logs: LogsMode
    runtime: Runtime
    architecture: Architecture
    tracing: TracingMode
    log_retention_days: int
    check_code: bool
    name_suffix: str
    backend: BackendSettings

    def module_settings(self) -> LambdaDynamoDbSettings:
        # IAM role and policy names are global to the account, and a log group's to the region:
        # a suffix keeps a second copy of the stack (another region, another environment) apart.
        suffix = self.name_suffix
        return LambdaDynamoDbSettings(
            table=TableSettings(name=self.table_name + suffix),
            function=FunctionSettings(
                name=self.function_name + suffix,
                source_dir=PROJECT_DIR / "lambda",
                runtime=self.runtime,
                architecture=self.architecture,
                tracing=self.tracing,
                log_retention_days=self.log_retention_days,
            ),
            role=RoleSettings(name=self.role_name + suffix, policy_name=self.policy_name + suffix),
            access=self.access,
            logs=self.logs,
            check_code=self.check_code,
        )


#: Module field (as the module's validation names it in problems) -> the context keys its value
#: is made of, in order, as ``AppSettings.module_settings()`` fills it: a problem with one of
#: these fields names the keys the user typed instead. nameSuffix is named only when not empty.
#: Fields no key sets (function.source_dir, function.handler, ...) keep the module's name.
MODULE_FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "table.name": ("tableName", "nameSuffix"),
    "function.name": ("functionName", "nameSuffix"),
    "role.name": ("roleName", "nameSuffix"),
    "role.policy_name": ("policyName", "nameSuffix"),
    "function.runtime": ("runtime",),
    "function.architecture": ("architecture",),
    "function.tracing": ("tracing",),
    "function.log_retention_days": ("logRetentionDays",),
    "access": ("access",),
    "logs": ("logs",),
    "check_code": ("checkCode",),
}
#: What may follow a problem's field: a part of its value ([0] of a list, .bucket of an object),
#: then the space before the value (or the colon of a permission error, "access: lambda/...").
_FIELD_PART = r"((?:\[[^\]]*\]|\.\w+)*)(?=[ :])"


def _set_by(key: str, environ: Mapping[str, str]) -> str:
    variable = environment_variable(key)
    return f" (set by {variable})" if variable in environ else ""


def _renamed(line: str, field: str, keys: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """``line``, a problem, naming the context ``keys`` its value came from instead of its leading
    ``field``; None when the line starts with another field.

    The app's one rewrite of a problem's wording, and only of its start: validation is the
    module's, shared with its other users, and names the module's fields. A part of the value
    ([0], .bucket) stays after the key, then "(set by VAR)" when the environment set that key.
    A composed value (a name + nameSuffix) has no parts: its keys are joined with " + ", each
    with its own "(set by VAR)".
    """
    match = re.match(re.escape(field) + _FIELD_PART, line)
    if match is None:
        return None
    label = " + ".join(f"context.{key}{match[1]}{_set_by(key, environ)}" for key in keys)
    return label + line[match.end() :]


def _app_problem(line: str, settings: AppSettings, environ: Mapping[str, str]) -> str:
    """A module problem as the app reports it: naming the keys behind its field, if any."""
    for field, keys in MODULE_FIELD_KEYS.items():
        named = [key for key in keys if key != "nameSuffix" or settings.name_suffix]
        renamed = _renamed(line, field, named, environ)
        if renamed is not None:
            return renamed
    return line


def _text(field: str, value: Any) -> tuple[Any, list[str]]:
    return value, [] if isinstance(value, str) else [problem(field, value, "a string")]


_ASCII_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_WHOLE_NUMBER = re.compile(r"-?\d+")  # \d: any script's digits, e.g. Arabic-Indic "٣٦٥"


def _too_many_digits(value: Any) -> bool:
    digits = value.text if isinstance(value, UnreadNumber) else value
    return bool(isinstance(digits, str) and _ASCII_WHOLE_NUMBER.fullmatch(digits) and max_digits() and len(digits.lstrip("-")) > max_digits())


def _whole_number(field: str, value: Any) -> tuple[Any, list[str]]:
    text = value.strip() if isinstance(value, str) else None  # from the environment
    if _too_many_digits(text if text is not None else value):
        return value, [problem(field, value, f"a whole number of at most {max_digits()} digits")]
    if text is not None and _ASCII_WHOLE_NUMBER.fullmatch(text):
        value = int(text)
    elif text is not None and _WHOLE_NUMBER.fullmatch(text):
        return value, [problem(field, value, "a whole number written with the digits 0-9")]
    valid = isinstance(value, int) and not isinstance(value, bool)
    return value, [] if valid else [problem(field, value, "a whole number")]


def _boolean(field: str, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"  # from the environment
    return value, [] if isinstance(value, bool) else [problem(field, value, "true or false")]


#: The characters every name the suffix goes on allows (table, function, IAM role and policy).
NAME_SUFFIX_RULE = "0 to 32 characters that every name allows: A-Z a-z 0-9 _ -"
_NAME_SUFFIX = re.compile(r"[A-Za-z0-9_-]{0,32}")


def _name_suffix(field: str, value: Any) -> tuple[Any, list[str]]:
    valid = isinstance(value, str) and _NAME_SUFFIX.fullmatch(value)
    return value, [] if valid else [problem(field, value, NAME_SUFFIX_RULE)]


def _region(field: str, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, str) and not value.isascii():  # the module's pattern reads \d as any digit
        return value, [problem(field, value, REGION_RULE)]
    return value, region_problems(value, field)


def _access(field: str, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, str) and ":" in value:
        value = [part.strip() for part in value.split(",")]  # from the environment
    if isinstance(value, list):
        value = tuple(value)
    problems = access_problems(value, field=field)
    return (Access(value) if isinstance(value, str) and not problems else value), problems


def _member(kind: Any) -> Callable[[str, Any], tuple[Any, list[str]]]:
    def parse(field: str, value: Any) -> tuple[Any, list[str]]:
        problems = enum_problems(field, value, kind)
        return (value if problems else kind(value)), problems

    return parse


#: context key -> (AppSettings field, parser). Each key's environment override is
#: LAMBDA_DYNAMODB_ + the key in UPPER_SNAKE_CASE, e.g. LAMBDA_DYNAMODB_TABLE_NAME.
CONTEXT_KEYS: dict[str, tuple[str, Callable[[str, Any], tuple[Any, list[str]]]]] = {
    "region": ("region", _region),
    "tableName": ("table_name", _text),
    "functionName": ("function_name", _text),
    "roleName": ("role_name", _text),
    "policyName": ("policy_name", _text),
    "access": ("access", _access),
    "logs": ("logs", _member(LogsMode)),
    "runtime": ("runtime", _member(Runtime)),
    "architecture": ("architecture", _member(Architecture)),
    "tracing": ("tracing", _member(TracingMode)),
    "logRetentionDays": ("log_retention_days", _whole_number),
    "checkCode": ("check_code", _boolean),
    "nameSuffix": ("name_suffix", _name_suffix),
    "backend": ("backend", parse_backend),
}


#: LAMBDA_DYNAMODB_* variables that are not settings: the tools' and the library's own.
OTHER_VARIABLES = (
    "LAMBDA_DYNAMODB_STATE_DIR",  # tools/emulator.py: where the emulator's state is kept
    "LAMBDA_DYNAMODB_STOCK_PROVIDER",  # lambda_dynamodb.fast_provider: stock provider loading
)

#: CDKTF's token markers (string ${TfToken[...]}, list #{TfToken[...]}, map &{TfToken[...]}):
#: text holding one is read by CDKTF as a Terraform value it made, not as the text typed.
_TOKEN_MARKER = re.compile(r"[$#&]\{TfToken\[")
TOKEN_RULE = (
    "literal text, without a CDKTF token marker such as ${TfToken[...]}: "
    "cdktf.json and the environment hold settings, never Terraform values"
)


def environment_variable(key: str) -> str:
    snake = "".join(f"_{c}" if c.isupper() else c for c in key).upper()
    return ENV_PREFIX + snake


def _token_problems(field: str, value: Any) -> list[str]:
    """A problem for each string in ``value`` (walked without recursion: JSON may be nested
    ~1000 deep) that holds a token marker, named by its place ([0], .bucket) after ``field``."""
    problems, pending = [], [(field, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str) and _TOKEN_MARKER.search(item):
            problems.append(problem(where, item, TOKEN_RULE))
        elif isinstance(item, dict):
            pending += [(f"{where}.{shown(str(k))}", v) for k, v in reversed(item.items())]
        elif isinstance(item, (list, tuple)):
            pending += [(f"{where}[{i}]", v) for i, v in reversed(list(enumerate(item)))]
    return problems


def _unknown_variables(environ: Mapping[str, str]) -> list[str]:
    known = [environment_variable(key) for key in CONTEXT_KEYS]
    rule = f"a known variable ({', '.join(known)}; and, not settings, {', '.join(OTHER_VARIABLES)})"
    return [
        problem(shown(name), value, rule)
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) and name not in known and name not in OTHER_VARIABLES
    ]


def load_context(path: Path = CDKTF_JSON) -> dict[str, Any]:
    try:
        document = settings_json(path.read_text())
    except RecursionError as error:
        raise ConfigurationError([problem("cdktf.json", str(path), f"a readable JSON file, {NESTING}")]) from error
    except (OSError, ValueError) as error:  # ValueError: not JSON, NaN, not UTF-8
        raise ConfigurationError([problem("cdktf.json", str(path), f"a readable JSON file ({error})")]) from error
    context = document.get("context", {}) if isinstance(document, dict) else None
    if not isinstance(context, dict):
        raise ConfigurationError([problem("cdktf.json context", context, "a JSON object of settings")])
    return context


def app_settings(context: Mapping[str, Any], environ: Mapping[str, str] = os.environ, *, permissions: bool = True) -> AppSettings:
    """Settings from ``context`` with environment overrides; every problem raised at once.

    With ``permissions``, a call of the function's code that the grant does not cover is a
    problem too (``make permissions`` turns it off to show the whole table instead)."""
    problems = [
        problem(f"context.{shown(key)}", context[key], f"a known setting ({', '.join(CONTEXT_KEYS)})")
        for key in context
        if key not in CONTEXT_KEYS
    ]
    problems += _unknown_variables(environ)
    values: dict[str, Any] = {}
    for key, (name, parse) in CONTEXT_KEYS.items():
        variable, field = environment_variable(key), f"context.{key}"
        if variable not in environ and key not in context:
            problems.append(problem(field, None, "a required setting"))
            continue
        value = environ[variable] if variable in environ else context[key]
        # A typed token marker would pass the module's checks as a Terraform value: refused
        # before parsing, so nothing reads it as one.
        found = _token_problems(field, value)
        if not found:
            values[name], found = parse(field, value)
        # Named by the key the user typed, and by the variable too when it overrode the key.
        problems += [_renamed(line, field, (key,), environ) or line for line in found]
    if problems:
        raise ConfigurationError(problems)
    settings = AppSettings(**values)
    module_problems = validation_problems(settings.module_settings(), permissions=permissions)
    if module_problems:
        raise ConfigurationError(_app_problem(line, settings, environ) for line in module_problems)
    return settings


def build_app(settings: AppSettings, outdir: Path) -> Any:
    """An App holding the stack; the CDKTF and provider imports happen here, not at import.

    lambda_dynamodb, imported above, made the provider load lazily (~1-2 s instead of ~16 s)."""
    from cdktf import App, TerraformOutput, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lambda_dynamodb import LambdaDynamoDb

    app = App(outdir=str(outdir))
    stack = TerraformStack(app, STACK_NAME)
    # Region only: endpoints and credentials come from the environment, so the same JSON
    # deploys to real AWS and to the local emulator.
    AwsProvider(stack, "aws", region=settings.region)
    add_backend(stack, settings.backend, STATE_PATH)
    module = LambdaDynamoDb(stack, "app", settings.module_settings())
    for name, value in _outputs(module).items():
        TerraformOutput(stack, name, value=value)
    return app


def app_module(app: Any) -> Any:
    """The stack's ``LambdaDynamoDb``: what it built, and its permission plan."""
    return app.node.find_child(STACK_NAME).node.find_child("app")


def _outputs(module: Any) -> dict[str, str]:
    return {
        "table_name": module.table.table_name,
        "table_arn": module.table.arn,
        "role_arn": module.role.role.arn,
        "policy_arn": module.role.policy.arn,
        "function_name": module.function.resource.function_name,
        "function_arn": module.function.resource.arn,
        "log_group_name": module.function.log_group.name,
    }


def outdir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where to synthesize: the cdktf CLI names it in CDKTF_OUTDIR; cdktf.out otherwise."""
    return Path(environ.get("CDKTF_OUTDIR", PROJECT_DIR / "cdktf.out"))


def main(context_path: Path = CDKTF_JSON, environ: Mapping[str, str] = os.environ) -> int:
    from lambda_dynamodb.synthesis.output import synth_atomically

    try:
        settings = app_settings(load_context(context_path), environ)
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    built: list[Any] = []

    def build(staging: Path) -> Any:
        built.append(build_app(settings, staging))
        return built[-1]

    try:
        # Building the function's package can fail too (a dependency with no wheel for Lambda,
        # a package over Lambda's limits): then nothing is written.
        target = synth_atomically(build, outdir(environ))
    except (ConfigurationError, DependencyInstallError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # The plan the construct made: its warnings are also CDKTF annotations, for `cdktf synth`.
    for warning in app_module(built[-1]).permissions.warnings:
        print(warning, file=sys.stderr)
    print(f"synthesized {target / 'stacks' / STACK_NAME / 'cdk.tf.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
