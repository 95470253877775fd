"""`make tf-module`: the construct as an idiomatic HCL module, for teams that write HCL.

    python -m tools.tf_module [--outdir dist/terraform-aws-lambda-dynamodb]

The same ``LambdaDynamoDb`` construct as the app builds the resources, in a stack whose inputs
are Terraform variables (the rules the construct checks in Python are the variables'
``validation`` blocks) and whose addresses are plain (``aws_dynamodb_table.this``: ADDRESSES).
The pinned cdktf CLI converts the stack to HCL (``cdktf synth --hcl`` runs this file with
``--emit``); ``module_files`` lays it out as ``versions.tf``, ``variables.tf``, ``main.tf`` and
``outputs.tf``, with a generated README, a CHANGELOG and the examples. No provider block and no
backend: the calling configuration brings both. Importing this file synthesizes nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lambda_dynamodb import Architecture, AttributeType, Runtime, TracingMode
from lambda_dynamodb.config import defaults
from lambda_dynamodb.iam.access import FIXED_LEVELS
from lambda_dynamodb.iam.dynamodb_actions import DYNAMODB_ACTIONS
from tools.module_files import ModuleBuildError, addresses, cdktf_hcl, changelog, split_files, terraform_fmt, unwrapped, with_required_version
from lambda_dynamodb.config.validation import (
    FUNCTION_NAME_PATTERN,
    FUNCTION_NAME_RULE,
    HANDLER_PATTERN,
    HANDLER_RULE,
    IAM_NAME_64_PATTERN,
    IAM_NAME_128_PATTERN,
    IAM_NAME_RULE_64,
    IAM_NAME_RULE_128,
    LOG_RETENTION_DAYS,
    LOG_RETENTION_RULE,
    MEMORY_RULE,
    TABLE_NAME_PATTERN,
    TABLE_NAME_RULE,
    TIMEOUT_RULE,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent

#: The module's name, as registries want it (terraform-<provider>-<name>): its folder and its stack.
MODULE_NAME = STACK_NAME = "terraform-aws-lambda-dynamodb"
DEFAULT_OUTDIR = PROJECT_DIR / "dist" / MODULE_NAME
#: The module's examples: HCL written by hand, copied into the module as they are.
EXAMPLES_DIR = PROJECT_DIR / "modules" / MODULE_NAME / "examples"
#: The provider the resources were generated for (cdktf-cdktf-provider-aws 20.x = AWS provider 5.100).
AWS_PROVIDER_VERSION = ">= 5.100.0, < 6.0.0"
#: Validation messages that quote the rejected value need Terraform 1.9 or later.
TERRAFORM_VERSION = ">= 1.9.0"
KEY_TYPES = tuple(kind.value for kind in AttributeType)


@dataclass(frozen=True)
class Validation:
    condition: str
    error_message: str


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Any = None
    required: bool = False
    nullable: bool = False
    validations: tuple[Validation, ...] = ()


def _hcl_list(values: Sequence[object]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def _re2(pattern: str) -> str:
    """A validation regex as Terraform (RE2) reads it, written without backslashes (none of
    HCL's and JSON's escaping layers to get wrong): ``\\w`` is ASCII there as here."""
    return "^" + pattern.replace("[\\w", "[A-Za-z0-9_").replace("\\w", "[A-Za-z0-9_]").replace("\\.", "[.]") + "$"


def _matches(name: str, pattern: str, rule: str, optional: bool = False) -> Validation:
    test = f'can(regex("{_re2(pattern)}", var.{name}))'
    condition = f"var.{name} == null ? true : {test}" if optional else test
    # Terraform renders the message even when the value is valid, null included.
    value = f'coalesce(var.{name}, "null")' if optional else f"var.{name}"
    return Validation(condition, f"{name} '${{{value}}}' is invalid: {rule}")


def _one_of(name: str, values: Sequence[object], rule: str) -> Validation:
    quote = "'" if isinstance(values[0], str) else ""  # as the Python messages (repr) write it
    return Validation(f"contains({_hcl_list(values)}, var.{name})", f"{name} {quote}${{var.{name}}}{quote} is invalid: {rule}")


def _whole_range(name: str, low: int, high: int, rule: str) -> Validation:
    condition = f"var.{name} == floor(var.{name}) && var.{name} >= {low} && var.{name} <= {high}"
    return Validation(condition, f"{name} ${{var.{name}}} is invalid: {rule}")


def _key(name: str, optional: bool) -> tuple[Validation, ...]:
    rule = f"a name of 1 to 255 characters and a type of {', '.join(KEY_TYPES)}"
    test = f"length(var.{name}.name) >= 1 && length(var.{name}.name) <= 255 && contains({_hcl_list(KEY_TYPES)}, var.{name}.type)"
    condition = f"var.{name} == null ? true : {test}" if optional else test
    return (Validation(condition, f"{name} ${{jsonencode(var.{name})}} is invalid: {rule}"),)


KEY_TYPE = 'object({ name = string, type = optional(string, "S") })'
ACTION_RULE = "at least one action, each a DynamoDB action from the IAM catalog (dynamodb:Name), no wildcards"
_ACTIONS_OK = f"length(var.actions) > 0 && alltrue([for action in var.actions : contains({_hcl_list(sorted(DYNAMODB_ACTIONS))}, action)])"

#: The module's inputs. Defaults are the construct's own (lambda_dynamodb.config.defaults).
VARIABLES: tuple[Variable, ...] = (
    Variable("table_name", "string", "Name of the DynamoDB table.", required=True,
             validations=(_matches("table_name", TABLE_NAME_PATTERN.pattern, TABLE_NAME_RULE),)),
    Variable("partition_key", KEY_TYPE, "The table's partition (hash) key: name and type (S, N or B).",
             default={"name": defaults.PARTITION_KEY, "type": AttributeType.STRING.value},
             validations=_key("partition_key", optional=False)),
    Variable("sort_key", KEY_TYPE, "The table's sort (range) key, or null for a table with a partition key only.",
             default={"name": defaults.SORT_KEY, "type": AttributeType.STRING.value}, nullable=True,
             validations=_key("sort_key", optional=True)),
    Variable("deletion_protection", "bool",
             "Refuse to delete the table (on by default: a deleted table is lost data). Turn off, apply, then destroy.",
             default=True),
    Variable("function_name", "string", "Name of the Lambda function (its log group is /aws/lambda/<name>).", required=True,
             validations=(_matches("function_name", FUNCTION_NAME_PATTERN.pattern, FUNCTION_NAME_RULE),)),
    Variable("code_zip", "string", "Path of the function's deployment package (.zip); Terraform hashes it to redeploy on change.",
             required=True,
             validations=(Validation('endswith(var.code_zip, ".zip") && fileexists(var.code_zip)',
                                     "code_zip '${var.code_zip}' is invalid: an existing .zip file"),)),
    Variable("handler", "string", "The function's entry point, module.function.", default=defaults.HANDLER,
             validations=(_matches("handler", HANDLER_PATTERN.pattern, HANDLER_RULE),)),
    Variable("runtime", "string", "The function's Lambda runtime.", default=defaults.RUNTIME.value,
             validations=(_one_of("runtime", [r.value for r in Runtime], f"one of {', '.join(r.value for r in Runtime)}"),)),
    Variable("architecture", "string", "The instruction set the function runs on (the code_zip's compiled dependencies must match).",
             default=defaults.ARCHITECTURE.value,
             validations=(_one_of("architecture", [a.value for a in Architecture], f"one of {', '.join(a.value for a in Architecture)}"),)),
    Variable("tracing", "string",
             "X-Ray tracing: Active (the role may then send traces) or PassThrough (traced only when the caller traces).",
             default=defaults.TRACING.value,
             validations=(_one_of("tracing", [t.value for t in TracingMode], f"one of {', '.join(t.value for t in TracingMode)}"),)),
    Variable("memory_mb", "number", "Memory of the function in MB.", default=defaults.MEMORY_MB,
             validations=(_whole_range("memory_mb", 128, 10240, MEMORY_RULE),)),
    Variable("timeout_seconds", "number", "Timeout of one invocation in seconds.", default=defaults.TIMEOUT_SECONDS,
             validations=(_whole_range("timeout_seconds", 1, 900, TIMEOUT_RULE),)),
    Variable("log_retention_days", "number", "How long the function's log group keeps logs (0: forever).",
             default=defaults.LOG_RETENTION_DAYS,
             validations=(_one_of("log_retention_days", LOG_RETENTION_DAYS, LOG_RETENTION_RULE),)),
    Variable("access", "string",
             "What the function may do with the table: read, write or read_write (the same levels as AWS CDK's grant*Data).",
             default=defaults.ACCESS.value,
             validations=(_one_of("access", [a.value for a in FIXED_LEVELS], f"one of {', '.join(a.value for a in FIXED_LEVELS)}"),)),
    Variable("actions", "list(string)", "An explicit list of DynamoDB actions to grant instead of an access level.",
             nullable=True,
             validations=(Validation(f"var.actions == null ? true : {_ACTIONS_OK}", f"actions ${{jsonencode(var.actions)}} is invalid: {ACTION_RULE}"),)),
    Variable("role_name", "string", "Name of the IAM role the function runs as (default: <function_name>-role).",
             nullable=True,
             validations=(_matches("role_name", IAM_NAME_64_PATTERN.pattern, IAM_NAME_RULE_64, optional=True),)),
    Variable("policy_name", "string", "Name of the role's customer-managed IAM policy (default: <function_name>-policy).",
             nullable=True,
             validations=(_matches("policy_name", IAM_NAME_128_PATTERN.pattern, IAM_NAME_RULE_128, optional=True),)),
)

#: name -> (description, attribute path on the LambdaDynamoDb construct)
OUTPUTS: dict[str, tuple[str, str]] = {
    "table_name": ("Name of the table.", "table.resource.name"),
    "table_arn": ("ARN of the table.", "table.resource.arn"),
    "role_name": ("Name of the function's IAM role.", "role.role.name"),
    "role_arn": ("ARN of the function's IAM role.", "role.role.arn"),
    "policy_name": ("Name of the role's IAM policy.", "role.policy.name"),
    "policy_arn": ("ARN of the role's IAM policy.", "role.policy.arn"),
    "function_name": ("Name of the Lambda function.", "function.resource.function_name"),
    "function_arn": ("ARN of the Lambda function.", "function.resource.arn"),
    "log_group_name": ("The function's CloudWatch log group.", "function.log_group.name"),
}


def build_module_app(outdir: Path | None = None) -> Any:
    """An app holding the module stack; CDKTF and the provider are loaded here, not at import.

    ``outdir`` None: where the cdktf CLI asks (``CDKTF_OUTDIR``), as ``cdktf synth --hcl`` runs it."""
    from lambda_dynamodb.fast_provider import install

    install()
    from cdktf import App, TerraformOutput, TerraformVariable, TerraformVariableValidationConfig

    # No provider construct: the caller configures `aws` (CDKTF's check for one is skipped).
    app = App(outdir=str(outdir), skip_validation=True) if outdir else App(skip_validation=True)
    stack = module_stack(app)
    # required_version is added to the HCL afterwards (see module_files.with_required_version).
    stack.add_override("terraform.required_providers", {"aws": {"source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION}})
    # A module is called, never initialized on its own: the caller's configuration has the backend.
    stack.add_override("terraform.backend", None)
    inputs = {}
    for v in VARIABLES:
        inputs[v.name] = TerraformVariable(
            stack,
            f"variable_{v.name}",
            type=v.type,
            description=v.description,
            default=_default(v),
            nullable=v.nullable,
            validation=[TerraformVariableValidationConfig(condition=f"${{{c.condition}}}", error_message=c.error_message) for c in v.validations]
            or None,
        )
    module = _compose(stack, inputs)
    for name, (description, path) in OUTPUTS.items():
        TerraformOutput(stack, f"output_{name}", value=_attribute(module, path), description=description)
    _check_named(stack)
    return app


def _check_named(stack: Any) -> None:
    """Every resource and data source has a plain name: a new one in the construct must be
    named in ADDRESSES before the module can ship."""
    from cdktf import TerraformDataSource, TerraformResource

    for element in stack.node.find_all():
        if isinstance(element, (TerraformResource, TerraformDataSource)):
            element.friendly_unique_id  # allocates the name (get_logical_id records unnamed ones)
    if stack.unnamed:
        raise ModuleBuildError(f"no plain address for {', '.join(stack.unnamed)}: name it in tf_module.ADDRESSES")


#: Construct path below the stack -> the plain name of its Terraform address, as HCL modules
#: name them (terraform-aws-modules): one ``this`` per type, ``current`` for the caller's context.
#: Addresses are the module's interface for ``moved`` and ``import`` blocks: a test pins them.
ADDRESSES: dict[str, str] = {
    "this/table/table": "this",
    "this/role/trust": "assume_role",
    "this/role/permissions": "this",
    "this/role/role": "this",
    "this/role/policy": "this",
    "this/role/attachment": "this",
    "this/function/log_group": "this",
    "this/function/function": "this",
    "lambda_dynamodb_arn_context/partition": "current",
    "lambda_dynamodb_arn_context/region": "current",
    "lambda_dynamodb_arn_context/account": "current",
}


def _plain_name(path: str) -> str | None:
    """The plain name of the element at ``path`` (below the stack), or None when it has none."""
    for prefix in ("variable_", "output_"):
        if path.startswith(prefix):
            return path[len(prefix):]  # variables and outputs share the stack's scope: ids prefixed there
    return ADDRESSES.get(path)


def module_stack(scope: Any) -> Any:
    """A ``TerraformStack`` naming elements plainly (CDKTF's ids are the path plus a hash).

    The stack allocates the names: an element's own ``override_logical_id`` comes too late once
    another construct has referenced it."""
    from cdktf import TerraformDataSource, TerraformResource, TerraformStack

    class ModuleStack(TerraformStack):
        def get_logical_id(self, element: Any) -> str:
            name = _plain_name(element.node.path.split("/", 1)[1])
            if name is None and isinstance(element, (TerraformResource, TerraformDataSource)):
                self.unnamed.append(element.node.path)
            return name or super().get_logical_id(element)

    stack = ModuleStack(scope, STACK_NAME)
    stack.unnamed = []
    return stack


def _default(variable: Variable) -> Any:
    if variable.required:
        return None  # no default: Terraform asks for a value
    # A default of null, not "no default": the input is optional. Written as an expression
    # (terraform fmt makes it `null`): CDKTF's HCL renderer fails on Token.null_value().
    return "${null}" if variable.default is None else variable.default


def _compose(stack: Any, inputs: dict[str, Any]) -> Any:
    """The construct, wired to the variables (tokens: Terraform resolves them at plan time)."""
    from cdktf import TerraformLocal

    from lambda_dynamodb import LambdaDynamoDb

    levels = TerraformLocal(stack, "access_levels", {level.value: list(level.actions) for level in FIXED_LEVELS})
    actions = f"${{var.actions != null ? var.actions : {levels.fqn}[var.access]}}"
    module = LambdaDynamoDb(stack, "this", _settings(inputs, actions))
    _optional_sort_key(module.table.resource, TerraformLocal(stack, "key_attributes", KEY_ATTRIBUTES))
    _key_names_variable(module)
    _optional_tracing(module)
    return module


def _key_names_variable(module: Any) -> None:
    """The function's TABLE_KEY_NAMES: the sort key's name too, when there is one. (The whole
    block is set again: CDKTF's HCL renderer drops an override inside a block.)"""
    function = module.settings.function
    variables = {function.table_name_variable: module.table.resource.name, function.key_names_variable: KEY_NAMES}
    module.function.resource.put_environment(variables=variables)


def _optional_tracing(module: Any) -> None:
    """The tracing mode is an input; the role may send traces to X-Ray only when it is Active
    (the statement lambda_service gives a traced function, as a block present on that condition)."""
    from lambda_dynamodb.iam.lambda_service import TRACING_ACTIONS

    module.function.resource.put_tracing_config(mode="${var.tracing}")
    statement = {"effect": "Allow", "actions": list(TRACING_ACTIONS), "resources": ["*"]}
    active = f'${{var.tracing == "{TracingMode.ACTIVE.value}" ? ["xray"] : []}}'
    module.role.permissions.add_override("dynamic.statement", {"for_each": active, "content": statement})


def _settings(inputs: dict[str, Any], actions: str) -> Any:
    from cdktf import Fn, Token

    from lambda_dynamodb import Attribute, FunctionSettings, LambdaDynamoDbSettings, RoleSettings, TableSettings

    name = inputs["function_name"].string_value
    partition_key = inputs["partition_key"].value
    # One token per value: the construct checks the key is a declared attribute by equality.
    key_name = Fn.lookup(partition_key, "name")
    return LambdaDynamoDbSettings(
        table=TableSettings(
            name=inputs["table_name"].string_value,
            partition_key=key_name,
            sort_key=None,  # set by _optional_sort_key: it may be null
            attributes=(Attribute(key_name, Fn.lookup(partition_key, "type")),),
            deletion_protection=inputs["deletion_protection"].boolean_value,
        ),
        function=FunctionSettings(
            name=name,
            package=inputs["code_zip"].string_value,
            handler=inputs["handler"].string_value,
            runtime=inputs["runtime"].string_value,
            architecture=inputs["architecture"].string_value,
            # Set by _optional_tracing: what the role may do depends on the mode.
            tracing=TracingMode.PASS_THROUGH,
            memory_mb=inputs["memory_mb"].number_value,
            timeout_seconds=inputs["timeout_seconds"].number_value,
            log_retention_days=inputs["log_retention_days"].number_value,
        ),
        role=RoleSettings(
            name=Fn.coalesce([inputs["role_name"].string_value, f"{name}-role"]),
            policy_name=Fn.coalesce([inputs["policy_name"].string_value, f"{name}-policy"]),
        ),
        access=tuple(Token.as_list(actions)),
        # The code comes as a built zip that only Terraform reads: there is no source to check.
        check_code=False,
    )


#: The table's key attribute names, comma-separated, as the function's environment gives them.
#: (No nested template: CDKTF's HCL renderer drops the outer one.)
KEY_NAMES = '${join(",", local.key_attributes[*].name)}'
#: The table's key attributes: a null sort key declares no second attribute.
KEY_ATTRIBUTES = "${var.sort_key == null ? [var.partition_key] : [var.partition_key, var.sort_key]}"


def _optional_sort_key(table: Any, key_attributes: Any) -> None:
    """Key attributes as a dynamic block, and the sort key only when there is one."""
    from cdktf import TerraformIterator

    iterator = TerraformIterator.from_list(key_attributes.as_list)
    table.put_attribute(iterator.dynamic({"name": iterator.get_string("name"), "type": iterator.get_string("type")}))
    table.range_key = "${var.sort_key == null ? null : var.sort_key.name}"


def _attribute(root: Any, path: str) -> Any:
    value = root
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _input_row(v: Variable) -> str:
    default = "n/a" if v.required else f"`{json.dumps(v.default)}`"
    return f"| `{v.name}` | {v.description} | `{v.type}` | {default} | {'yes' if v.required else 'no'} |"


def module_readme(version: str | None, addresses: Sequence[str]) -> str:
    """The module's README: usage, inputs and outputs, from the same data as the module."""
    ref = f"v{version}" if version else "vX.Y.Z"
    lines = [
        f"# {MODULE_NAME}",
        "",
        "A Lambda function with least-privilege access to a DynamoDB table: the table (on-demand,",
        "point-in-time recovery, encryption, deletion protection), an IAM role trusted by Lambda with",
        "one customer-managed policy (the table actions of `access`, writing the function's own log",
        "group, sending traces when `tracing` is `Active`), the log group and the function.",
        "Generated by `make tf-module` from the `cdktf-lambda-dynamodb` construct library: do not edit by hand.",
        "",
        f"Requires Terraform `{TERRAFORM_VERSION}` and the `hashicorp/aws` provider `{AWS_PROVIDER_VERSION}`,",
        "configured by the caller (region, credentials, `default_tags`): the module has no provider block.",
        "",
        "## Usage",
        "",
        "```hcl",
        'module "orders" {',
        f'  source = "git::https://git.example.com/platform/{MODULE_NAME}.git?ref={ref}"',
        "",
        '  table_name    = "Orders"',
        '  function_name = "orders-api"',
        '  code_zip      = "${path.root}/build/orders.zip"',
        '  access        = "read"',
        "}",
        "```",
        "",
        "Examples: [`examples/basic`](examples/basic) (one function), [`examples/two-functions`](examples/two-functions)",
        "(two functions, each with its own table, keys and access).",
        "",
        "## Resources",
        "",
        *(f"- `{address}`" for address in addresses),
        "",
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
        *(_input_row(v) for v in sorted(VARIABLES, key=lambda v: v.name)),
        "",
        "## Outputs",
        "",
        "| Name | Description |",
        "|------|-------------|",
        *(f"| `{name}` | {description} |" for name, (description, _) in sorted(OUTPUTS.items())),
    ]
    return "\n".join(lines) + "\n"


def write_module(target: Path, version: str | None = None, changes: Sequence[str] = ()) -> Path:
    """Render and lay out the module in a staging folder, then swap it in place of ``target``.

    ``target``'s git repository (``.git``: the release history) moves over to the new module;
    the CHANGELOG gets a new top entry, ``version``'s or Unreleased, above the released ones."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        hcl = cdktf_hcl(staging, [sys.executable, "-m", "tools.tf_module", "--emit"], STACK_NAME)
        module = staging / "module"
        module.mkdir()
        files = split_files(terraform_fmt(unwrapped(with_required_version(hcl, TERRAFORM_VERSION))))
        for name, text in files.items():
            (module / name).write_text(text)
        (module / "README.md").write_text(module_readme(version, addresses(files["main.tf"])))
        previous = target / "CHANGELOG.md"
        entry = changelog(previous.read_text() if previous.exists() else None, version, date.today().isoformat(), changes)
        (module / "CHANGELOG.md").write_text(entry)
        shutil.copytree(EXAMPLES_DIR, module / "examples")
        _swap_keeping_history(module, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _swap_keeping_history(module: Path, target: Path) -> None:
    from lambda_dynamodb.synthesis.output import check_replaceable, replace_folder

    check_replaceable(target)  # a folder the project did not make is refused before anything in it moves
    history = target / ".git"
    if history.exists():
        history.rename(module / ".git")
    try:
        replace_folder(module, target)
    except BaseException:
        if (module / ".git").exists():
            (module / ".git").rename(history)  # the release history is never lost with a failed build
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tf_module", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR)
    parser.add_argument("--emit", action="store_true", help="synthesize the stack where the cdktf CLI asks (what `cdktf synth --hcl` runs)")
    arguments = parser.parse_args(argv)
    if arguments.emit:
        build_module_app().synth()
        return 0
    from lambda_dynamodb.synthesis.output import FolderError

    try:
        target = write_module(arguments.outdir)
    except FolderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ModuleBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote the Terraform module to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
