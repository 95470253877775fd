"""The example service (examples/orders-service): synthesized, validated, deployed, smoke-tested.

Synthesized once by ``python main.py`` (as the cdktf CLI runs it), validated by Terraform,
applied to an emulator of its own; then each function's deployed code runs from its zip with
its deployed policy enforced (``tools/iam_enforcer``): the stream function on the records the
emulator's DynamoDB Streams API really holds, the intake function on the messages the queue
really holds, each read with that function's own role, as Lambda's pollers would (see
``polled_and_deployed`` for why they are read between two applies). The last test destroys,
and asserts nothing is left.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_dynamodb.testing.enforcer import Enforcer, assumed_role_principal, attached_policies, queue_permission, stream_permission
from lambda_dynamodb.testing.smoke import deployed_package, environment, run_handler
from lambda_dynamodb.testing.terraform_cli import TerraformMissing, terraform_binary, terraform_env

from conftest import PROJECT_DIR, Deployment, attached_policy_document, deployed, policy_statements

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

EXAMPLE_DIR = PROJECT_DIR / "examples" / "orders-service"
STACK_NAME = "orders-service"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
FUNCTIONS = ("orders-sync", "orders-stream", "orders-intake", "orders-http")
ORDERS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Orders"
ARCHIVE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Archive"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-intake"
STREAM_ARN = f"{ORDERS_ARN}/stream/2026-12-01T06:00:00.000"


# --- the enforcer's mapping of DynamoDB Streams and SQS requests (no emulator) -----------------


def test_stream_requests_are_checked_on_the_stream() -> None:
    assert stream_permission("DescribeStream", {"StreamArn": STREAM_ARN}).resource == STREAM_ARN
    assert stream_permission("GetShardIterator", {"StreamArn": STREAM_ARN, "ShardId": "s"}).resource == STREAM_ARN


def test_get_records_is_checked_on_the_stream_its_iterator_names() -> None:
    permission = stream_permission("GetRecords", {"ShardIterator": f"{STREAM_ARN}|1|AAAAopaque=="})
    assert (permission.action, permission.resource) == ("dynamodb:GetRecords", STREAM_ARN)


def test_list_streams_and_unknown_iterators_are_checked_on_star() -> None:
    assert stream_permission("ListStreams", {"TableName": "Orders"}).resource == "*"
    assert stream_permission("GetRecords", {"ShardIterator": "opaque"}).resource == "*"


def test_queue_requests_are_checked_on_the_queue_of_their_url_or_name() -> None:
    url = f"http://127.0.0.1:5000/{ACCOUNT}/orders-intake"
    assert queue_permission("ReceiveMessage", {"QueueUrl": url}, "aws", REGION, ACCOUNT).resource == QUEUE_ARN
    assert queue_permission("GetQueueUrl", {"QueueName": "orders-intake"}, "aws", REGION, ACCOUNT).resource == QUEUE_ARN
    assert queue_permission("ListQueues", {}, "aws", REGION, ACCOUNT).resource == "*"


# --- the example's own handler tests -----------------------------------------------------------


def test_the_examples_handler_tests_pass() -> None:
    tests = EXAMPLE_DIR / "tests"
    # Its policy tests (the testing plugin's example) run in tests/test_testing_plugin.py.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider", "--ignore", str(tests / "test_orders_policy.py")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


# --- synthesis and validation ------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, synthesized once by ``python main.py`` in its folder, as the cdktf CLI runs it."""
    out = tmp_path_factory.mktemp("orders-service") / "cdktf.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    env["CDKTF_OUTDIR"] = str(out)
    run = subprocess.run([sys.executable, "main.py"], cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"python main.py failed:\n{run.stdout}\n{run.stderr}"
    return out / "stacks" / STACK_NAME


@pytest.fixture(scope="module")
def stack(stack_dir: Path) -> dict[str, Any]:
    return dict(json.loads((stack_dir / "cdk.tf.json").read_text()))


def test_importing_the_example_synthesizes_nothing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import main"], cwd=EXAMPLE_DIR, env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out")}, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "out").exists()


