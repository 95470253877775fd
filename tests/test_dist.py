"""`make dist`: the library as a wheel, installed in a fresh virtual environment by an outside app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import PROJECT_DIR, resources
from lambda_dynamodb import READ_ACTIONS, WRITE_ACTIONS

from test_terraform import init_and_validate

#: An app of another team: its own names, two tables, two functions, different access levels.
CONSUMER_APP = '''
import sys
from pathlib import Path

from lambda_dynamodb.fast_provider import install

install()  # as the README says: fast provider loading

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

import lambda_dynamodb
from lambda_dynamodb import (
    Access, Attribute, AttributeType, FunctionSettings, LambdaDynamoDb, LambdaDynamoDbSettings, RoleSettings, TableSettings,
)

HERE = Path(__file__).resolve().parent
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "billing")
AwsProvider(stack, "aws", region="us-east-2")
LambdaDynamoDb(stack, "invoices", LambdaDynamoDbSettings(
    table=TableSettings(name="Invoices"),
    function=FunctionSettings(name="invoice-writer", source_dir=HERE / "code"),
    role=RoleSettings(name="InvoiceWriterRole", policy_name="InvoiceWriterPolicy"),
    access=Access.WRITE,
))
LambdaDynamoDb(stack, "customers", LambdaDynamoDbSettings(
    table=TableSettings(name="Customers", partition_key="customer_id", sort_key=None,
                        attributes=(Attribute("customer_id", AttributeType.NUMBER),)),
    function=FunctionSettings(name="customer-reader", source_dir=HERE / "code", memory_mb=512),
    role=RoleSettings(name="CustomerReaderRole", policy_name="CustomerReaderPolicy"),
    access=Access.READ,
))
app.synth()
print(lambda_dynamodb.__file__)
'''

CONSUMER_HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and sdist, built as `make dist` builds them (python -m build)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), "."], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def wheel_names(built: dict[str, Path]) -> list[str]:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        return wheel.namelist()


def test_wheel_is_named_after_the_distribution(built: dict[str, Path]) -> None:
    assert built["wheel"].name == "cdktf_lambda_dynamodb-0.1.0-py3-none-any.whl"


def test_wheel_holds_the_library_only(wheel_names: list[str]) -> None:
    outside = [n for n in wheel_names if not n.startswith(("lambda_dynamodb/", "cdktf_lambda_dynamodb-0.1.0.dist-info/"))]
    assert outside == []


def test_wheel_ships_no_tests_app_or_function_code(wheel_names: list[str]) -> None:
    leaked = [n for n in wheel_names if any(part in n for part in ("tests/", "main.py", "handler.py", "backends.py", "tf_module.py", "tools/"))]
    assert leaked == []


def test_wheel_is_typed(wheel_names: list[str]) -> None:
    assert "lambda_dynamodb/py.typed" in wheel_names


def test_metadata_has_license_and_dependency_ranges(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        metadata = wheel.read("cdktf_lambda_dynamodb-0.1.0.dist-info/METADATA").decode()
    requirements = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: "))
    assert "License-Expression: Apache-2.0" in metadata
    assert requirements == [
        "boto3<2,>=1.34", "cdktf-cdktf-provider-aws<21,>=20.1.0", "cdktf<0.22,>=0.21.0", "constructs<11,>=10.0.0", "packaging>=21",
    ]


@pytest.fixture(scope="module")
def consumer_stack(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The outside app, synthesized by a fresh virtual environment holding only the wheel (and its dependencies)."""
    work = tmp_path_factory.mktemp("consumer")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(built["wheel"])],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, f"pip install of the wheel failed:\n{install.stdout[-3000:]}\n{install.stderr[-3000:]}"
    app_dir = work / "billing-app"
    (app_dir / "code").mkdir(parents=True)
    (app_dir / "app.py").write_text(CONSUMER_APP)
    (app_dir / "code" / "handler.py").write_text(CONSUMER_HANDLER)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PIPENV_ACTIVE"}}
    result = subprocess.run([str(python), "app.py", str(work / "out")], cwd=app_dir, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"the consumer app failed:\n{result.stdout}\n{result.stderr}"
    return work / "out" / "stacks" / "billing", result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def consumer_json(consumer_stack: tuple[Path, str]) -> dict[str, Any]:
    return json.loads((consumer_stack[0] / "cdk.tf.json").read_text())


def test_consumer_imports_the_installed_wheel_not_the_repository(consumer_stack: tuple[Path, str]) -> None:
    imported = Path(consumer_stack[1])
    assert "site-packages" in imported.parts and PROJECT_DIR not in imported.parents


def test_consumer_gets_two_tables_and_two_functions(consumer_json: dict[str, Any]) -> None:
    tables = sorted(t["name"] for t in resources(consumer_json, "aws_dynamodb_table"))
    functions = sorted(f["function_name"] for f in resources(consumer_json, "aws_lambda_function"))
    assert (tables, functions) == (["Customers", "Invoices"], ["customer-reader", "invoice-writer"])


def test_each_consumer_function_gets_its_own_access_level(consumer_json: dict[str, Any]) -> None:
    documents = consumer_json["data"]["aws_iam_policy_document"]
    table_actions = {
        address.split("_")[0]: statement["actions"]
        for address, document in documents.items()
        for statement in document.get("statement", [])
        if statement["actions"][0].startswith("dynamodb:")
    }
    assert table_actions == {"invoices": list(WRITE_ACTIONS), "customers": list(READ_ACTIONS)}


def test_consumer_stack_passes_terraform_validate(consumer_stack: tuple[Path, str], tmp_path: Path) -> None:
    result = init_and_validate(consumer_stack[0], tmp_path / "terraform.rc")
    assert json.loads(result.stdout)["valid"] is True, result.stdout
