"""Composable constructs: several functions and tables, triggers, URLs, grants added later.

Each test builds a small service in a stack of its own (functions written into tmp_path) and
reads what the constructs emit: the permission rows, the synthesized JSON, the check's errors.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import (
    Access,
    Attribute,
    ConfigurationError,
    ExistingRole,
    ExistingTable,
    Function,
    FunctionSettings,
    FunctionUrl,
    FunctionUrlAuth,
    ImportedTable,
    QueueTrigger,
    RoleSettings,
    Statement,
    StreamTrigger,
    StreamViewType,
    Table,
    TableSettings,
    check,
)
from lambda_dynamodb.iam.permissions import Verdict
from lambda_dynamodb.iam.policy import Arn

from conftest import STACK, data_sources, resources

QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:orders-intake"

TWO_TABLES = """\
import os

import boto3

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["TABLE_NAME"])
archive = dynamodb.Table(os.environ["ARCHIVE_TABLE"])


def handler(event, context):
    item = orders.get_item(Key={"pk": event["id"], "sk": "order"}).get("Item")
    if item is not None:
        archive.put_item(Item=item)
    return {"copied": item is not None}
"""

READER = """\
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    return table.get_item(Key={"pk": event["id"], "sk": "order"}).get("Item")
"""


class Service:
    """A stack of the test's own, and folders of function code."""

    def __init__(self, root: Path) -> None:
        from cdktf import App, TerraformStack
        from cdktf_cdktf_provider_aws.provider import AwsProvider

        self.root = root
        self.app = App(outdir=str(root / "out"))
        self.stack = TerraformStack(self.app, STACK)
        AwsProvider(self.stack, "aws", region="eu-west-1")

    def code(self, name: str, source: str) -> Path:
        folder = self.root / "functions" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "handler.py").write_text(textwrap.dedent(source))
        return folder

    def function(self, id: str, source: str, **options: Any) -> Function:
        settings = FunctionSettings(name=f"orders-{id}", source_dir=self.code(id, source))
        return Function(self.stack, id, settings, **options)

    def table(self, id: str, name: str, **settings: Any) -> Table:
        return Table(self.stack, id, TableSettings(name=name, **settings))

    def synth(self) -> dict[str, Any]:
        self.app.synth()
        return json.loads((self.root / "out" / "stacks" / STACK / "cdk.tf.json").read_text())


@pytest.fixture()
def service(tmp_path: Path) -> Service:
    return Service(tmp_path)


def table_rows(function: Function) -> list[tuple[str, str, Verdict]]:
    plan = function.permissions
    assert plan is not None
    return [(row.action, row.resource.rsplit(":", 1)[-1], row.verdict) for row in plan.rows if row.action.startswith("dynamodb:")]


def line_of(folder: Path, text: str) -> int:
    return next(n for n, line in enumerate((folder / "handler.py").read_text().splitlines(), 1) if text in line)