def test_the_stack_holds_four_functions_two_tables_and_their_triggers(stack: dict[str, Any]) -> None:
    resource = stack["resource"]
    assert sorted(f["function_name"] for f in resource["aws_lambda_function"].values()) == sorted(FUNCTIONS)
    assert sorted(t["name"] for t in resource["aws_dynamodb_table"].values()) == ["Archive", "Orders"]
    assert len(resource["aws_lambda_event_source_mapping"]) == 2
    assert len(resource["aws_lambda_function_url"]) == 1
    assert sorted(q["name"] for q in resource["aws_sqs_queue"].values()) == ["orders-intake", "orders-intake-dead-letters"]


def test_the_state_file_lives_beside_cdktf_out(stack: dict[str, Any]) -> None:
    assert stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.orders-service.tfstate"}}
    assert stack["provider"]["aws"] == [{"region": REGION}]


def test_the_queue_is_encrypted_and_outlasts_the_functions_timeout(stack: dict[str, Any]) -> None:
    resource = stack["resource"]
    (intake,) = [f for f in resource["aws_lambda_function"].values() if f["function_name"] == "orders-intake"]
    for queue in resource["aws_sqs_queue"].values():
        assert queue["sqs_managed_sse_enabled"] is True
    (queue,) = [q for q in resource["aws_sqs_queue"].values() if q["name"] == "orders-intake"]
    assert queue["visibility_timeout_seconds"] >= intake["timeout"]


