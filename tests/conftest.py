"""Session-wide synthesis: each configuration is synthesized once and shared by its tests.

The AWS provider bindings take ~16 s to import, so every synthesis happens in this one
process, and each configuration's JSON is cached for the whole session.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import (
    Access,
    Attribute,
    AttributeType,
    ExistingTable,
    FunctionSettings,
    GlobalIndex,
    LambdaDynamoDbSettings,
    LocalIndex,
    LogsMode,
    RoleSettings,
    TableSettings,
    TracingMode,
)

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STACK = "test"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# The whole session loads the AWS provider once, lazily (see lambda_dynamodb.fast_provider).
from lambda_dynamodb.fast_provider import install  # noqa: E402

install()


# --- the slow tiers and parallel runs (docs/testing.md) ---------------------------------------

#: The marks of the slow tiers (registered in pyproject.toml), the longest-running first:
#: `make check` deselects them all, `make test` runs everything.
SLOW_TIERS = ("release", "emulator", "terraform", "packaging", "stock_provider", "scan")


def _tier_rank(items: list[pytest.Item]) -> int:
    ranks = [SLOW_TIERS.index(mark.name) for item in items for mark in item.iter_markers() if mark.name in SLOW_TIERS]
    return min(ranks, default=len(SLOW_TIERS))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`, `--dist loadgroup`): a module's slow-tier tests run on one
    worker, so that its module fixtures (a deployment, a release, a built wheel) are set up once;
    the modules with slow tiers are handed out first, the slowest tiers first, while the other
    tests, one by one, fill in wherever a worker is free. A serial run keeps the file order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    for path, members in modules.items():
        for item in members:
            if _tier_rank([item]) < len(SLOW_TIERS):
                item.add_marker(pytest.mark.xdist_group(path))
    # Stable: the same order on every worker, modules kept whole (module fixtures run once).
    items[:] = [item for _, members in sorted(modules.items(), key=lambda entry: _tier_rank(entry[1])) for item in members]


def module_settings(**changes: Any) -> LambdaDynamoDbSettings:
    """The reference names with the module's defaults; ``changes`` replace top-level fields."""
    base = LambdaDynamoDbSettings(
        table=TableSettings(name="SampleTable"),
        function=FunctionSettings(name="MyLambdaFunction", source_dir=PROJECT_DIR / "lambda"),
        role=RoleSettings(name="MyLambdaRole", policy_name="MyLambdaPolicy"),
    )
    return replace(base, **changes)


INDEXED_TABLE = TableSettings(
    name="IndexedTable",
    attributes=(
        Attribute("pk", AttributeType.STRING),
        Attribute("sk", AttributeType.STRING),
        Attribute("gpk", AttributeType.NUMBER),
        Attribute("lsk", AttributeType.BINARY),
    ),
    global_indexes=(GlobalIndex("by-gpk", partition_key="gpk", sort_key="sk"),),
    local_indexes=(LocalIndex("by-lsk", sort_key="lsk"),),
    ttl_attribute="expires_at",
)

#: name -> settings of every module configuration the tests synthesize.
CONFIGURATIONS: dict[str, LambdaDynamoDbSettings] = {
    "default": module_settings(),
    # read or write alone do not cover the sample function's calls: those run without the code check.
    "read": module_settings(access=Access.READ, check_code=False),
    "write": module_settings(access=Access.WRITE, check_code=False),
    "read_write": module_settings(access=Access.READ_WRITE),
    "read_indexed": module_settings(access=Access.READ, table=INDEXED_TABLE, check_code=False),
    "write_indexed": module_settings(access=Access.WRITE, table=INDEXED_TABLE, check_code=False),
    "read_write_indexed": module_settings(access=Access.READ_WRITE, table=INDEXED_TABLE),
    "account_wide": module_settings(logs=LogsMode.ACCOUNT_WIDE),
    "pass_through": module_settings(
        function=FunctionSettings(name="MyLambdaFunction", source_dir=PROJECT_DIR / "lambda", tracing=TracingMode.PASS_THROUGH)
    ),
    "existing_table": module_settings(table=ExistingTable("Shared", arn="arn:aws:dynamodb:us-east-1:111122223333:table/Shared")),
}


def synth_stack(tmp: Path, build: Callable[[Any], None]) -> dict[str, Any]:
    """Synthesize one stack (AWS provider + whatever ``build`` adds) and return its JSON."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    app = App(outdir=str(tmp))
    stack = TerraformStack(app, STACK)
    AwsProvider(stack, "aws", region="eu-west-1")
    build(stack)
    app.synth()
    return json.loads((tmp / "stacks" / STACK / "cdk.tf.json").read_text())


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    """``synthesized(name)``: the JSON of configuration ``name``, synthesized once per session."""
    from lambda_dynamodb import LambdaDynamoDb

    cache: dict[str, dict[str, Any]] = {}

    def get(name: str) -> dict[str, Any]:
        if name not in cache:
            settings = CONFIGURATIONS[name]
            out = tmp_path_factory.mktemp(f"synth-{name}")
            cache[name] = synth_stack(out, lambda stack: LambdaDynamoDb(stack, "module", settings))
        return cache[name]

    return get


def resources(doc: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return list(doc.get("resource", {}).get(resource_type, {}).values())


def only(doc: dict[str, Any], resource_type: str, section: str = "resource") -> dict[str, Any]:
    found = list(doc.get(section, {}).get(resource_type, {}).values())
    assert len(found) == 1, f"expected one {resource_type} in {section}, found {len(found)}"
    return found[0]


def data_sources(doc: dict[str, Any], data_type: str) -> dict[str, dict[str, Any]]:
    return doc.get("data", {}).get(data_type, {})


def permissions_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of the policy document the customer-managed policy is built from."""
    from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
    from cdktf_cdktf_provider_aws.iam_policy import IamPolicy

    policy = only(doc, IamPolicy.TF_RESOURCE_TYPE)
    name = policy["policy"].removeprefix(f"${{data.{DataAwsIamPolicyDocument.TF_RESOURCE_TYPE}.").removesuffix(".json}")
    return data_sources(doc, DataAwsIamPolicyDocument.TF_RESOURCE_TYPE)[name]["statement"]