def policy_of(doc: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    """The statements of the policy document a function's role is built from."""
    documents = data_sources(doc, "aws_iam_policy_document")
    return next(d["statement"] for key, d in documents.items() if d["//"]["metadata"]["path"] == f"{STACK}/{function_id}/role/permissions")


# --- 1. least privilege per table -----------------------------------------------------------


@pytest.fixture()
def two_tables(service: Service) -> tuple[Service, Function]:
    orders = service.table("orders", "Orders", stream=StreamViewType.NEW_AND_OLD_IMAGES)
    archive = service.table("archive", "Archive")
    sync = service.function("sync", TWO_TABLES)
    sync.use(orders, access=Access.FROM_CODE)
    sync.use(archive, access=Access.FROM_CODE, env="ARCHIVE_TABLE")
    return service, sync


def test_a_function_on_two_tables_gets_each_call_on_its_own_table(two_tables: tuple[Service, Function]) -> None:
    _, sync = two_tables
    assert table_rows(sync) == [
        ("dynamodb:GetItem", "table/Orders", Verdict.USED),
        ("dynamodb:PutItem", "table/Archive", Verdict.USED),
    ]


def test_the_synthesized_policy_has_one_statement_per_table(two_tables: tuple[Service, Function]) -> None:
    service, _ = two_tables
    statements = policy_of(service.synth(), "sync")
    on_tables = [(s["actions"], s["resources"][0].rsplit(":", 1)[-1]) for s in statements if s["actions"][0].startswith("dynamodb:")]
    assert on_tables == [(["dynamodb:GetItem"], "table/Orders"), (["dynamodb:PutItem"], "table/Archive")]


def test_use_sets_the_variable_to_the_tables_name(two_tables: tuple[Service, Function]) -> None:
    service, _ = two_tables
    doc = service.synth()
    sync = next(f for f in resources(doc, "aws_lambda_function") if f["function_name"] == "orders-sync")
    variables = sync["environment"]["variables"]
    assert variables["TABLE_NAME"].startswith("${aws_dynamodb_table.orders_table")
    assert variables["ARCHIVE_TABLE"].startswith("${aws_dynamodb_table.archive_table")


def test_a_level_that_does_not_cover_a_call_names_function_file_call_and_table(service: Service) -> None:
    orders, archive = service.table("orders", "Orders"), service.table("archive", "Archive")
    sync = service.function("sync", TWO_TABLES)
    sync.use(orders, access=Access.READ)
    sync.use(archive, access=Access.READ, env="ARCHIVE_TABLE")
    line = line_of(service.root / "functions" / "sync", "archive.put_item")
    with pytest.raises(ConfigurationError) as error:
        check(service.app)
    assert error.value.problems == (
        f"orders-sync: sync/handler.py:{line} calls put_item (dynamodb:PutItem) on Archive (ARCHIVE_TABLE), which access 'read' does not grant",
    )


def test_synthesis_fails_on_a_call_no_statement_allows(service: Service) -> None:
    sync = service.function("sync", TWO_TABLES)
    sync.use(service.table("orders", "Orders"), access=Access.READ)
    sync.use(service.table("archive", "Archive"), access=Access.READ, env="ARCHIVE_TABLE")
    with pytest.raises(Exception, match=r"orders-sync: sync/handler.py:\d+ calls put_item \(dynamodb:PutItem\) on Archive"):
        service.synth()
    assert not (service.root / "out" / "stacks" / STACK / "cdk.tf.json").exists()


UNRESOLVED = """\
import os

import boto3

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["TABLE_NAME"])


def handler(event, context):
    orders.get_item(Key={"pk": event["id"], "sk": "order"})
    dynamodb.Table(event["table"]).put_item(Item=event["item"])
"""


def test_an_unresolved_table_in_a_two_table_function_fails_from_code_with_its_line(service: Service) -> None:
    sync = service.function("sync", UNRESOLVED)
    sync.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    sync.use(service.table("archive", "Archive"), access=Access.FROM_CODE, env="ARCHIVE_TABLE")
    line = line_of(service.root / "functions" / "sync", "event[\"table\"]")
    with pytest.raises(ConfigurationError) as error:
        check(service.app)
    assert any(f"sync/handler.py:{line} calls put_item (dynamodb:PutItem)" in p and "more than one table" in p for p in error.value.problems)


def test_an_unresolved_table_is_never_granted_on_a_guessed_table(service: Service) -> None:
    sync = service.function("sync", UNRESOLVED)
    sync.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    sync.use(service.table("archive", "Archive"), access=Access.FROM_CODE, env="ARCHIVE_TABLE")
    assert "dynamodb:PutItem" not in {action for action, _, _ in table_rows(sync)}


def test_an_unset_variable_is_not_the_only_tables(service: Service) -> None:
    sync = service.function("sync", TWO_TABLES)
    sync.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    assert table_rows(sync) == [("dynamodb:GetItem", "table/Orders", Verdict.USED)]


LITERAL = """\
import boto3

audit = boto3.resource("dynamodb").Table("Audit")


def handler(event, context):
    audit.put_item(Item={"pk": event["id"], "sk": "seen"})
"""


def test_a_literally_named_table_can_be_granted_after_the_constructor(service: Service) -> None:
    audit = service.table("audit", "Audit")
    writer = service.function("writer", LITERAL)
    assert writer.permissions is not None and writer.permissions.errors  # not granted yet
    audit.grant(writer, ["dynamodb:PutItem"])
    assert writer.permissions.errors == ()
    check(service.app)


# --- 2. grants added later ------------------------------------------------------------------


def test_a_late_grant_nothing_calls_is_one_warning(service: Service) -> None:
    orders = service.table("orders", "Orders")
    http = service.function("http", READER)
    http.use(orders, access=["dynamodb:GetItem"])
    orders.grant(http, ["dynamodb:DeleteItem"])
    assert check(service.app) == [
        "warning: orders-http: dynamodb:DeleteItem on arn:aws:dynamodb:<region>:<account>:table/Orders is granted but no code in http/ calls it"
    ]


def test_a_late_grant_is_in_the_synthesized_policy(service: Service) -> None:
    orders = service.table("orders", "Orders")
    http = service.function("http", READER)
    http.use(orders, access=["dynamodb:GetItem"])
    orders.grant(http, ["dynamodb:DeleteItem"])
    actions = [s["actions"] for s in policy_of(service.synth(), "http")]
    assert ["dynamodb:DeleteItem"] in actions


def test_statements_added_by_hand_are_rows_added_by_hand(service: Service) -> None:
    http = service.function("http", READER)
    http.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    http.role.add_statements(Statement(("s3:GetObject",), (Arn.of("arn:aws:s3:::orders-exports/*"),)))
    plan = http.permissions
    assert plan is not None
    (row,) = [row for row in plan.rows if row.action == "s3:GetObject"]
    assert (row.resource, row.why, row.verdict) == ("arn:aws:s3:::orders-exports/*", ("added by hand",), Verdict.NOT_CHECKED)


def test_a_hand_added_statement_can_cover_a_call(service: Service) -> None:
    writer = service.function("writer", LITERAL)
    writer.role.add_statements(Statement(("dynamodb:PutItem",), (Arn("dynamodb", "table/Audit"),)))
    assert writer.permissions is not None and writer.permissions.errors == ()
    (row,) = [row for row in writer.permissions.rows if row.action == "dynamodb:PutItem"]
    assert row.verdict is Verdict.USED


# --- 3. control-plane and account-level calls -------------------------------------------------

ADMIN = """\
import os

import boto3

client = boto3.client("dynamodb")


def handler(event, context):
    names = client.list_tables()["TableNames"]
    client.update_table(TableName=os.environ["TABLE_NAME"], BillingMode="PAY_PER_REQUEST")
    return names
"""


def test_from_code_never_grants_a_control_plane_call(service: Service) -> None:
    admin = service.function("admin", ADMIN)
    admin.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    line = line_of(service.root / "functions" / "admin", "update_table")
    with pytest.raises(ConfigurationError) as error:
        check(service.app)
    assert f"orders-admin: admin/handler.py:{line} calls update_table (dynamodb:UpdateTable) on Orders (TABLE_NAME): a control-plane action, which from_code never grants" in "\n".join(error.value.problems)


def test_account_level_actions_are_granted_on_star_when_listed(service: Service) -> None:
    admin = service.function("admin", ADMIN)
    admin.use(service.table("orders", "Orders"), access=["dynamodb:ListTables", "dynamodb:UpdateTable"])
    check(service.app)
    statements = [(s["actions"], s["resources"]) for s in policy_of(service.synth(), "admin")][:2]
    assert statements[1] == (["dynamodb:ListTables"], ["*"])
    assert statements[0][0] == ["dynamodb:UpdateTable"]


# --- 4. triggers ----------------------------------------------------------------------------

STREAM = """\
def handler(event, context):
    return {"batchItemFailures": []}
"""


def lambda_rows(function: Function) -> list[tuple[str, str]]:
    plan = function.permissions
    assert plan is not None
    return [(row.action, row.resource) for row in plan.rows if not row.action.startswith(("logs:", "xray:"))]


def test_a_stream_trigger_grants_reading_that_tables_streams_only(service: Service) -> None:
    orders = service.table("orders", "Orders", stream=StreamViewType.NEW_AND_OLD_IMAGES)
    stream = service.function("stream", STREAM, check_code=False)
    stream.add_trigger(StreamTrigger(orders, starting_position="TRIM_HORIZON"))
    streams = "arn:aws:dynamodb:<region>:<account>:table/Orders/stream/*"
    assert lambda_rows(stream) == [
        ("dynamodb:DescribeStream", streams),
        ("dynamodb:GetRecords", streams),
        ("dynamodb:GetShardIterator", streams),
        ("dynamodb:ListStreams", "*"),
    ]


def test_a_stream_trigger_is_a_mapping_after_the_policy(service: Service) -> None:
    orders = service.table("orders", "Orders", stream=StreamViewType.NEW_IMAGE)
    stream = service.function("stream", STREAM, check_code=False)
    stream.add_trigger(StreamTrigger(orders, batch_size=50, report_batch_item_failures=True, filters=('{"eventName": ["INSERT"]}',)))
    (mapping,) = resources(service.synth(), "aws_lambda_event_source_mapping")
    assert mapping["event_source_arn"].endswith(".stream_arn}")
    assert (mapping["batch_size"], mapping["starting_position"]) == (50, "LATEST")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["filter_criteria"] == {"filter": [{"pattern": '{"eventName": ["INSERT"]}'}]}
    assert mapping["depends_on"] == [next(f"aws_iam_role_policy_attachment.{k}" for k in service.synth()["resource"]["aws_iam_role_policy_attachment"])]


def test_an_on_failure_destination_gets_its_send_permission(service: Service) -> None:
    orders = service.table("orders", "Orders", stream=StreamViewType.KEYS_ONLY)
    stream = service.function("stream", STREAM, check_code=False)
    stream.add_trigger(StreamTrigger(orders, on_failure_arn="arn:aws:sqs:eu-west-1:123456789012:orders-failed"))
    assert ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:orders-failed") in lambda_rows(stream)


def test_a_stream_trigger_on_a_table_without_a_stream_is_refused(service: Service) -> None:
    orders = service.table("orders", "Orders")
    stream = service.function("stream", STREAM, check_code=False)
    with pytest.raises(ConfigurationError, match=r"orders-stream.triggers\[0\].table 'Orders' is invalid: a table with a stream"):
        stream.add_trigger(StreamTrigger(orders))


def test_a_queue_trigger_grants_receiving_that_queues_messages(service: Service) -> None:
    intake = service.function("intake", STREAM, check_code=False)
    intake.add_trigger(QueueTrigger(QUEUE_ARN, kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
    assert lambda_rows(intake) == [
        ("sqs:ReceiveMessage", QUEUE_ARN),
        ("sqs:DeleteMessage", QUEUE_ARN),
        ("sqs:GetQueueAttributes", QUEUE_ARN),
        ("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ]


def test_a_queue_batch_over_ten_needs_a_window(service: Service) -> None:
    intake = service.function("intake", STREAM, check_code=False)
    with pytest.raises(ConfigurationError, match=r"maximum_batching_window_seconds 0 is invalid: at least 1 second when batch_size is over 10"):
        intake.add_trigger(QueueTrigger(QUEUE_ARN, batch_size=100))


# --- 5. function URLs -----------------------------------------------------------------------


def test_a_function_url_is_signed_callers_only_by_default(service: Service) -> None:
    http = service.function("http", STREAM, check_code=False)
    url = http.add_url(FunctionUrl())
    (resource,) = resources(service.synth(), "aws_lambda_function_url")
    assert (resource["authorization_type"], url.public) == ("AWS_IAM", False)
    assert resources(service.synth(), "aws_lambda_permission") == []


def test_a_url_without_auth_needs_public_true(service: Service) -> None:
    http = service.function("http", STREAM, check_code=False)
    with pytest.raises(ConfigurationError, match=r"orders-http.url.auth 'NONE' is invalid: auth NONE lets anyone on the internet invoke the function"):
        http.add_url(FunctionUrl(auth=FunctionUrlAuth.NONE))


def test_a_public_url_is_a_finding(service: Service) -> None:
    http = service.function("http", STREAM, check_code=False)
    http.add_url(FunctionUrl(auth=FunctionUrlAuth.NONE, public=True))
    assert http.permissions is not None
    assert http.permissions.findings[0] == "warning: orders-http: its function URL is public (auth NONE): anyone on the internet can invoke it"
    assert "InvokedViaFunctionUrl" in http.permissions.findings[1]


def test_a_public_url_lets_anyone_invoke_it_through_the_url_only(service: Service) -> None:
    http = service.function("http", STREAM, check_code=False)
    http.add_url(FunctionUrl(auth=FunctionUrlAuth.NONE, public=True))
    (permission,) = resources(service.synth(), "aws_lambda_permission")
    assert (permission["action"], permission["principal"], permission["function_url_auth_type"]) == ("lambda:InvokeFunctionUrl", "*", "NONE")


# --- 6. roles and names ---------------------------------------------------------------------


def test_a_function_names_its_role_policy_and_log_group_after_itself(service: Service) -> None:
    service.function("http", STREAM, check_code=False)
    doc = service.synth()
    assert [r["name"] for r in resources(doc, "aws_iam_role")] == ["orders-http-role"]
    assert [r["name"] for r in resources(doc, "aws_iam_policy")] == ["orders-http-policy"]
    assert [r["name"] for r in resources(doc, "aws_cloudwatch_log_group")] == ["/aws/lambda/orders-http"]


def test_role_settings_name_them(service: Service) -> None:
    service.function("http", STREAM, check_code=False, role=RoleSettings(name="HttpRole", policy_name="HttpPolicy"))
    doc = service.synth()
    assert [r["name"] for r in resources(doc, "aws_iam_role")] == ["HttpRole"]


def test_an_existing_role_gets_the_policy_attached_and_no_role_is_made(service: Service) -> None:
    http = service.function("http", STREAM, check_code=False, role=ExistingRole(name="platform-http", path="/service/"))
    doc = service.synth()
    assert resources(doc, "aws_iam_role") == []
    (attachment,) = resources(doc, "aws_iam_role_policy_attachment")
    assert attachment["role"] == "platform-http"
    (function,) = resources(doc, "aws_lambda_function")
    assert function["role"].endswith(":role/service/platform-http") and http.role.name == "platform-http"


def test_read_only_attributes_are_references(service: Service) -> None:
    orders = service.table("orders", "Orders", stream=StreamViewType.NEW_IMAGE)
    http = service.function("http", READER)
    http.use(orders, access=Access.READ)
    from cdktf import Token

    values = [orders.name, orders.arn, orders.stream_arn, http.name, http.arn, http.role.name, http.role.arn]
    assert all(isinstance(v, str) and Token.is_unresolved(v) for v in values)


def test_two_tables_of_one_name_in_a_stack_are_refused(service: Service) -> None:
    service.table("orders", "Orders")
    with pytest.raises(ConfigurationError, match=r"table.name 'Orders' is invalid: another DynamoDB table of stack test has this name \(test/orders\)"):
        service.table("orders2", "Orders")


def test_two_functions_of_one_name_in_a_stack_are_refused(service: Service) -> None:
    service.function("http", STREAM, check_code=False)
    with pytest.raises(ConfigurationError, match=r"function.name 'orders-http' is invalid: another Lambda function"):
        Function(service.stack, "again", FunctionSettings(name="orders-http", source_dir=service.root / "functions" / "http"), check_code=False)


def test_the_handlers_function_must_exist_in_its_module(service: Service) -> None:
    with pytest.raises(ConfigurationError, match=r"function.handler 'handler.main' is invalid: its function must be defined at the top level of handler.py"):
        Function(service.stack, "http", FunctionSettings(name="orders-http", source_dir=service.code("http", READER), handler="handler.main"))


@pytest.mark.parametrize("arn", ["*", "arn:aws:dynamodb:eu-west-1:123456789012:table/*", "arn:aws:s3:::bucket"])
def test_an_imported_tables_arn_must_be_a_tables(arn: str) -> None:
    with pytest.raises(ConfigurationError, match=r"table.arn .* is invalid: a DynamoDB table ARN"):
        ImportedTable(ExistingTable("Orders", arn=arn))


def test_an_imported_table_works_where_a_table_does(service: Service) -> None:
    stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T00:00:00.000"
    orders = ImportedTable(ExistingTable("Orders", arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Orders", stream_arn=stream_arn))
    stream = service.function("stream", READER)
    stream.use(orders, access=Access.FROM_CODE)
    stream.add_trigger(StreamTrigger(orders))
    assert ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders") in lambda_rows(stream) + [
        (r.action, r.resource) for r in stream.permissions.rows  # type: ignore[union-attr]
    ]
    (mapping,) = resources(service.synth(), "aws_lambda_event_source_mapping")
    assert mapping["event_source_arn"] == stream_arn


def test_an_imported_stream_must_be_that_tables(service: Service) -> None:
    with pytest.raises(ConfigurationError, match=r"table.stream_arn .* is invalid: a stream of the table Orders"):
        ImportedTable(ExistingTable("Orders", stream_arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Other/stream/x"))


def test_a_statement_returned_by_use_is_what_the_role_holds(service: Service) -> None:
    orders = service.table("orders", "Orders")
    http = service.function("http", READER)
    granted: Callable[[], Any] = lambda: http.use(orders, access=Access.FROM_CODE)  # noqa: E731
    (statement,) = granted()
    assert statement in http.role.document.statements and statement.actions == ("dynamodb:GetItem",)


# --- 7. from the handler, and calls made by libraries ------------------------------------------

UNREACHABLE = """\
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    return table.get_item(Key={"pk": event["id"], "sk": "order"}).get("Item")


def backfill(items):
    # A one-off maintenance script left in the folder: Lambda never runs it.
    for item in items:
        table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
"""


def test_unreachable_code_grants_nothing(service: Service) -> None:
    http = service.function("http", UNREACHABLE)
    http.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    assert table_rows(http) == [("dynamodb:GetItem", "table/Orders", Verdict.USED)]


def test_unreachable_code_blocks_nothing(service: Service) -> None:
    http = service.function("http", UNREACHABLE)
    http.use(service.table("orders", "Orders"), access=["dynamodb:GetItem"])
    assert check(service.app) == []


def test_unreachable_calls_are_listed_as_such(service: Service) -> None:
    http = service.function("http", UNREACHABLE)
    http.use(service.table("orders", "Orders"), access=Access.FROM_CODE)
    analysis = http.permissions.analysis  # type: ignore[union-attr]
    assert [getattr(call, "method", None) for call in analysis.unreachable] == ["delete_item"]


IDEMPOTENT = """\
import os

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent

persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])


@idempotent(persistence_store=persistence)
def handler(event, context):
    return {"order": event["id"], "accepted": True}
"""


def test_a_powertools_idempotency_handler_gets_its_four_actions_on_its_table(service: Service) -> None:
    payments = service.function("payments", IDEMPOTENT)
    payments.use(service.table("idempotency", "Idempotency", sort_key=None, attributes=(Attribute("pk"),)), access=Access.FROM_CODE, env="IDEMPOTENCY_TABLE")
    assert table_rows(payments) == [
        ("dynamodb:DeleteItem", "table/Idempotency", Verdict.USED),
        ("dynamodb:GetItem", "table/Idempotency", Verdict.USED),
        ("dynamodb:PutItem", "table/Idempotency", Verdict.USED),
        ("dynamodb:UpdateItem", "table/Idempotency", Verdict.USED),
    ]


# --- 8. the rules of use() ------------------------------------------------------------------


def test_use_refuses_a_second_use_of_a_table(service: Service) -> None:
    orders = service.table("orders", "Orders")
    http = service.function("http", READER)
    http.use(orders, access=Access.READ)
    with pytest.raises(ConfigurationError, match=r"orders-http.use.table 'Orders' is invalid: the function uses this table already"):
        http.use(orders, access=Access.READ, env="ORDERS")


def test_use_refuses_a_variable_set_already(service: Service) -> None:
    http = service.function("http", READER)
    http.use(service.table("orders", "Orders"), access=Access.READ)
    with pytest.raises(ConfigurationError, match=r"orders-http.use\(Archive\).env 'TABLE_NAME' is invalid: the function's environment sets this variable already"):
        http.use(service.table("archive", "Archive"), access=Access.READ)


@pytest.mark.parametrize("env", ["1TABLE", "AWS_REGION", ""])
def test_use_refuses_a_variable_name_lambda_would_refuse(service: Service, env: str) -> None:
    http = service.function("http", READER)
    with pytest.raises(ConfigurationError, match=r"orders-http.use\(Orders\).env .* is invalid: a letter, then letters, digits or _"):
        http.use(service.table("orders", "Orders"), access=Access.READ, env=env)


def test_use_refuses_something_that_is_not_a_table(service: Service) -> None:
    http = service.function("http", READER)
    with pytest.raises(ConfigurationError, match=r"orders-http.use.table 'str' is invalid: a Table or ImportedTable"):
        http.use("Orders", access=Access.READ)  # type: ignore[arg-type]


def test_use_refuses_an_unknown_access(service: Service) -> None:
    http = service.function("http", READER)
    with pytest.raises(ConfigurationError, match=r"orders-http.use\(Orders\).access 'admin' is invalid: one of read, write"):
        http.use(service.table("orders", "Orders"), access="admin")  # type: ignore[arg-type]


def test_use_refuses_a_truthy_non_bool_wildcard_switch(service: Service) -> None:
    http = service.function("http", READER)
    with pytest.raises(ConfigurationError, match=r"allow_wildcards 'no' is invalid: true or false"):
        http.use(service.table("orders", "Orders"), access=["dynamodb:*"], allow_wildcards="no")  # type: ignore[arg-type]


def test_a_function_refuses_an_unknown_role_setting(service: Service) -> None:
    with pytest.raises(ConfigurationError, match=r"role 'str' is invalid: RoleSettings, ExistingRole or None"):
        service.function("http", READER, role="platform-role")


def test_an_existing_roles_name_is_checked(service: Service) -> None:
    with pytest.raises(ConfigurationError, match=r"role.name 'bad/name' is invalid: 1 to 64 characters"):
        service.function("http", READER, role=ExistingRole(name="bad/name"))


# --- 9. every setting's type ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"import_log_group": "yes"}, "function.import_log_group 'yes' is invalid: true or false"),
        (
            {"subnet_ids": ("subnet-0123456789abcdef0",), "security_group_ids": ["sg-0123456789abcdef0"]},
            "function.security_group_ids ['sg-0123456789abcdef0'] is invalid: a tuple (a string each)",
        ),
        ({"exclude": "*.md"}, "function.exclude '*.md' is invalid: a tuple of glob patterns (strings), e.g. ('tests', '*.md')"),
    ],
)
def test_a_function_setting_of_the_wrong_type_is_refused(service: Service, changes: dict[str, Any], expected: str) -> None:
    settings = FunctionSettings(name="orders-http", source_dir=service.code("http", READER), **changes)
    with pytest.raises(ConfigurationError) as error:
        Function(service.stack, "http", settings)
    assert expected in error.value.problems


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"deletion_protection": "no"}, "table.deletion_protection 'no' is invalid: true or false"),
        ({"point_in_time_recovery": 0}, "table.point_in_time_recovery 0 is invalid: true or false"),
    ],
)
def test_a_table_setting_of_the_wrong_type_is_refused(service: Service, changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        service.table("orders", "Orders", **changes)
    assert expected in error.value.problems


def test_a_truthy_string_does_not_allow_wildcards() -> None:
    from dataclasses import replace

    from lambda_dynamodb import validate

    from conftest import module_settings

    with pytest.raises(ConfigurationError) as error:
        validate(replace(module_settings(access=("dynamodb:*",)), allow_wildcard_actions="no"))
    assert "allow_wildcard_actions 'no' is invalid: true or false" in error.value.problems
    assert any("wildcards grant every current and future action" in p for p in error.value.problems)


KWARGS_QUERY = """\
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    options = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": event["customer"]}}
    return table.query(**options)["Items"]
"""


def test_a_query_whose_arguments_cannot_be_read_is_on_the_table_when_it_has_no_indexes(service: Service) -> None:
    http = service.function("http", KWARGS_QUERY)
    http.use(service.table("orders", "Orders"), access=Access.READ)
    assert http.permissions is not None and http.permissions.errors == ()


def test_such_a_query_is_on_the_indexes_when_the_table_has_some(service: Service) -> None:
    from lambda_dynamodb import AttributeType, GlobalIndex

    attributes = (Attribute("pk"), Attribute("sk"), Attribute("status", AttributeType.STRING))
    orders = service.table("orders", "Orders", attributes=attributes, global_indexes=(GlobalIndex("by-status", partition_key="status"),))
    http = service.function("http", KWARGS_QUERY)
    http.use(orders, access=["dynamodb:Query"])
    assert ("dynamodb:Query", "table/Orders/index/*", Verdict.USED) in table_rows(http)


def test_a_second_trigger_on_one_stream_is_refused(service: Service) -> None:
    orders = service.table("orders", "Orders", stream=StreamViewType.NEW_IMAGE)
    stream = service.function("stream", STREAM, check_code=False)
    stream.add_trigger(StreamTrigger(orders))
    with pytest.raises(ConfigurationError, match=r"orders-stream.triggers\[1\].table 'Orders' is invalid: the function has a trigger on this table's stream already"):
        stream.add_trigger(StreamTrigger(orders))


def test_a_second_url_is_refused(service: Service) -> None:
    http = service.function("http", STREAM, check_code=False)
    http.add_url()
    with pytest.raises(ConfigurationError, match=r"orders-http.url 'a second URL' is invalid: a function has one URL"):
        http.add_url()


BOTH = """\
import os

import boto3

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["TABLE_NAME"])
audit = dynamodb.Table("Audit")


def handler(event, context):
    orders.put_item(Item=event["order"])
    audit.put_item(Item={"pk": event["order"]["pk"], "sk": "created"})
"""


def test_the_composite_leaves_a_call_on_another_table_to_a_later_grant(service: Service) -> None:
    from lambda_dynamodb import LambdaDynamoDb, LambdaDynamoDbSettings

    settings = LambdaDynamoDbSettings(
        table=TableSettings(name="Orders"),
        function=FunctionSettings(name="orders-api", source_dir=service.code("api", BOTH)),
        role=RoleSettings(name="orders-api", policy_name="orders-api"),
        access=Access.FROM_CODE,
    )
    module = LambdaDynamoDb(service.stack, "api", settings)  # the Audit write is not refused here
    with pytest.raises(ConfigurationError, match=r"calls put_item \(dynamodb:PutItem on table 'Audit'\)"):
        check(service.app)
    service.table("audit", "Audit").grant(module.function, ["dynamodb:PutItem"])
    check(service.app)


def test_use_returns_the_key_statement_of_a_table_with_its_own_key(service: Service) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    http = service.function("http", READER)
    statements = http.use(service.table("orders", "Orders", kms_key_arn=key), access=Access.FROM_CODE)
    assert [s.actions for s in statements] == [("dynamodb:GetItem",), ("kms:Decrypt", "kms:DescribeKey")]
