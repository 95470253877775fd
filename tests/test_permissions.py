"""Every permission proven at synthesis: the code's calls and Lambda's needs against the grant."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from textwrap import dedent

import pytest

from lambda_dynamodb import Access, ConfigurationError, FunctionSettings, LambdaDynamoDbSettings, TracingMode, validate
from lambda_dynamodb.iam.access import REFERENCE_ACTIONS
from lambda_dynamodb.iam.lambda_service import ServiceUse, requirements
from lambda_dynamodb.iam.permissions import PLACEHOLDER_CONTEXT, Verdict, permission_plan, unmet_needs
from lambda_dynamodb.iam.policy import PolicyDocument, Statement, table_arn

from conftest import PROJECT_DIR, module_settings

PROLOGUE = "import os\nimport boto3\n\nTABLE = boto3.resource('dynamodb').Table(os.environ['TABLE_NAME'])\n"
FROM_CODE_ACTIONS = (
    "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
)


def code(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "code"
    folder.mkdir(exist_ok=True)
    (folder / "handler.py").write_text(PROLOGUE + dedent(body))
    return folder


def with_code(folder: Path, **changes: object) -> LambdaDynamoDbSettings:
    settings = module_settings(**changes)
    return replace(settings, function=replace(settings.function, source_dir=folder))


def line_of(folder: Path, text: str) -> int:
    lines = (folder / "handler.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


# --- the sample function ---------------------------------------------------------------------


def test_the_default_app_warns_about_batch_get_item_only() -> None:
    plan = permission_plan(module_settings(access=REFERENCE_ACTIONS))
    assert plan.warnings == ("warning: dynamodb:BatchGetItem is granted but no code in lambda/ calls it",)
    assert plan.errors == ()


def test_from_code_grants_exactly_what_the_handler_calls() -> None:
    assert permission_plan(module_settings(access=Access.FROM_CODE)).table_actions == FROM_CODE_ACTIONS


def test_every_row_of_the_sample_function_is_used_or_reported() -> None:
    rows = permission_plan(module_settings(access=Access.FROM_CODE)).rows
    assert {row.verdict for row in rows} == {Verdict.USED}
    put = next(row for row in rows if row.action == "dynamodb:PutItem")
    assert put.why == (f"lambda/handler.py:{line_of(PROJECT_DIR / 'lambda', '_table().put_item(')} put_item",)


# --- what Lambda does with the role ----------------------------------------------------------


def test_active_tracing_is_granted_and_explained() -> None:
    rows = permission_plan(module_settings()).rows
    xray = {row.action: row for row in rows if row.action.startswith("xray:")}
    assert sorted(xray) == ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    assert {(row.resource, row.why, row.verdict) for row in xray.values()} == {
        ("*", ("Lambda sends traces to X-Ray (tracing Active)",), Verdict.USED)
    }


def test_pass_through_grants_no_xray() -> None:
    settings = module_settings()
    settings = replace(settings, function=replace(settings.function, tracing=TracingMode.PASS_THROUGH))
    assert [row for row in permission_plan(settings).rows if row.action.startswith("xray:")] == []


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ({"dead_letter_target_arn": "arn:aws:sqs:eu-west-1:123456789012:dlq"}, {("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:dlq")}),
        ({"dead_letter_target_arn": "arn:aws:sns:eu-west-1:123456789012:dlq"}, {("sns:Publish", "arn:aws:sns:eu-west-1:123456789012:dlq")}),
        ({"environment_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}, {("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/k")}),
        (
            {"dead_letter_target_arn": "arn:aws:sqs:eu-west-1:123456789012:dlq", "dead_letter_kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/q"},
            {
                ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:dlq"),
                ("kms:GenerateDataKey", "arn:aws:kms:eu-west-1:123456789012:key/q"),
                ("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/q"),
            },
        ),
    ],
    ids=["sqs dead letters", "sns dead letters", "environment key", "encrypted dead letters"],
)
def test_each_feature_adds_what_lambda_calls_for_it(feature: dict[str, str], expected: set[tuple[str, str]]) -> None:
    base = ServiceUse(log_group="/aws/lambda/f", tracing=TracingMode.PASS_THROUGH)
    added = set(requirements(replace(base, **feature))) - set(requirements(base))
    assert {(r.action, r.resource.render(PLACEHOLDER_CONTEXT)) for r in added} == expected


def test_vpc_needs_the_interface_actions_on_its_subnets_and_groups() -> None:
    use = ServiceUse(log_group="/aws/lambda/f", tracing=TracingMode.PASS_THROUGH, subnet_ids=("subnet-1",), security_group_ids=("sg-1",))
    created_on = {r.resource.render(PLACEHOLDER_CONTEXT).rsplit(":", 1)[1] for r in requirements(use) if r.action == "ec2:CreateNetworkInterface"}
    assert created_on == {"network-interface/*", "subnet/subnet-1", "security-group/sg-1"}


def test_a_policy_without_the_xray_grant_is_a_gap() -> None:
    plan = permission_plan(module_settings())
    without_xray = PolicyDocument(tuple(s for s in plan.document.statements if not s.actions[0].startswith("xray:")))
    assert unmet_needs(without_xray, plan.needs) == (
        "lambda: the role does not allow xray:PutTraceSegments on *, which Lambda needs: Lambda sends traces to X-Ray (tracing Active)",
        "lambda: the role does not allow xray:PutTelemetryRecords on *, which Lambda needs: Lambda sends traces to X-Ray (tracing Active)",
    )


def test_the_built_role_allows_every_need(synthesized) -> None:
    # The synthesized default stack passed the check; its statements are the plan's.
    plan = permission_plan(module_settings())
    assert unmet_needs(plan.document, plan.needs) == ()


# --- the code's calls against the grant ------------------------------------------------------


def test_a_call_outside_the_grant_fails_with_file_and_line(tmp_path: Path) -> None:
    folder = code(tmp_path, "def handler(event, context):\n    TABLE.put_item(Item=event)\n")
    with pytest.raises(ConfigurationError) as error:
        validate(with_code(folder, access=Access.READ))
    line = line_of(folder, "put_item")
    assert error.value.problems == (f"access: code/handler.py:{line} calls put_item (dynamodb:PutItem), which access 'read' does not grant",)


def test_an_explicit_list_is_checked_too(tmp_path: Path) -> None:
    folder = code(tmp_path, "def handler(event, context):\n    return TABLE.delete_item(Key=event)\n")
    with pytest.raises(ConfigurationError, match=r"calls delete_item \(dynamodb:DeleteItem\), which the access list does not grant"):
        validate(with_code(folder, access=("dynamodb:GetItem",)))


def test_an_index_query_needs_the_index_arn(tmp_path: Path) -> None:
    folder = code(tmp_path, "def handler(event, context):\n    return TABLE.query(IndexName='by-date', KeyConditionExpression='x')\n")
    with pytest.raises(ConfigurationError, match=r"calls query \(dynamodb:Query on index 'by-date'\), which access 'read' does not grant"):
        validate(with_code(folder, access=Access.READ))


def test_other_call_styles_are_found(tmp_path: Path) -> None:
    folder = code(
        tmp_path,
        """
        def handler(event, context):
            client = TABLE.meta.client
            client.transact_write_items(TransactItems=[{"Put": {}}, {"Delete": {}}])
            with TABLE.batch_writer() as batch:
                batch.put_item(Item=event)
            return TABLE.delete_item(Key=event)
        """,
    )
    assert permission_plan(with_code(folder, access=Access.FROM_CODE)).table_actions == (
        "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem",
    )


def test_a_granted_action_no_code_calls_is_one_warning_line(tmp_path: Path) -> None:
    folder = code(tmp_path, "def handler(event, context):\n    return TABLE.get_item(Key=event)\n")
    warnings = permission_plan(with_code(folder, access=Access.READ)).warnings
    assert warnings == tuple(
        f"warning: dynamodb:{name} is granted but no code in code/ calls it"
        for name in ("BatchGetItem", "Query", "Scan", "ConditionCheckItem", "DescribeTable")
    )


DYNAMIC = "def handler(event, context):\n    return getattr(TABLE, event['op'])(Key=event)\n"


def test_from_code_refuses_a_dynamic_call(tmp_path: Path) -> None:
    folder = code(tmp_path, DYNAMIC)
    with pytest.raises(ConfigurationError) as error:
        validate(with_code(folder, access=Access.FROM_CODE))
    (message,) = error.value.problems
    assert message.startswith(f"access 'from_code' is invalid: grants exactly what the code calls, and code/handler.py:{line_of(folder, 'getattr')} ")
    assert message.endswith("list the actions explicitly instead")


def test_a_dynamic_call_is_a_warning_with_a_fixed_level(tmp_path: Path) -> None:
    folder = code(tmp_path, DYNAMIC)
    plan = permission_plan(with_code(folder, access=Access.READ_WRITE))
    assert plan.errors == ()
    assert [w for w in plan.warnings if "cannot tell" in w][0].startswith(f"warning: code/handler.py:{line_of(folder, 'getattr')} ")


def test_from_code_without_calls_is_refused(tmp_path: Path) -> None:
    folder = code(tmp_path, "def handler(event, context):\n    return {}\n")
    with pytest.raises(ConfigurationError, match="no code in code/ calls DynamoDB"):
        validate(with_code(folder, access=Access.FROM_CODE))


def test_with_the_check_off_table_actions_are_not_judged() -> None:
    plan = permission_plan(module_settings(check_code=False))
    verdicts = {row.verdict for row in plan.rows if row.action.startswith("dynamodb:")}
    assert verdicts == {Verdict.NOT_CHECKED} and plan.warnings == ()


def test_from_code_needs_the_check(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="access 'from_code' is invalid: reads the code's calls: it needs check_code on"):
        validate(module_settings(access=Access.FROM_CODE, check_code=False))


def test_the_check_refuses_a_built_package(tmp_path: Path) -> None:
    from lambda_dynamodb.packaging.code_package import archive

    settings = module_settings()
    settings = replace(settings, function=replace(settings.function, package=archive((PROJECT_DIR / "lambda").resolve())))
    with pytest.raises(ConfigurationError, match="check_code True is invalid: .* set check_code=False for a built package"):
        validate(settings)


def test_the_check_refuses_another_language() -> None:
    settings = module_settings()
    settings = replace(settings, function=FunctionSettings(name="f", source_dir=PROJECT_DIR / "lambda", runtime="nodejs22.x", handler="index.handler"))
    with pytest.raises(ConfigurationError, match="set check_code=False for a nodejs22.x function"):
        validate(settings)


def test_from_code_is_not_a_level_a_table_can_grant() -> None:
    with pytest.raises(ConfigurationError, match="access 'from_code' is invalid: its actions are read from the function's code"):
        Access.FROM_CODE.actions  # noqa: B018


def test_a_statement_on_another_table_does_not_cover_the_call(tmp_path: Path) -> None:
    folder = code(tmp_path, "def handler(event, context):\n    return TABLE.get_item(Key=event)\n")
    plan = permission_plan(with_code(folder, access=Access.READ))
    elsewhere = PolicyDocument((Statement(("dynamodb:GetItem",), (table_arn("Other"),)),))
    assert len(unmet_needs(elsewhere, [n for n in plan.needs if n.call])) == 1


def test_the_readme_shows_what_make_permissions_prints(app_stack_dir: Path) -> None:
    # `make permissions` prints `lambda-dynamodb permissions` on the app's cdktf.out: the manifest's rows.
    from lambda_dynamodb.cli.permissions import table_markdown
    from lambda_dynamodb.synthesis.manifest import load

    (function,) = load(app_stack_dir).functions
    table = "\n".join(table_markdown(function.permissions))
    assert table in (PROJECT_DIR / "README.md").read_text(), "the README's table is not what `make permissions` prints: paste it"