def test_the_sync_functions_rows_name_each_call_on_its_own_table(tmp_path: Path) -> None:
    """The construct's own rows (what synthesis checks): GetItem on Orders and PutItem on
    Archive, each used by the line of the handler that makes it, and no other DynamoDB row."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("orders_service_main", EXAMPLE_DIR / "main.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    app = example.build_app(tmp_path / "cdktf.out")
    app.synth()
    (sync,) = [f for f in example.functions(app) if f.settings.name == "orders-sync"]
    rows = [(r.action, r.resource.rsplit(":", 1)[-1], r.verdict.value) for r in sync.permissions.rows if r.action.startswith("dynamodb:")]
    assert rows == [("dynamodb:GetItem", "table/Orders", "used"), ("dynamodb:PutItem", "table/Archive", "used")]
    why = {r.action: " ".join(r.why) for r in sync.permissions.rows if r.action.startswith("dynamodb:")}
    assert "sync/handler.py:" in why["dynamodb:GetItem"] and "get_item" in why["dynamodb:GetItem"]
    assert "sync/handler.py:" in why["dynamodb:PutItem"] and "put_item" in why["dynamodb:PutItem"]
    assert sync.permissions.errors == () and sync.permissions.warnings == ()


def test_terraform_validates_the_example(stack_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "stack"
    shutil.copytree(stack_dir, copy)
    env = terraform_env(tmp_path / "terraform.rc")
    for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color", "-json"]):
        result = subprocess.run([_terraform(), *args], cwd=copy, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["valid"] is True


def _terraform() -> str:
    try:
        return terraform_binary()
    except TerraformMissing as error:
        pytest.fail(str(error))


# --- deployed to the emulator ------------------------------------------------------------------


@dataclass
class Polled:
    """What Lambda's pollers read, with each function's role, before the mappings existed."""

    order: dict[str, Any]
    stream_arn: str
    records: list[dict[str, Any]]
    stream_calls: list[tuple[str, str, bool]]
    message_order: dict[str, Any]
    queue_url: str
    messages: list[dict[str, Any]]
    queue_calls: list[tuple[str, str, bool]]


@pytest.fixture(scope="module")
def polled_and_deployed(stack_dir: Path, stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, Polled]]:
    """The example deployed in two applies, reading the stream and the queue in between.

    moto emulates an event source mapping by invoking the function in Docker at each write to
    the table or queue, and drops the records and messages even when that fails (no Docker
    here): with the mappings in place, the stream would read back empty. So everything but the
    two mappings is applied first; an order is written to Orders and one sent to the queue,
    and both are read back as Lambda's pollers would, with the stream's and the intake's
    deployed roles enforced. The second apply adds the mappings (then checked as deployed).
    """
    with deployed(stack_dir, tmp_path_factory.mktemp("orders-deployed"), apply=False) as deployment:
        targets = [
            f"-target={kind}.{name}"
            for kind, resources in stack["resource"].items()
            if kind != "aws_lambda_event_source_mapping"
            for name in resources
        ]
        deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color", *targets)
        with environment({k: v for k, v in deployment.env.items() if k.startswith("AWS_")}):
            polled = poll_before_the_mappings(deployment)
        deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color")
        yield deployment, polled


@pytest.fixture(scope="module")
def deployment(polled_and_deployed: tuple[Deployment, Polled]) -> Deployment:
    return polled_and_deployed[0]


@pytest.fixture(scope="module")
def polled(polled_and_deployed: tuple[Deployment, Polled]) -> Polled:
    return polled_and_deployed[1]


def poll_before_the_mappings(deployment: Deployment) -> Polled:
    endpoint = deployment.env["AWS_ENDPOINT_URL"]
    order = new_order(deployment)
    stream_arn = deployment.client("dynamodb").describe_table(TableName="Orders")["Table"]["LatestStreamArn"]
    # What Lambda's stream poller does with the function's role: describe, iterate, read.
    session, enforcer = enforced_session(deployment, "orders-stream")
    streams = session.client("dynamodbstreams", endpoint_url=endpoint)
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    stream_calls = [(c.action, c.resource, c.allowed) for c in enforcer.calls]
    # What Lambda's queue poller does with the function's role: receive (deleting comes after the run).
    queue_url = deployment.client("sqs").get_queue_url(QueueName="orders-intake")["QueueUrl"]
    message_order = {"customer": f"c-{uuid.uuid4().hex[:8]}", "id": f"o-{uuid.uuid4().hex[:8]}", "total": "7.25"}
    deployment.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(message_order))
    session, enforcer = enforced_session(deployment, "orders-intake")
    poller = session.client("sqs", endpoint_url=endpoint)
    messages = poller.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    queue_calls = [(c.action, c.resource, c.allowed) for c in enforcer.calls]
    return Polled(order, stream_arn, records, stream_calls, message_order, queue_url, messages, queue_calls)


@pytest.fixture()
def aws(deployment: Deployment) -> Iterator[Deployment]:
    """The deployment, with boto3 (and the handler runner) pointed at its emulator."""
    with environment({k: v for k, v in deployment.env.items() if k.startswith("AWS_")}):
        boto3.setup_default_session()
        yield deployment
    boto3.DEFAULT_SESSION = None


def configuration(deployment: Deployment, function_name: str) -> dict[str, Any]:
    return dict(deployment.client("lambda").get_function_configuration(FunctionName=function_name))


def enforced_session(deployment: Deployment, function_name: str) -> tuple[boto3.Session, Enforcer]:
    """A boto3 session making calls as the function's role, with its deployed policies enforced."""
    config = configuration(deployment, function_name)
    policies = attached_policies(deployment.client("iam"), config["Role"].rsplit("/", 1)[-1])
    enforcer = Enforcer(policies, assumed_role_principal(config["Role"], function_name), ACCOUNT)
    env = deployment.env
    session = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name=env["AWS_REGION"])
    enforcer.install(session)
    return session, enforcer


def run_deployed(deployment: Deployment, function_name: str, events: list[Any]) -> dict[str, Any]:
    """The function's handler, run from its deployed zip, with its deployed policies enforced."""
    config = configuration(deployment, function_name)
    package = deployed_package(deployment.stack_dir, function_name)
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    policies = attached_policies(deployment.client("iam"), config["Role"].rsplit("/", 1)[-1])
    result = run_handler(package, config, policies, events)
    assert result["denials"] == [], result["denials"]
    return result