@pytest.fixture(scope="session")
def blog_policy() -> dict[str, Any]:
    return json.loads((FIXTURES / "blog-policy.json").read_text())


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if name.startswith("LAMBDA_DYNAMODB_"):
            monkeypatch.delenv(name)
    yield monkeypatch


@pytest.fixture(scope="session")
def app_stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default app, synthesized once by ``python main.py`` as the cdktf CLI runs it."""
    import sys

    out = tmp_path_factory.mktemp("app") / "cdktf.out"
    env = {**os.environ, "CDKTF_OUTDIR": str(out)}
    env = {k: v for k, v in env.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    result = subprocess.run([sys.executable, "main.py"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"python main.py failed:\n{result.stdout}\n{result.stderr}"
    return out / "stacks" / "lambda-dynamodb"


@pytest.fixture(scope="session")
def app_stack(app_stack_dir: Path) -> dict[str, Any]:
    return json.loads((app_stack_dir / "cdk.tf.json").read_text())


# --- deployments to the local emulator -------------------------------------------------------

REFERENCE_ARNS = ("aws", "eu-west-1", "123456789012")


def emulator_client(env: dict[str, str], service: str) -> Any:
    """A boto3 client for the emulator that ``env`` points at (see Emulator.environment)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class Deployment:
    """A synthesized stack applied with Terraform to an emulator of its own."""

    stack_dir: Path
    env: dict[str, str]

    def terraform(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary

        try:
            binary = terraform_binary()
        except TerraformMissing as error:
            pytest.fail(str(error))
        result = subprocess.run([binary, *args], cwd=self.stack_dir, env=self.env, capture_output=True, text=True, timeout=600)
        if check:
            assert result.returncode == 0, f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def client(self, service: str) -> Any:
        return emulator_client(self.env, service)

    def outputs(self) -> dict[str, str]:
        raw = json.loads(self.terraform("output", "-json").stdout)
        return {name: entry["value"] for name, entry in raw.items()}

    def plan_next(self, stack_dir: Path) -> dict[str, Any]:
        """A newer synthesis of the stack over this deployment (its state kept), planned into
        ``next.plan`` (apply it with ``terraform apply next.plan``); returns the plan's JSON."""
        shutil.copyfile(stack_dir / "cdk.tf.json", self.stack_dir / "cdk.tf.json")
        shutil.copytree(stack_dir / "assets", self.stack_dir / "assets", dirs_exist_ok=True)
        self.terraform("plan", "-input=false", "-no-color", "-out=next.plan")
        return dict(json.loads(self.terraform("show", "-json", "next.plan").stdout))


@contextmanager
def deployed(
    stack_dir: Path, work: Path, *, apply: bool = True, before_apply: Callable[[Deployment], None] | None = None
) -> Iterator[Deployment]:
    """Start an emulator on a free port, init + apply ``stack_dir`` (copied), stop it afterwards.

    ``before_apply`` prepares the emulator (e.g. something that already exists); without
    ``apply`` the stack is only initialized.
    """
    from tools import emulator
    from lambda_dynamodb.testing.terraform_cli import terraform_env

    running, _ = emulator.start(state_dir=work / "emulator")
    try:
        copy = work / "stack"
        shutil.copytree(stack_dir, copy)
        env = {**terraform_env(work / "terraform.rc"), **running.environment("eu-west-1")}
        # The backend's relative state path would leave the copy: keep the state inside it.
        deployment = Deployment(copy, env)
        deployment.terraform("init", "-input=false", "-no-color", "-backend-config=path=terraform.tfstate")
        if before_apply is not None:
            before_apply(deployment)
        if apply:
            deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color")
        yield deployment
    finally:
        emulator.stop(state_dir=work / "emulator")


def policy_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Statements with Action/Resource as sorted lists: IAM does not keep their order."""

    def as_list(value: Any) -> list[str]:
        return sorted([value] if isinstance(value, str) else value)

    return [
        {"Effect": s["Effect"], "Action": as_list(s["Action"]), "Resource": as_list(s["Resource"])}
        for s in document["Statement"]
    ]


def attached_policy_document(deployment: Deployment, role_name: str) -> dict[str, Any]:
    iam = deployment.client("iam")
    (attached,) = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
    policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    return iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]


# --- the example service, synthesized once (test_manifest, test_example_roles) ------------------


def example_module() -> Any:
    """The example service's main.py (its folder is its own project, not a package)."""
    spec = importlib.util.spec_from_file_location("orders_service_main", PROJECT_DIR / "examples" / "orders-service" / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def run_task_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/run-task synthesized once, by its own ``python main.py`` (as the cdktf CLI runs it)."""
    out = tmp_path_factory.mktemp("run-task") / "cdktf.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")} | {"CDKTF_OUTDIR": str(out)}
    run = subprocess.run([sys.executable, "main.py"], cwd=PROJECT_DIR / "examples" / "run-task", env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"python main.py failed:\n{run.stdout}\n{run.stderr}"
    return out


@pytest.fixture(scope="session")
def example_stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example service, synthesized once (in this process, from the project's folder)."""
    out = tmp_path_factory.mktemp("manifest-example") / "cdktf.out"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT_DIR)  # the rows name files relative to where the synthesis runs
        example_module().build_app(out).synth()
    return out / "stacks" / "orders-service"
