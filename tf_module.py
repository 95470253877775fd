"""`make tf-module`: the construct as a plain Terraform module, for teams that write HCL.

    python tf_module.py [--outdir dist/terraform-module]

Writes ``main.tf.json`` (made with cdktf-tf-module-stack: variables, resources, outputs, no
provider block: the calling configuration brings its own ``aws`` provider) and a ``README.md``
listing the inputs and outputs. The same ``LambdaDynamoDb`` construct as the app builds the
resources; the inputs are Terraform variables, so the rules the construct checks in Python
are carried by the variables' ``validation`` blocks instead. Importing this file synthesizes
nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_DIR / "modules"))  # run from a checkout without installing the package

from lambda_dynamodb import AttributeType, Runtime, defaults  # noqa: E402
from lambda_dynamodb.access import FIXED_LEVELS  # noqa: E402
from lambda_dynamodb.dynamodb_actions import DYNAMODB_ACTIONS  # noqa: E402
from lambda_dynamodb.validation import (  # noqa: E402
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

STACK_NAME = "terraform-module"
DEFAULT_OUTDIR = PROJECT_DIR / "dist" / "terraform-module"
MODULE_FILE = "main.tf.json"
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

#: The module's inputs. Defaults are the construct's own (lambda_dynamodb.defaults).
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


def build_module_app(outdir: Path) -> Any:
    """An app holding the module stack; CDKTF and the provider are loaded here, not at import."""
    from lambda_dynamodb.fast_provider import install

    install()
    from cdktf import App, TerraformVariableValidationConfig
    from constructs import Construct
    from cdktf_tf_module_stack import ProviderRequirement, TFModuleOutput, TFModuleStack, TFModuleVariable

    app = App(outdir=str(outdir))
    stack = TFModuleStack(app, STACK_NAME)
    ProviderRequirement(stack, "aws", AWS_PROVIDER_VERSION, "hashicorp/aws")
    stack.add_override("terraform.required_version", TERRAFORM_VERSION)
    inputs = {
        v.name: TFModuleVariable(
            stack,
            v.name,
            type=v.type,
            description=v.description,
            default=_default(v),
            nullable=v.nullable,
            validation=[TerraformVariableValidationConfig(condition=f"${{{c.condition}}}", error_message=c.error_message) for c in v.validations]
            or None,
        )
        for v in VARIABLES
    }
    module = _compose(stack, inputs)
    # Outputs live in their own scope (a variable already has the id "table_name"); static ids
    # keep their names plain.
    outputs = Construct(stack, "outputs")
    for name, (description, path) in OUTPUTS.items():
        TFModuleOutput(outputs, name, value=_attribute(module, path), description=description, static_id=True)
    return app


def _default(variable: Variable) -> Any:
    from cdktf import Token

    if variable.required:
        return None  # no default: Terraform asks for a value
    # A default of null, not "no default": the input is optional.
    return Token.null_value() if variable.default is None else variable.default


def _compose(stack: Any, inputs: dict[str, Any]) -> Any:
    """The construct, wired to the variables (tokens: Terraform resolves them at plan time)."""
    from cdktf import TerraformLocal

    from lambda_dynamodb import LambdaDynamoDb

    levels = TerraformLocal(stack, "access_levels", {level.value: list(level.actions) for level in FIXED_LEVELS})
    actions = f"${{var.actions != null ? var.actions : {levels.fqn}[var.access]}}"
    module = LambdaDynamoDb(stack, "this", _settings(inputs, actions))
    _optional_sort_key(module.table.resource, TerraformLocal(stack, "key_attributes", KEY_ATTRIBUTES))
    # The function's TABLE_KEY_NAMES: the sort key's name too, when there is one.
    module.function.resource.add_override(f"environment.variables.{defaults.KEY_NAMES_VARIABLE}", KEY_NAMES)
    return module


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
KEY_NAMES = '${var.sort_key == null ? var.partition_key.name : "${var.partition_key.name},${var.sort_key.name}"}'
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


def module_readme() -> str:
    """The module's README: usage, inputs and outputs, from the same data as the module."""
    lines = [
        "# lambda-dynamodb Terraform module",
        "",
        "A Lambda function with least-privilege access to a DynamoDB table: the table (on-demand,",
        "point-in-time recovery, encryption, deletion protection), an IAM role trusted by Lambda with",
        "one customer-managed policy (the table actions of `access`, plus writing the function's own",
        "log group), the log group and the function. Generated by `make tf-module` from the",
        "`cdktf-lambda-dynamodb` construct library; do not edit by hand.",
        "",
        f"Requires Terraform {TERRAFORM_VERSION} and the `hashicorp/aws` provider {AWS_PROVIDER_VERSION}",
        "(configured by the caller, e.g. with `default_tags`).",
        "",
        "```hcl",
        'module "orders" {',
        '  source        = "./terraform-module"',
        '  table_name    = "Orders"',
        '  function_name = "orders-api"',
        '  code_zip      = "${path.root}/build/orders.zip"',
        '  access        = "read"',
        "}",
        "```",
        "",
        "## Inputs",
        "",
        "| Name | Type | Default | Description |",
        "|---|---|---|---|",
    ]
    for v in VARIABLES:
        default = "required" if v.required else f"`{json.dumps(v.default)}`"
        lines.append(f"| `{v.name}` | `{v.type}` | {default} | {v.description} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    lines += [f"| `{name}` | {description} |" for name, (description, _) in OUTPUTS.items()]
    return "\n".join(lines) + "\n"


def write_module(target: Path) -> Path:
    """Synthesize and assemble the module in a staging folder, then swap it in place of ``target``."""
    from lambda_dynamodb.synth import replace_folder

    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        build_module_app(staging / "cdktf.out").synth()
        module = staging / "module"
        module.mkdir()
        shutil.copyfile(staging / "cdktf.out" / "stacks" / STACK_NAME / "cdk.tf.json", module / MODULE_FILE)
        (module / "README.md").write_text(module_readme())
        replace_folder(module, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR)
    target = write_module(parser.parse_args(argv).outdir)
    print(f"wrote the Terraform module to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