def dynamodb_grants(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource) of every DynamoDB action the document allows."""
    return {
        (action, resource)
        for statement in policy_statements(document)
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
        if action.startswith("dynamodb:")
        for resource in statement["Resource"]
    }


def new_order(deployment: Deployment) -> dict[str, Any]:
    """An order as a client writes it into Orders, straight through the DynamoDB API."""
    customer, order_id = f"c-{uuid.uuid4().hex[:8]}", f"o-{uuid.uuid4().hex[:8]}"
    item = {
        "pk": {"S": f"CUSTOMER#{customer}"},
        "sk": {"S": f"ORDER#{order_id}"},
        "customer": {"S": customer},
        "order_id": {"S": order_id},
        "total": {"N": "12.50"},
        "status": {"S": "received"},
    }
    deployment.client("dynamodb").put_item(TableName="Orders", Item=item)
    return {"customer": customer, "id": order_id, "pk": f"CUSTOMER#{customer}", "sk": f"ORDER#{order_id}"}


def archive_entries(deployment: Deployment, pk: str) -> list[dict[str, Any]]:
    query = deployment.client("dynamodb").query(
        TableName="Archive", KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True
    )
    return list(query["Items"])


def test_orders_has_a_stream_of_new_and_old_images(deployment: Deployment) -> None:
    table = deployment.client("dynamodb").describe_table(TableName="Orders")["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"].startswith(f"{ORDERS_ARN}/stream/")


def test_each_function_has_its_own_role(deployment: Deployment) -> None:
    roles = {configuration(deployment, name)["Role"] for name in FUNCTIONS}
    assert roles == {f"arn:aws:iam::{ACCOUNT}:role/{name}-role" for name in FUNCTIONS}


def test_sync_may_get_only_on_orders_and_put_only_on_archive(deployment: Deployment) -> None:
    document = attached_policy_document(deployment, "orders-sync-role")
    assert dynamodb_grants(document) == {("dynamodb:GetItem", ORDERS_ARN), ("dynamodb:PutItem", ARCHIVE_ARN)}


def test_stream_may_read_only_the_orders_stream_and_put_only_on_archive(deployment: Deployment) -> None:
    stream_arn = deployment.client("dynamodb").describe_table(TableName="Orders")["Table"]["LatestStreamArn"]
    policies = attached_policies(deployment.client("iam"), "orders-stream-role")
    reads = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords")
    assert all(policies.allows(action, stream_arn) for action in reads)
    assert not any(policies.allows(action, f"{ARCHIVE_ARN}/stream/2026-12-01T06:00:00.000") for action in reads)
    grants = {(a, r) for a, r in dynamodb_grants(attached_policy_document(deployment, "orders-stream-role")) if a not in (*reads, "dynamodb:ListStreams")}
    assert grants == {("dynamodb:PutItem", ARCHIVE_ARN)}
    assert not any(policies.allows(action, ORDERS_ARN) for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"))


def test_event_source_mappings_connect_the_stream_and_the_queue(deployment: Deployment) -> None:
    stream_arn = deployment.client("dynamodb").describe_table(TableName="Orders")["Table"]["LatestStreamArn"]
    mappings = deployment.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    found = {m["EventSourceArn"]: m for m in mappings}
    assert {arn: m["FunctionArn"].rsplit(":", 1)[-1] for arn, m in found.items()} == {stream_arn: "orders-stream", QUEUE_ARN: "orders-intake"}
    assert (found[stream_arn]["StartingPosition"], found[stream_arn]["BatchSize"]) == ("TRIM_HORIZON", 100)
    assert found[stream_arn]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (found[QUEUE_ARN]["BatchSize"], found[QUEUE_ARN]["FunctionResponseTypes"]) == (10, ["ReportBatchItemFailures"])


def test_the_http_function_has_a_url_that_needs_sigv4(deployment: Deployment) -> None:
    url = deployment.client("lambda").get_function_url_config(FunctionName="orders-http")
    assert url["AuthType"] == "AWS_IAM"
    assert deployment.outputs()["orders_url"] == url["FunctionUrl"]


def test_every_role_passes_parliament(deployment: Deployment) -> None:
    import parliament

    found = {}
    for name in FUNCTIONS:
        for policy, document in attached_policies(deployment.client("iam"), f"{name}-role").documents:
            findings = parliament.analyze_policy_string(json.dumps(document)).findings
            if findings:
                found[policy] = [(f.issue, f.detail) for f in findings]
    assert found == {}


def test_every_role_allows_what_lambda_does_with_it(deployment: Deployment) -> None:
    from lambda_dynamodb.iam.lambda_service import ServiceUse, requirements
    from lambda_dynamodb.iam.policy import ArnContext

    context = ArnContext(partition="aws", region=REGION, account=ACCOUNT)
    missing = {}
    for name in FUNCTIONS:
        config = configuration(deployment, name)
        policies = attached_policies(deployment.client("iam"), f"{name}-role")
        needed = requirements(ServiceUse.deployed(config))
        assert needed, name
        missing[name] = [(r.action, r.resource.render(context)) for r in needed if not policies.allows(r.action, r.resource.render(context))]
    assert missing == {name: [] for name in FUNCTIONS}


def test_a_second_plan_shows_only_the_emulators_gaps(deployment: Deployment) -> None:
    """What a second plan changes is what moto does not store as AWS does, and nothing else.

    - a function's LoggingConfig (moto 5.2 does not store it, see README);
    - the queue's RedrivePolicy, with whitespace only: moto answers the JSON re-serialized
      (``{"a": 1}``), AWS as it was set (``{"a":1}``); Terraform then reads the intake
      function's policy document (it names the queue's ARN) only at apply, so that policy's
      JSON is "known after apply" too, and nothing else about it changes.
    """
    deployment.terraform("plan", "-input=false", "-no-color", "-out=second.plan")
    plan = json.loads(deployment.terraform("show", "-json", "second.plan").stdout)
    unexplained = {}
    for change in plan.get("resource_changes", []):
        actions, before, after = change["change"]["actions"], change["change"]["before"], change["change"]["after"]
        if actions in (["no-op"], ["read"]):
            continue
        unknown = sorted(k for k, v in change["change"].get("after_unknown", {}).items() if v is True)
        changed = sorted(k for k in after if before.get(k) != after[k]) + unknown
        kind = change["type"]
        if kind == "aws_lambda_function" and changed == ["logging_config"]:
            continue
        if kind == "aws_sqs_queue" and changed == ["redrive_policy"] and json.loads(before["redrive_policy"]) == json.loads(after["redrive_policy"]):
            continue
        if kind == "aws_iam_policy" and change["name"].startswith("intake_") and changed == ["policy"]:
            continue
        unexplained[change["address"]] = (actions, changed)
    assert unexplained == {}


def test_the_stream_is_read_with_the_stream_functions_deployed_policy(polled: Polled) -> None:
    assert polled.stream_calls == [
        ("dynamodb:DescribeStream", polled.stream_arn, True),
        ("dynamodb:GetShardIterator", polled.stream_arn, True),
        ("dynamodb:GetRecords", polled.stream_arn, True),
    ]
    ours = [r for r in polled.records if r["dynamodb"]["Keys"]["pk"] == {"S": polled.order["pk"]}]
    assert [(r["eventName"], r["dynamodb"]["NewImage"]["total"]) for r in ours] == [("INSERT", {"N": "12.50"})]


def test_the_stream_function_archives_the_records_read_from_the_real_stream(aws: Deployment, polled: Polled) -> None:
    order = polled.order
    ours = [r for r in polled.records if r["dynamodb"]["Keys"]["pk"] == {"S": order["pk"]}]
    result = run_deployed(aws, "orders-stream", [lambda_stream_event(ours, polled.stream_arn)])
    assert result["answers"] == [{"batchItemFailures": []}]
    assert {(c["action"], c["resource"]) for c in result["calls"]} == {("dynamodb:PutItem", ARCHIVE_ARN)}
    (entry,) = archive_entries(aws, order["pk"])
    assert entry["sk"] == {"S": f"{order['sk']}#INSERT#{ours[0]['dynamodb']['SequenceNumber']}"}
    assert entry["source"] == {"S": "orders-stream"}
    assert Decimal(entry["order"]["M"]["total"]["N"]) == Decimal("12.50")


def lambda_stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """DynamoDB Streams records as Lambda passes them to a function: JSON, with their source."""

    def change(dynamodb: dict[str, Any]) -> dict[str, Any]:
        created = dynamodb.get("ApproximateCreationDateTime")
        return {**dynamodb, "ApproximateCreationDateTime": created.timestamp()} if hasattr(created, "timestamp") else dynamodb

    return {
        "Records": [
            {
                "eventID": r["eventID"],
                "eventName": r["eventName"],
                "eventVersion": r.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": REGION,
                "dynamodb": change(r["dynamodb"]),
                "eventSourceARN": stream_arn,
            }
            for r in records
        ]
    }


def test_the_sync_function_copies_an_order_into_the_archive(aws: Deployment) -> None:
    order = new_order(aws)
    result = run_deployed(aws, "orders-sync", [{"customer": order["customer"], "id": order["id"]}])
    (answer,) = result["answers"]
    assert answer["archived"] is True
    assert [(c["action"], c["resource"]) for c in result["calls"]] == [("dynamodb:GetItem", ORDERS_ARN), ("dynamodb:PutItem", ARCHIVE_ARN)]
    snapshots = [e for e in archive_entries(aws, order["pk"]) if e["source"] == {"S": "orders-sync"}]
    assert [e["sk"]["S"] for e in snapshots] == [answer["sk"]]


def test_the_queue_is_read_with_the_intake_functions_deployed_policy(polled: Polled) -> None:
    assert polled.queue_calls == [("sqs:ReceiveMessage", QUEUE_ARN, True)]
    assert [json.loads(m["Body"]) for m in polled.messages] == [polled.message_order]


def test_the_intake_function_stores_the_orders_received_from_the_queue(aws: Deployment, polled: Polled) -> None:
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": REGION,
            }
            for m in polled.messages
        ]
    }
    result = run_deployed(aws, "orders-intake", [event])
    assert result["answers"] == [{"batchItemFailures": []}]
    assert {(c["action"], c["resource"]) for c in result["calls"]} == {("dynamodb:PutItem", ORDERS_ARN)}
    customer, order_id = polled.message_order["customer"], polled.message_order["id"]
    item = aws.client("dynamodb").get_item(TableName="Orders", Key={"pk": {"S": f"CUSTOMER#{customer}"}, "sk": {"S": f"ORDER#{order_id}"}})["Item"]
    assert (item["status"]["S"], Decimal(item["total"]["N"])) == ("received", Decimal("7.25"))
    # Then the poller deletes the batch it delivered, with the function's role.
    session, enforcer = enforced_session(aws, "orders-intake")
    poller = session.client("sqs", endpoint_url=aws.env["AWS_ENDPOINT_URL"])
    for message in polled.messages:
        poller.delete_message(QueueUrl=polled.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert [(c.action, c.resource, c.allowed) for c in enforcer.calls] == [("sqs:DeleteMessage", QUEUE_ARN, True)] * len(polled.messages)


def test_the_http_function_answers_an_order_by_id(aws: Deployment) -> None:
    order = new_order(aws)
    event = {"version": "2.0", "rawPath": "/", "queryStringParameters": {"customer": order["customer"], "id": order["id"]}, "requestContext": {"http": {"method": "GET"}}}
    result = run_deployed(aws, "orders-http", [event])
    (answer,) = result["answers"]
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["order"]["order_id"] == order["id"]


def test_a_write_the_http_functions_policy_does_not_allow_is_refused_as_aws_refuses_it(aws: Deployment) -> None:
    session, _ = enforced_session(aws, "orders-http")
    dynamodb = session.client("dynamodb", endpoint_url=aws.env["AWS_ENDPOINT_URL"])
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName="Orders", Item={"pk": {"S": "CUSTOMER#x"}, "sk": {"S": "ORDER#x"}})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert refused.value.response["Error"]["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/orders-http-role/orders-http is not authorized to perform: "
        f"dynamodb:PutItem on resource: {ORDERS_ARN} because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert "Item" not in aws.client("dynamodb").get_item(TableName="Orders", Key={"pk": {"S": "CUSTOMER#x"}, "sk": {"S": "ORDER#x"}})


def test_destroy_leaves_nothing_behind(deployment: Deployment) -> None:
    dynamodb = deployment.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        if dynamodb.describe_table(TableName=table)["Table"].get("DeletionProtectionEnabled"):
            dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color")
    assert dynamodb.list_tables()["TableNames"] == []
    assert [r["RoleName"] for r in deployment.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("orders-")] == []
    assert deployment.client("iam").list_policies(Scope="Local")["Policies"] == []
    assert deployment.client("lambda").list_functions()["Functions"] == []
    assert deployment.client("lambda").list_event_source_mappings()["EventSourceMappings"] == []
    assert deployment.client("sqs").list_queues().get("QueueUrls", []) == []
    assert deployment.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"] == []
