"""The app (main.py): settings from cdktf.json context and the environment, and its synthesis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

import main
from lambda_dynamodb import Access, ConfigurationError, LogsMode, Runtime, TracingMode
from lambda_dynamodb.iam.access import REFERENCE_ACTIONS

from conftest import PROJECT_DIR, only, permissions_statements

REFERENCE_CONTEXT = main.load_context()


def test_importing_main_synthesizes_nothing() -> None:
    code = "import main, sys; sys.exit(1 if 'cdktf' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, "importing main loaded cdktf (and so could synthesize)"


def test_cdktf_json_runs_the_app_with_pipenv_and_declares_no_providers() -> None:
    document = json.loads((PROJECT_DIR / "cdktf.json").read_text())
    assert (document["language"], document["app"]) == ("python", "pipenv run python main.py")
    assert "terraformProviders" not in document


def test_defaults_reproduce_the_reference(clean_env) -> None:
    settings = main.app_settings(REFERENCE_CONTEXT, {})
    assert (settings.region, settings.table_name, settings.function_name, settings.role_name, settings.policy_name) == (
        "eu-west-1",
        "SampleTable",
        "MyLambdaFunction",
        "MyLambdaRole",
        "MyLambdaPolicy",
    )
    assert (settings.access, settings.logs, settings.runtime) == (REFERENCE_ACTIONS, LogsMode.SCOPED, Runtime.PYTHON_3_13)


def test_cdktf_json_lists_the_seven_reference_actions() -> None:
    assert tuple(REFERENCE_CONTEXT["access"]) == REFERENCE_ACTIONS


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("LAMBDA_DYNAMODB_REGION", "us-east-2", "region", "us-east-2"),
        ("LAMBDA_DYNAMODB_TABLE_NAME", "Orders", "table_name", "Orders"),
        ("LAMBDA_DYNAMODB_FUNCTION_NAME", "OrdersFn", "function_name", "OrdersFn"),
        ("LAMBDA_DYNAMODB_ROLE_NAME", "OrdersRole", "role_name", "OrdersRole"),
        ("LAMBDA_DYNAMODB_POLICY_NAME", "OrdersPolicy", "policy_name", "OrdersPolicy"),
        ("LAMBDA_DYNAMODB_ACCESS", "from_code", "access", Access.FROM_CODE),
        ("LAMBDA_DYNAMODB_LOGS", "account_wide", "logs", LogsMode.ACCOUNT_WIDE),
        ("LAMBDA_DYNAMODB_TRACING", "PassThrough", "tracing", TracingMode.PASS_THROUGH),
        ("LAMBDA_DYNAMODB_CHECK_CODE", "false", "check_code", False),
        ("LAMBDA_DYNAMODB_RUNTIME", "python3.12", "runtime", Runtime.PYTHON_3_12),
        ("LAMBDA_DYNAMODB_LOG_RETENTION_DAYS", "731", "log_retention_days", 731),
    ],
)
def test_environment_overrides_context(variable: str, value: str, field: str, expected: Any) -> None:
    assert getattr(main.app_settings(REFERENCE_CONTEXT, {variable: value}), field) == expected


@pytest.mark.parametrize(("level", "check_code"), [("read", False), ("write", False), ("read_write", True), ("from_code", True)])
def test_access_takes_a_level_name(level: str, check_code: bool) -> None:
    # read or write alone do not cover the sample function's calls: those need the code check off.
    context = {**REFERENCE_CONTEXT, "access": level, "checkCode": check_code}
    assert main.app_settings(context, {}).access is Access(level)


def test_access_list_from_the_environment_is_comma_separated() -> None:
    environ = {"LAMBDA_DYNAMODB_ACCESS": "dynamodb:GetItem, dynamodb:Query", "LAMBDA_DYNAMODB_CHECK_CODE": "false"}
    assert main.app_settings(REFERENCE_CONTEXT, environ).access == ("dynamodb:GetItem", "dynamodb:Query")


def test_a_grant_the_code_outgrows_fails_before_synthesis() -> None:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings({**REFERENCE_CONTEXT, "access": "read"}, {})
    assert any(p.startswith("context.access: lambda/handler.py:") and "calls put_item (dynamodb:PutItem), which access 'read' does not grant" in p for p in caught.value.problems)


def test_synth_prints_the_unused_grant_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(main.CDKTF_JSON, {"CDKTF_OUTDIR": str(tmp_path / "out")}) == 0
    assert "warning: dynamodb:BatchGetItem is granted but no code in lambda/ calls it\n" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tableName": 42}, "context.tableName 42 is invalid: a string"),
        ({"logRetentionDays": "a year"}, "context.logRetentionDays 'a year' is invalid: a whole number"),
        ({"access": "admin"}, "context.access 'admin' is invalid: one of read, write, read_write, from_code, or a list of DynamoDB actions"),
        ({"tracing": "always"}, "context.tracing 'always' is invalid: one of Active, PassThrough"),
        ({"checkCode": "yes"}, "context.checkCode 'yes' is invalid: true or false"),
        ({"access": ["dynamodb:GetItems"]}, "context.access[0] 'dynamodb:GetItems' is invalid"),
        ({"logs": "all"}, "context.logs 'all' is invalid: one of scoped, account_wide"),
        ({"runtime": "python3.9"}, "context.runtime 'python3.9' is invalid: one of python3.13"),
        ({"region": "Europe"}, "context.region 'Europe' is invalid: an AWS region code such as eu-west-1"),
        ({"tableNmae": "x"}, "context.tableNmae 'x' is invalid: a known setting (region, tableName"),
        ({"tableName": "a"}, "context.tableName 'a' is invalid: 3 to 255 characters"),
    ],
)
def test_bad_context_value_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings({**REFERENCE_CONTEXT, **change}, {})
    assert any(message in p for p in caught.value.problems), caught.value.problems


TABLE_NAME_RULE = "3 to 255 characters of A-Z a-z 0-9 _ . -"


def problems_of(context: dict[str, Any], environ: dict[str, str]) -> tuple[str, ...]:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings(context, environ)
    return caught.value.problems


def test_a_module_rule_names_the_context_key_the_user_typed() -> None:
    assert problems_of({**REFERENCE_CONTEXT, "tableName": "a"}, {}) == (f"context.tableName 'a' is invalid: {TABLE_NAME_RULE}",)


def test_a_module_rule_broken_by_an_environment_override_names_the_key_and_the_variable() -> None:
    problems = problems_of(REFERENCE_CONTEXT, {"LAMBDA_DYNAMODB_TABLE_NAME": "a"})
    assert problems == (f"context.tableName (set by LAMBDA_DYNAMODB_TABLE_NAME) 'a' is invalid: {TABLE_NAME_RULE}",)


def test_a_parse_problem_of_an_environment_override_names_the_key_and_the_variable() -> None:
    problems = problems_of(REFERENCE_CONTEXT, {"LAMBDA_DYNAMODB_LOG_RETENTION_DAYS": "a year"})
    assert problems == ("context.logRetentionDays (set by LAMBDA_DYNAMODB_LOG_RETENTION_DAYS) 'a year' is invalid: a whole number",)


def test_a_name_its_suffix_breaks_names_both_keys_and_the_composed_value() -> None:
    problems = problems_of({**REFERENCE_CONTEXT, "tableName": "a", "nameSuffix": "b"}, {})
    assert problems == (f"context.tableName + context.nameSuffix 'ab' is invalid: {TABLE_NAME_RULE}",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"functionName": "my.function"}, "context.functionName 'my.function' is invalid: 1 to 64 characters of A-Z a-z 0-9 - _"),
        ({"roleName": "role/x"}, "context.roleName 'role/x' is invalid: 1 to 64 characters of A-Z a-z 0-9 and + = , . @ _ -"),
        ({"policyName": ""}, "context.policyName '' is invalid: 1 to 128 characters of A-Z a-z 0-9 and + = , . @ _ -"),
        ({"logRetentionDays": 42}, "context.logRetentionDays 42 is invalid: one of CloudWatch's retention values 0, 1, 3,"),
        ({"access": "from_code", "checkCode": False}, "context.access 'from_code' is invalid: reads the code's calls"),
        ({"runtime": "nodejs22.x"}, "context.checkCode True is invalid: the code check reads Python source"),
    ],
    ids=["functionName", "roleName", "policyName", "logRetentionDays", "access", "checkCode"],
)
def test_module_rules_name_the_context_key(change: dict[str, Any], message: str) -> None:
    assert any(p.startswith(message) for p in problems_of({**REFERENCE_CONTEXT, **change}, {}))


def test_every_context_key_the_module_sees_is_mapped_to_its_fields() -> None:
    # A new key passed to the module must name itself in the module's problems too.
    mapped = {key for keys in main.MODULE_FIELD_KEYS.values() for key in keys}
    assert mapped == set(main.CONTEXT_KEYS) - {"region", "backend"}  # the two the app keeps


def test_main_prints_the_context_key_on_stderr_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "cdktf.json"
    bad.write_text(json.dumps({"app": "x", "context": {**REFERENCE_CONTEXT, "tableName": "a"}}))
    assert main.main(bad, {"CDKTF_OUTDIR": str(tmp_path / "cdktf.out")}) == 2
    assert capsys.readouterr().err == f"error: 1 configuration problem:\n  - context.tableName 'a' is invalid: {TABLE_NAME_RULE}\n"


def test_missing_context_key_is_named() -> None:
    context = {k: v for k, v in REFERENCE_CONTEXT.items() if k != "functionName"}
    with pytest.raises(ConfigurationError, match="context.functionName None is invalid: a required setting"):
        main.app_settings(context, {})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"access": "admin"}, "context.access 'admin' is invalid: one of read, write, read_write"),
        ({"logRetentionDays": [365]}, "context.logRetentionDays [365] is invalid: a whole number"),
        ({"tableName": None}, "context.tableName None is invalid: a string"),
        ({"memory": 512}, "context.memory 512 is invalid: a known setting"),
        ({"nameSuffix": ".dev"}, "context.nameSuffix '.dev' is invalid: 0 to 32 characters that every name allows"),
    ],
    ids=["unknown access level", "wrong type", "null", "unknown key", "name suffix"],
)
def test_malformed_context_fails_before_synthesis_and_writes_nothing(
    change: dict[str, Any], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "cdktf.json"
    bad.write_text(json.dumps({"app": "x", "context": {**REFERENCE_CONTEXT, **change}}))
    out = tmp_path / "cdktf.out"
    assert main.main(bad, {"CDKTF_OUTDIR": str(out)}) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [bad]


def test_context_that_is_not_json_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "cdktf.json"
    bad.write_text("{ not json")
    with pytest.raises(ConfigurationError, match="cdktf.json .* is invalid: a readable JSON file"):
        main.load_context(bad)


def test_failed_build_keeps_previous_output(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import MARKER, synth_atomically

    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("an output the project made: it may replace it\n")
    (out / "previous").write_text("kept")

    def broken(staging: Path) -> Any:
        (staging / "half-written").write_text("x")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        synth_atomically(broken, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "previous"])


def test_app_synthesizes_the_stack(app_stack: dict[str, Any]) -> None:
    assert only(app_stack, LambdaFunction.TF_RESOURCE_TYPE)["function_name"] == "MyLambdaFunction"
    assert only(app_stack, IamPolicy.TF_RESOURCE_TYPE)["name"] == "MyLambdaPolicy"


def test_app_grants_the_reference_actions_scoped_logs_and_xray(app_stack: dict[str, Any]) -> None:
    statements = permissions_statements(app_stack)
    assert [s["actions"] for s in statements] == [
        list(REFERENCE_ACTIONS),
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    ]
    assert statements[2]["resources"] == ["*"]


def test_provider_has_region_only(app_stack: dict[str, Any]) -> None:
    assert app_stack["provider"]["aws"] == [{"region": "eu-west-1"}]


def test_state_lives_outside_cdktf_out(app_stack: dict[str, Any], app_stack_dir: Path) -> None:
    path = app_stack["terraform"]["backend"]["local"]["path"]
    assert (app_stack_dir / path).resolve() == (app_stack_dir / "../../.." / "terraform.lambda-dynamodb.tfstate").resolve()
    assert "cdktf.out" not in Path(path).parts
