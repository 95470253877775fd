"""One negative test per validation rule, plus the all-at-once and nothing-created guarantees."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lambda_dynamodb import (
    Access,
    Attribute,
    AttributeType,
    ConfigurationError,
    ExistingTable,
    GlobalIndex,
    LocalIndex,
    ProjectionType,
    TableSettings,
    validate,
)
from lambda_dynamodb.config.validation import region_problems

from conftest import PROJECT_DIR, module_settings
from lambda_dynamodb.packaging.code_package import archive

BASE = module_settings()


def with_table(**changes: Any):
    return replace(BASE, table=replace(BASE.table, **changes))


def with_function(**changes: Any):
    return replace(BASE, function=replace(BASE.function, **changes))


def with_role(**changes: Any):
    return replace(BASE, role=replace(BASE.role, **changes))


CASES = {
    "table name too short": (with_table(name="a"), "table.name 'a' is invalid: 3 to 255 characters of A-Z a-z 0-9 _ . -"),
    "table name bad character": (with_table(name="my table"), "table.name 'my table' is invalid: 3 to 255 characters"),
    "table name too long": (with_table(name="t" * 256), "is invalid: 3 to 255 characters"),
    "function name too long": (with_function(name="f" * 65), "function.name '" + "f" * 65 + "' is invalid: 1 to 64 characters of A-Z a-z 0-9 - _"),
    "function name bad character": (with_function(name="my.function"), "function.name 'my.function' is invalid: 1 to 64"),
    "role name bad character": (with_role(name="role/x"), "role.name 'role/x' is invalid: 1 to 64 characters of A-Z a-z 0-9 and + = , . @ _ -"),
    "role name too long": (with_role(name="r" * 65), "role.name '" + "r" * 65 + "' is invalid: 1 to 64"),
    "policy name too long": (with_role(policy_name="p" * 129), "role.policy_name '" + "p" * 79 + "\u2026 (129 characters) is invalid: 1 to 128"),
    "policy name empty": (with_role(policy_name=""), "role.policy_name '' is invalid: 1 to 128"),
    "iam path": (with_role(path="service-role"), "role.path 'service-role' is invalid: starts and ends with /"),
    "permissions boundary": (with_role(permissions_boundary_arn="boundary"), "role.permissions_boundary_arn 'boundary' is invalid: an IAM policy ARN"),
    "runtime unknown": (with_function(runtime="python2.7"), "function.runtime 'python2.7' is invalid: one of python3.13, python3.12"),
    "runtime deprecated": (with_function(runtime="dotnet8"), "function.runtime 'dotnet8' is invalid: one of"),
    "memory too small": (with_function(memory_mb=64), "function.memory_mb 64 is invalid: a whole number of MB from 128 to 10240"),
    "memory too large": (with_function(memory_mb=10241), "function.memory_mb 10241 is invalid"),
    "timeout zero": (with_function(timeout_seconds=0), "function.timeout_seconds 0 is invalid: a whole number of seconds from 1 to 900"),
    "timeout too long": (with_function(timeout_seconds=901), "function.timeout_seconds 901 is invalid"),
    "log retention": (with_function(log_retention_days=10), "function.log_retention_days 10 is invalid: one of CloudWatch's retention values"),
    "architecture": (with_function(architecture="sparc"), "function.architecture 'sparc' is invalid: one of x86_64, arm64"),
    "handler format": (with_function(handler="handler"), "function.handler 'handler' is invalid: module.function"),
    "handler module missing": (with_function(handler="missing.handler"), "function.handler 'missing.handler' is invalid: its module must exist in"),
    "source dir missing": (with_function(source_dir="/nonexistent/code"), "function.source_dir '/nonexistent/code' is invalid: an existing directory"),
    "package missing": (
        replace(with_function(package="/nonexistent/code.zip"), check_code=False),
        "function.package '/nonexistent/code.zip' is invalid: an existing .zip file",
    ),
    "package not a zip": (replace(with_function(package=__file__), check_code=False), f"function.package '{__file__}' is invalid: an existing .zip file"),
    "tracing": (with_function(tracing="Sometimes"), "function.tracing 'Sometimes' is invalid: one of Active, PassThrough"),
    "code check not a boolean": (replace(BASE, check_code="yes"), "check_code 'yes' is invalid: true or false"),
    "code check of a built package": (
        with_function(package=archive((PROJECT_DIR / "lambda").resolve())),
        "check_code True is invalid: the code check reads Python source from source_dir: set check_code=False for a built package",
    ),
    "from_code without the code check": (
        replace(BASE, access=Access.FROM_CODE, check_code=False),
        "access 'from_code' is invalid: reads the code's calls: it needs check_code on",
    ),
    "environment name": (with_function(environment={"1BAD": "x"}), "function.environment['1BAD'] '1BAD' is invalid: a letter, then letters"),
    "environment reserved name": (with_function(environment={"AWS_REGION": "x"}), "function.environment['AWS_REGION'] 'AWS_REGION' is invalid"),
    "environment overrides table variable": (with_function(environment={"TABLE_NAME": "x"}), "function.environment 'TABLE_NAME' is invalid: the module sets this variable"),
    "environment overrides key names variable": (with_function(environment={"TABLE_KEY_NAMES": "x"}), "function.environment 'TABLE_KEY_NAMES' is invalid: the module sets this variable"),
    "key names variable": (with_function(key_names_variable="keys!"), "function.key_names_variable 'keys!' is invalid: a letter, then letters"),
    "key names variable same as table name variable": (with_function(key_names_variable="TABLE_NAME"), "function.key_names_variable 'TABLE_NAME' is invalid: a name other than table_name_variable"),
    "dependency packaging": (with_function(dependencies="docker"), "function.dependencies 'docker' is invalid: one of bundled, layer"),
    "runtime provided": (with_function(runtime_provided=["boto3"]), "function.runtime_provided ['boto3'] is invalid: a tuple of distribution names"),
    "existing table key names": (replace(BASE, table=ExistingTable("Shared", key_names=("pk", "sk", "x"))), "table.key_names ['pk', 'sk', 'x'] is invalid: a partition key name, and at most one sort key name"),
    "table name variable": (with_function(table_name_variable="table-name"), "function.table_name_variable 'table-name' is invalid"),
    "tags": (with_function(tags={"k" * 129: "v"}), "is invalid: tag keys 1 to 128 characters"),
    "access level": (replace(BASE, access="admin"), "access 'admin' is invalid: one of read, write, read_write"),
    "access action typo": (replace(BASE, access=("dynamodb:PutItems",)), "access[0] 'dynamodb:PutItems' is invalid: a DynamoDB action from the IAM catalog, written dynamodb:Name (did you mean 'dynamodb:PutItem'?)"),
    "access wildcard": (replace(BASE, access=("dynamodb:*",)), "access[0] 'dynamodb:*' is invalid: wildcards grant every current and future action"),
    "logs mode": (replace(BASE, logs="everything"), "logs 'everything' is invalid: one of scoped, account_wide"),
    "attribute type": (with_table(attributes=(Attribute("pk", "X"), Attribute("sk"))), "table.attributes[0].type 'X' is invalid: one of S, N, B"),
    "partition key missing from attributes": (with_table(partition_key="id", attributes=(Attribute("sk"),)), "table.partition_key 'id' is invalid: a key must be one of the declared attributes (sk)"),
    "sort key missing from attributes": (with_table(sort_key="created", attributes=(Attribute("pk"),)), "table.sort_key 'created' is invalid: a key must be one of the declared attributes"),
    "index key missing from attributes": (with_table(global_indexes=(GlobalIndex("by-x", partition_key="x"),)), "table.global_indexes[0].partition_key 'x' is invalid: a key must be one of"),
    "attribute not used by any key": (with_table(attributes=(Attribute("pk"), Attribute("sk"), Attribute("extra"))), "table.attributes 'extra' is invalid: DynamoDB accepts only attributes used"),
    "local index needs sort key": (
        replace(BASE, table=TableSettings(name="Table1", sort_key=None, attributes=(Attribute("pk"), Attribute("lsk")), local_indexes=(LocalIndex("by-lsk", "lsk"),))),
        "table.sort_key None is invalid: a table with local secondary indexes needs a sort key",
    ),
    "index name": (with_table(global_indexes=(GlobalIndex("x", partition_key="sk"),)), "table.global_indexes[0].name 'x' is invalid: 3 to 255"),
    "duplicate index name": (
        with_table(global_indexes=(GlobalIndex("dup", partition_key="sk"), GlobalIndex("dup", partition_key="sk"))),
        "table.global_indexes[1].name 'dup' is invalid: index names must be unique",
    ),
    "non-key attributes need INCLUDE": (
        with_table(global_indexes=(GlobalIndex("by-sk", partition_key="sk", non_key_attributes=("a",)),)),
        "table.global_indexes[0].non_key_attributes ['a'] is invalid: only with projection INCLUDE",
    ),
    "projection": (with_table(global_indexes=(GlobalIndex("by-sk", partition_key="sk", projection="SOME"),)), "table.global_indexes[0].projection 'SOME' is invalid"),
    "stream view type": (with_table(stream="EVERYTHING"), "table.stream 'EVERYTHING' is invalid: one of KEYS_ONLY"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rule_rejects_bad_value(case: str) -> None:
    settings, expected = CASES[case]
    with pytest.raises(ConfigurationError) as caught:
        validate(settings)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert expected in caught.value.problems[0]


def test_valid_settings_pass() -> None:
    validate(BASE)


def test_every_problem_is_collected_and_raised_once() -> None:
    settings = replace(
        with_table(name="a"),
        function=replace(BASE.function, name="bad name", memory_mb=1),
        role=replace(BASE.role, name=""),
        access="admin",
    )
    with pytest.raises(ConfigurationError) as caught:
        validate(settings)
    fields = [p.split(" ")[0] for p in caught.value.problems]
    assert fields == ["table.name", "function.name", "function.memory_mb", "role.name", "access"]
    assert str(caught.value).startswith("5 configuration problems:")


def test_region_rule() -> None:
    assert region_problems("Europe") == ["region 'Europe' is invalid: an AWS region code such as eu-west-1"]
    assert region_problems("us-gov-west-1") == []


def test_bad_settings_create_nothing(tmp_path) -> None:
    from cdktf import App, TerraformStack

    from lambda_dynamodb import LambdaDynamoDb

    stack = TerraformStack(App(outdir=str(tmp_path)), "nothing")
    with pytest.raises(ConfigurationError):
        LambdaDynamoDb(stack, "module", with_table(name="a"))
    assert stack.node.children == []


def test_grant_with_bad_actions_adds_nothing(tmp_path) -> None:
    from lambda_dynamodb import LambdaDynamoDb

    from conftest import synth_stack

    def build(stack: Any) -> None:
        module = LambdaDynamoDb(stack, "module", BASE)
        before = module.role.document
        with pytest.raises(ConfigurationError, match="did you mean 'dynamodb:GetItem'"):
            module.table.grant(module.function, ["dynamodb:GetItems"])
        assert module.role.document == before

    synth_stack(tmp_path, build)


def test_integer_enum_values_are_accepted_as_members() -> None:
    validate(with_table(attributes=(Attribute("pk", AttributeType.NUMBER), Attribute("sk", "S"))))
    validate(with_table(global_indexes=(GlobalIndex("by-sk", partition_key="sk", projection=ProjectionType.KEYS_ONLY),)))


def test_handler_in_a_package_is_found_by_its_path(tmp_path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "api.py").write_text("def handler(event, context):\n    return {}\n")
    validate(with_function(source_dir=tmp_path, handler="pkg.api.handler"))
    with pytest.raises(ConfigurationError, match="its module must exist in .* as pkg/missing.py"):
        validate(with_function(source_dir=tmp_path, handler="pkg.missing.handler"))


def test_a_handler_defined_in_a_packages_init_is_found(tmp_path) -> None:
    # Lambda's Python runtime imports `pkg.handler`'s module `pkg`: its __init__.py.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("def handler(event, context):\n    return {}\n")
    validate(replace(with_function(source_dir=tmp_path, handler="pkg.handler"), check_code=False))


def test_a_packages_init_must_define_the_handler(tmp_path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("def other(event, context):\n    return {}\n")
    with pytest.raises(ConfigurationError, match="function.handler 'pkg.handler' is invalid: .*__init__.py"):
        validate(replace(with_function(source_dir=tmp_path, handler="pkg.handler"), check_code=False))


def test_handler_module_must_be_in_the_package(tmp_path) -> None:
    package = archive((PROJECT_DIR / "lambda").resolve())
    validate(replace(with_function(package=package, handler="handler.handler"), check_code=False))
    with pytest.raises(ConfigurationError, match="function.handler 'api.handler' is invalid: its module must exist in .* as api.py"):
        validate(replace(with_function(package=package, handler="api.handler"), check_code=False))


def test_values_only_terraform_knows_are_left_to_terraform(tmp_path) -> None:
    from cdktf import App, TerraformStack, TerraformVariable

    stack = TerraformStack(App(outdir=str(tmp_path)), "variables")
    name, memory, runtime, actions = (TerraformVariable(stack, id) for id in ("name", "memory", "runtime", "actions"))
    # The Terraform module's variables carry these rules as validation blocks instead.
    validate(with_function(name=name.string_value, memory_mb=memory.number_value, runtime=runtime.string_value))
    validate(replace(BASE, access=tuple(actions.list_value)))
