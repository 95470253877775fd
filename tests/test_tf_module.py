"""`make tf-module`: the construct as a plain Terraform module, called twice from an HCL root."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tf_module
from conftest import PROJECT_DIR, Deployment, policy_statements
from lambda_dynamodb import READ_ACTIONS, READ_WRITE_ACTIONS
from lambda_dynamodb.code_package import archive
from lambda_dynamodb.validation import FUNCTION_NAME_PATTERN, HANDLER_PATTERN, IAM_NAME_64_PATTERN, TABLE_NAME_PATTERN

HCL_ROOT = Path(__file__).resolve().parent / "terraform_module" / "main.tf"
#: What the issue asks the module to take, at least.
REQUIRED_INPUTS = {"table_name", "partition_key", "sort_key", "function_name", "runtime", "handler", "code_zip", "access", "log_retention_days"}
EXPECTED_OUTPUTS = {"table_name", "table_arn", "role_name", "role_arn", "policy_name", "policy_arn", "function_name", "function_arn", "log_group_name"}


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module, written by `python tf_module.py` as `make tf-module` runs it."""
    target = tmp_path_factory.mktemp("dist") / "terraform-module"
    result = subprocess.run([sys.executable, "tf_module.py", "--outdir", str(target)], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, f"tf_module.py failed:\n{result.stdout}\n{result.stderr}"
    return target


@pytest.fixture(scope="module")
def module_json(module_dir: Path) -> dict[str, Any]:
    return json.loads((module_dir / tf_module.MODULE_FILE).read_text())


def _blocks(module_json: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Variables or outputs by name (cdktf-tf-module-stack writes each as a one-block list)."""
    return {name: blocks[0] for name, blocks in module_json[kind].items()}


def _root(work: Path, module_dir: Path, main_tf: str) -> Path:
    """An HCL root folder: main.tf, the module beside it, and a function package to deploy."""
    work.mkdir(parents=True)
    (work / "main.tf").write_text(main_tf)
    shutil.copytree(module_dir, work / "terraform-module")
    shutil.copyfile(archive((PROJECT_DIR / "lambda").resolve()), work / "function.zip")
    return work


def _initialized(root: Path) -> Deployment:
    from terraform_cli import terraform_env

    deployment = Deployment(root, terraform_env(root / "terraform.rc"))
    init = deployment.terraform("init", "-input=false", "-no-color", check=False)
    assert init.returncode == 0, f"terraform init failed: is the AWS provider in the mirror (/opt/tf-plugins)?\n{init.stdout}{init.stderr}"
    return deployment


# --- the module's interface ----------------------------------------------------------------


def test_module_takes_the_inputs_the_issue_names(module_json: dict[str, Any]) -> None:
    assert REQUIRED_INPUTS <= set(_blocks(module_json, "variable"))


def test_every_input_has_a_type_and_a_description(module_json: dict[str, Any]) -> None:
    incomplete = [name for name, v in _blocks(module_json, "variable").items() if not (v.get("type") and v.get("description"))]
    assert incomplete == []


def test_only_names_and_the_code_are_required(module_json: dict[str, Any]) -> None:
    required = {name for name, v in _blocks(module_json, "variable").items() if "default" not in v}
    assert required == {"table_name", "function_name", "code_zip"}


def test_outputs_are_the_arns_and_names_with_descriptions(module_json: dict[str, Any]) -> None:
    outputs = _blocks(module_json, "output")
    assert set(outputs) == EXPECTED_OUTPUTS and all(o.get("description") for o in outputs.values())


def test_module_brings_no_provider_configuration(module_json: dict[str, Any]) -> None:
    assert "provider" not in module_json
    assert module_json["terraform"]["required_providers"]["aws"]["source"] == "hashicorp/aws"


def test_readme_lists_every_input_and_output(module_dir: Path, module_json: dict[str, Any]) -> None:
    readme = (module_dir / "README.md").read_text()
    missing = [name for name in [*module_json["variable"], *module_json["output"]] if f"`{name}`" not in readme]
    assert missing == []


def test_a_failed_build_leaves_the_previous_module_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "terraform-module"
    target.mkdir()
    (target / "main.tf.json").write_text("previous")

    def broken(outdir: Path) -> Any:
        raise RuntimeError("synthesis failed")

    monkeypatch.setattr(tf_module, "build_module_app", broken)
    with pytest.raises(RuntimeError, match="synthesis failed"):
        tf_module.write_module(target)
    assert [p.name for p in tmp_path.iterdir()] == ["terraform-module"]
    assert (target / "main.tf.json").read_text() == "previous"


@pytest.mark.parametrize(
    "pattern",
    [TABLE_NAME_PATTERN, FUNCTION_NAME_PATTERN, IAM_NAME_64_PATTERN, HANDLER_PATTERN],
    ids=["table_name", "function_name", "iam_name", "handler"],
)
@given(text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=70))
def test_terraform_regexes_accept_what_the_python_rules_accept(pattern: re.Pattern[str], text: str) -> None:
    translated = re.compile(tf_module._re2(pattern.pattern))
    assert bool(translated.search(text)) == bool(pattern.fullmatch(text))


# --- the HCL root: validate, and every rule's message ---------------------------------------


@pytest.fixture(scope="module")
def hcl_root(module_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return _initialized(_root(tmp_path_factory.mktemp("hcl") / "root", module_dir, HCL_ROOT.read_text()))


def test_hcl_root_calling_the_module_twice_validates(hcl_root: Deployment) -> None:
    result = hcl_root.terraform("validate", "-no-color")
    assert "Success! The configuration is valid." in result.stdout and "Warning" not in result.stdout + result.stderr


#: case -> (the module input, a bad value for it in HCL, the message Terraform must print)
BAD_INPUTS: dict[str, tuple[str, str, str]] = {
    "table name": ("table_name", '"a"', "table_name 'a' is invalid: 3 to 255 characters of A-Z a-z 0-9 _ . -"),
    "function name": ("function_name", '"my function"', "function_name 'my function' is invalid: 1 to 64 characters"),
    "code zip": ("code_zip", '"missing.zip"', "code_zip 'missing.zip' is invalid: an existing .zip file"),
    "handler": ("handler", '"handler"', "handler 'handler' is invalid: module.function"),
    "runtime": ("runtime", '"python2.7"', "runtime 'python2.7' is invalid: one of python3.13"),
    "memory": ("memory_mb", "100", "memory_mb 100 is invalid: a whole number of MB from 128 to 10240"),
    "timeout": ("timeout_seconds", "901", "timeout_seconds 901 is invalid: a whole number of seconds from 1 to 900"),
    "retention": ("log_retention_days", "10", "log_retention_days 10 is invalid: one of CloudWatch's retention values"),
    "access": ("access", '"admin"', "access 'admin' is invalid: one of read, write, read_write"),
    "actions": ("actions", '["dynamodb:*"]', 'actions ["dynamodb:*"] is invalid: at least one action, each a DynamoDB action'),
    "partition key type": ("partition_key", '{ name = "id", type = "X" }', 'partition_key {"name":"id","type":"X"} is invalid'),
    "sort key name": ("sort_key", '{ name = "" }', 'sort_key {"name":"","type":"S"} is invalid'),
    "role name": ("role_name", '"bad/role"', "role_name 'bad/role' is invalid: 1 to 64 characters"),
    "policy name": ("policy_name", '"bad policy"', "policy_name 'bad policy' is invalid: 1 to 128 characters"),
}


@pytest.fixture(scope="module")
def bad_inputs_validation(module_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One root with one module call per bad input: `terraform validate` reports them all."""
    calls = []
    for i, (name, value, _) in enumerate(BAD_INPUTS.values()):
        arguments = {"source": '"./terraform-module"', "table_name": f'"Ok{i}"', "function_name": f'"ok{i}"'}
        arguments |= {"code_zip": '"${path.root}/function.zip"', name: value}
        calls.append(f'module "case_{i}" {{\n' + "".join(f"  {k} = {v}\n" for k, v in arguments.items()) + "}\n")
    root = _initialized(_root(tmp_path_factory.mktemp("bad") / "root", module_dir, "\n".join(calls)))
    result = root.terraform("validate", "-no-color", check=False)
    assert result.returncode != 0, "terraform validate accepted every bad input"
    # Terraform wraps long messages: compare with single spaces.
    return " ".join((result.stdout + result.stderr).split())


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_with_its_rule(bad_inputs_validation: str, case: str) -> None:
    assert BAD_INPUTS[case][2] in bad_inputs_validation


# --- apply and destroy against the local emulator ------------------------------------------


@dataclass(frozen=True)
class Inventory:
    tables: dict[str, Any]
    roles: set[str]
    policies: dict[str, dict[str, Any]]
    functions: dict[str, Any]
    retention: dict[str, int]


def _inventory(deployment: Deployment) -> Inventory:
    dynamodb, iam, lam, logs = (deployment.client(s) for s in ("dynamodb", "iam", "lambda", "logs"))
    tables = {name: dynamodb.describe_table(TableName=name)["Table"] for name in dynamodb.list_tables()["TableNames"]}
    policies = {}
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        policies[policy["PolicyName"]] = version["PolicyVersion"]["Document"]
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    retention = {g["logGroupName"]: g.get("retentionInDays", 0) for g in logs.describe_log_groups()["logGroups"]}
    return Inventory(tables, {r["RoleName"] for r in iam.list_roles()["Roles"]}, policies, functions, retention)


@dataclass(frozen=True)
class Lifecycle:
    applied: Inventory
    destroyed: Inventory
    outputs: dict[str, Any]


@pytest.fixture(scope="module")
def lifecycle(hcl_root: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lifecycle]:
    """Apply the HCL root to an emulator of its own, take stock, destroy, take stock again."""
    import emulator

    state_dir = tmp_path_factory.mktemp("emulator")
    running, _ = emulator.start(state_dir=state_dir)
    try:
        deployment = Deployment(hcl_root.stack_dir, {**hcl_root.env, **running.environment("eu-west-1")})
        deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color")
        applied, outputs = _inventory(deployment), deployment.outputs()
        deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color")
        yield Lifecycle(applied, _inventory(deployment), outputs)
    finally:
        emulator.stop(state_dir=state_dir)


def test_apply_creates_two_of_everything(lifecycle: Lifecycle) -> None:
    applied = lifecycle.applied
    assert (set(applied.tables), applied.roles, set(applied.policies), set(applied.functions)) == (
        {"Orders", "AuditLog"},
        {"orders-api-role", "AuditReaderRole"},
        {"orders-api-policy", "AuditReaderPolicy"},
        {"orders-api", "audit-reader"},
    )


def test_sort_key_defaults_and_can_be_left_out(lifecycle: Lifecycle) -> None:
    schemas = {name: {k["AttributeName"]: k["KeyType"] for k in t["KeySchema"]} for name, t in lifecycle.applied.tables.items()}
    assert schemas == {"Orders": {"pk": "HASH", "sk": "RANGE"}, "AuditLog": {"event_id": "HASH"}}


def test_key_types_are_the_given_ones(lifecycle: Lifecycle) -> None:
    attributes = {a["AttributeName"]: a["AttributeType"] for a in lifecycle.applied.tables["AuditLog"]["AttributeDefinitions"]}
    assert attributes == {"event_id": "N"}


def test_each_policy_grants_its_access_level_on_its_own_table(lifecycle: Lifecycle) -> None:
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/{}"
    table_statements = {
        name: next(s for s in policy_statements(document) if s["Action"][0].startswith("dynamodb:"))
        for name, document in lifecycle.applied.policies.items()
    }
    assert table_statements == {
        "orders-api-policy": {"Effect": "Allow", "Action": sorted(READ_WRITE_ACTIONS), "Resource": [arn.format("Orders")]},
        "AuditReaderPolicy": {"Effect": "Allow", "Action": sorted(READ_ACTIONS), "Resource": [arn.format("AuditLog")]},
    }


def test_functions_get_their_settings_and_their_table(lifecycle: Lifecycle) -> None:
    audit = lifecycle.applied.functions["audit-reader"]
    assert (audit["MemorySize"], audit["Timeout"], audit["Runtime"], audit["Handler"], audit["Environment"]["Variables"]) == (
        512,
        30,
        "python3.13",
        "handler.handler",
        {"TABLE_NAME": "AuditLog", "TABLE_KEY_NAMES": "event_id"},
    )


def test_functions_get_both_key_names_when_there_is_a_sort_key(lifecycle: Lifecycle) -> None:
    assert lifecycle.applied.functions["orders-api"]["Environment"]["Variables"]["TABLE_KEY_NAMES"] == "pk,sk"


def test_log_retention_is_the_given_one(lifecycle: Lifecycle) -> None:
    assert lifecycle.applied.retention == {"/aws/lambda/orders-api": 365, "/aws/lambda/audit-reader": 30}


def test_outputs_name_what_was_created(lifecycle: Lifecycle) -> None:
    audit = lifecycle.outputs["audit"]
    assert (audit["table_name"], audit["role_arn"], audit["function_name"]) == (
        "AuditLog",
        "arn:aws:iam::123456789012:role/AuditReaderRole",
        "audit-reader",
    )


def test_destroy_removes_everything(lifecycle: Lifecycle) -> None:
    destroyed = lifecycle.destroyed
    assert (destroyed.tables, destroyed.roles, destroyed.policies, destroyed.functions, destroyed.retention) == ({}, set(), {}, {}, {})
