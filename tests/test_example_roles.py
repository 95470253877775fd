"""The example service's roles, as the constructs decide them: linted, listed, least privilege.

The app is built once (not deployed): every function's permission plan is read from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import ArnContext, PolicyDocument
from lambda_dynamodb.iam.permissions import Verdict, function_plan

from conftest import PROJECT_DIR

CONTEXT = ArnContext("aws", "eu-west-1", "123456789012")
#: The queue's ARN is a reference in the stack; parliament needs a concrete ARN.
QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders-intake"
FUNCTIONS = ("orders-sync", "orders-stream", "orders-intake", "orders-http")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from lambda_dynamodb.constructs.checks import functions

    from conftest import example_module

    app = example_module().build_app(tmp_path_factory.mktemp("orders-service") / "cdktf.out")
    return {function.settings.name: function for function in functions(app)}


@pytest.fixture(scope="module")
def outdir(example_stack_dir: Path) -> Path:
    return example_stack_dir.parent.parent


def concrete(document: PolicyDocument) -> str:
    return re.sub(r"\$\{TfToken\[TOKEN\.\d+\]\}", QUEUE_ARN, document.to_json(CONTEXT))


def test_the_service_has_four_functions(service: dict[str, Any]) -> None:
    assert tuple(service) == FUNCTIONS


@pytest.mark.scan
@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_role_of_the_service_is_clean_for_parliament(service: dict[str, Any], name: str) -> None:
    import parliament

    plan = function_plan(service[name].model(), CONTEXT)
    assert [(f.issue, f.detail) for f in parliament.analyze_policy_string(concrete(plan.document)).findings] == []


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_role_of_the_service_allows_every_call(service: dict[str, Any], name: str) -> None:
    plan = service[name].permissions
    assert plan is not None and plan.errors == () and Verdict.MISSING not in {row.verdict for row in plan.rows}


def test_the_role_emitted_is_the_plans_document(service: dict[str, Any]) -> None:
    sync = service["orders-sync"]
    assert sync.role.document == sync.permissions.document


def test_make_permissions_lists_every_role_of_the_service(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lambda_dynamodb.cli.main import main

    assert main(["permissions", "--outdir", str(outdir)]) == 0
    out = capsys.readouterr().out
    headers = re.findall(r"^Permissions of role (\S+) \(policy (\S+)\), function (\S+):$", out, re.MULTILINE)
    # By construct path: http, intake, stream, sync.
    assert headers == [(f"{name}-role", f"{name}-policy", name) for name in sorted(FUNCTIONS)]


def test_the_examples_functions_are_its_own(service: dict[str, Any]) -> None:
    root = PROJECT_DIR / "examples" / "orders-service" / "functions"
    assert {Path(f.settings.source_dir).resolve().parent for f in service.values()} == {root.resolve()}


def test_make_permissions_says_what_each_zip_holds(outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lambda_dynamodb.cli.main import main

    assert main(["permissions", "--outdir", str(outdir)]) == 0
    summaries = re.findall(r"^function zip: (\d+) files, .* SHA-256 ([0-9a-f]{64}) \(CodeSha256 ", capsys.readouterr().out, re.MULTILINE)
    assert len(summaries) == len(FUNCTIONS) and all(int(count) >= 1 for count, _ in summaries)
