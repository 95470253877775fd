"""User text is literal text in Terraform: ``${...}`` and ``%{...}`` are never evaluated.

A setting that reaches the configuration as a string would otherwise be a Terraform template:
``${file("/etc/hostname")}`` in an environment variable deploys the machine's host name, and
``%{ if ... }`` directives render. Each free-text setting is synthesized, applied to the emulator
and read back: AWS holds exactly what the user typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import (
    Access,
    Attribute,
    ConfigurationError,
    Function,
    FunctionSettings,
    RoleSettings,
    Table,
    TableSettings,
)

from conftest import PROJECT_DIR, Deployment, deployed, resources, synth_stack

FILE = '${file("/etc/hostname")}'
DIRECTIVE = "%{ if true }yes%{ endif }"
PARTITION_KEY = f"id{FILE}"
SORT_KEY = f"at{DIRECTIVE}"
TTL = "expires${1 + 1}"
ROLE_PATH = "/svc/${path.module}/"
ENVIRONMENT = {"GREETING": FILE, "TEMPLATE": "%{ for x in [1] }y%{ endfor }", "PLAIN": "$ {not a template} 100%"}


def build(stack: Any) -> None:
    table = Table(
        stack,
        "orders",
        TableSettings(
            name="Orders",
            partition_key=PARTITION_KEY,
            sort_key=SORT_KEY,
            attributes=(Attribute(PARTITION_KEY), Attribute(SORT_KEY)),
            ttl_attribute=TTL,
        ),
    )
    settings = FunctionSettings(name="orders-api", source_dir=PROJECT_DIR / "lambda", environment=ENVIRONMENT)
    function = Function(stack, "api", settings, role=RoleSettings(name="orders-api", policy_name="orders-api", path=ROLE_PATH), check_code=False)
    function.use(table, access=Access.READ_WRITE, key_names_env="TABLE_KEY_NAMES")


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("escaping")
    synth_stack(out, build)
    return out / "stacks" / "test"


@pytest.fixture(scope="module")
def doc(stack_dir: Path) -> dict[str, Any]:
    import json

    return json.loads((stack_dir / "cdk.tf.json").read_text())


@pytest.fixture(scope="module")
def deployment(stack_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployed(stack_dir, tmp_path_factory.mktemp("escaping-deployed")) as deployment:
        yield deployment
        dynamodb = deployment.client("dynamodb")
        dynamodb.update_table(TableName="Orders", DeletionProtectionEnabled=False)
        deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color")


def test_the_json_escapes_interpolations_and_directives(doc: dict[str, Any]) -> None:
    (table,) = resources(doc, "aws_dynamodb_table")
    assert table["hash_key"] == 'id$${file("/etc/hostname")}'
    assert table["range_key"] == "at%%{ if true }yes%%{ endif }"


def test_text_without_a_template_is_unchanged(doc: dict[str, Any]) -> None:
    (function,) = resources(doc, "aws_lambda_function")
    assert function["environment"]["variables"]["PLAIN"] == "$ {not a template} 100%"


def test_a_reference_stays_a_reference(doc: dict[str, Any]) -> None:
    (function,) = resources(doc, "aws_lambda_function")
    assert function["environment"]["variables"]["TABLE_NAME"].startswith("${aws_dynamodb_table.")


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_deployed_key_attributes_are_what_the_user_typed(deployment: Deployment) -> None:
    table = deployment.client("dynamodb").describe_table(TableName="Orders")["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == [PARTITION_KEY, SORT_KEY]


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_deployed_ttl_attribute_is_what_the_user_typed(deployment: Deployment) -> None:
    ttl = deployment.client("dynamodb").describe_time_to_live(TableName="Orders")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == TTL


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_deployed_environment_is_what_the_user_typed(deployment: Deployment) -> None:
    variables = deployment.client("lambda").get_function_configuration(FunctionName="orders-api")["Environment"]["Variables"]
    assert {name: variables[name] for name in ENVIRONMENT} == ENVIRONMENT
    assert variables["TABLE_KEY_NAMES"] == f"{PARTITION_KEY},{SORT_KEY}"


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_deployed_role_path_is_what_the_user_typed(deployment: Deployment) -> None:
    assert deployment.client("iam").get_role(RoleName="orders-api")["Role"]["Path"] == ROLE_PATH


@pytest.mark.parametrize("tags", [{"team": FILE}, {"${var.x}": "a"}, {"aws:owner": "me"}])
def test_tags_aws_would_refuse_are_refused(tags: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"tags\[.*\] .* is invalid: letters, digits, spaces and \+ - = \. _ : / @ only"):
        synth_stack(tmp_path, lambda stack: Table(stack, "t", TableSettings(name="Orders", tags=tags)))
