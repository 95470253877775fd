"""The pytest plugin (``lambda_dynamodb.testing``): its example file, and each of its parts.

The example (examples/orders-service/tests/test_orders_policy.py) runs as a consumer runs it:
pytest in a process of its own, in the example's folder; then once more in a copy whose
``orders-sync`` is granted more than its code needs, where its AccessDenied test must fail.
The parts are tested on a small stack written by hand (no synthesis): references, statements,
the tables and queue it creates in moto's server, functions run from their zips, the poller,
synthesis, the fixtures (pytester), and the Terraform validity check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from lambda_dynamodb.testing.emulated import EmulatedStack
from lambda_dynamodb.testing.emulator import Emulator
from lambda_dynamodb.testing.provision import queue_attributes, table_arguments
from lambda_dynamodb.testing.references import READABLE_TARGET, Target, UnresolvedReference, readable, resolve
from lambda_dynamodb.testing.stack import StackError, SynthesizedApp, SynthesizedStack
from lambda_dynamodb.testing.statements import PolicyUnreadable, find_statements, role_policies
from lambda_dynamodb.testing.synthesize import SynthesisFailed, synthesize
from lambda_dynamodb.testing.terraform_cli import has_mirror
from lambda_dynamodb.testing.validity import TerraformInvalid, assert_valid_terraform

from conftest import PROJECT_DIR

pytest_plugins = ["pytester"]

EXAMPLE_DIR = PROJECT_DIR / "examples" / "orders-service"
ACCOUNT, REGION = "123456789012", "eu-west-1"
TARGET = Target("aws", REGION, ACCOUNT)
ITEMS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Items"
ARN_PREFIX = "arn:${data.aws_partition.p.partition}:dynamodb:${data.aws_region.r.name}:${data.aws_caller_identity.a.account_id}"

# --- the example file, as a consumer runs it ---------------------------------------------------


def run_example_tests(folder: Path, junit: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    command = [sys.executable, "-m", "pytest", "tests/test_orders_policy.py", "-p", "no:cacheprovider", f"--junitxml={junit}", *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def outcomes(junit: Path) -> dict[str, str]:
    """Test name -> passed, failed, error or skipped, from pytest's JUnit XML."""
    found = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        kinds = [{"failure": "failed", "error": "error", "skipped": "skipped"}[c.tag] for c in case if c.tag in ("failure", "error", "skipped")]
        found[case.get("name", "")] = kinds[0] if kinds else "passed"
    return found


def test_the_example_test_file_passes_in_the_examples_folder(tmp_path: Path) -> None:
    run = run_example_tests(EXAMPLE_DIR, tmp_path / "junit.xml")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert outcomes(tmp_path / "junit.xml") == {
        "test_the_sync_function_reads_orders_and_writes_the_archive_only": "passed",
        "test_the_stream_function_may_read_the_orders_stream_and_write_the_archive": "passed",
        "test_the_http_function_only_reads": "passed",
        "test_a_call_the_policy_does_not_allow_fails_with_aws_access_denied": "passed",
        "test_the_stream_function_archives_the_records_of_the_real_stream": "passed",
        "test_the_intake_function_stores_the_orders_of_its_queue": "passed",
        "test_the_sync_function_copies_an_order_into_the_archive": "passed",
    }


def test_the_access_denied_test_fails_when_the_policy_allows_the_call(tmp_path: Path) -> None:
    """A copy of the example whose orders-sync may read Archive too: the denial is gone, so the test fails."""
    copy = tmp_path / "orders-service"
    shutil.copytree(EXAMPLE_DIR, copy, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__", "*.tfstate*"))
    main = copy / "main.py"
    granted = 'sync.use(archive, access=Access.FROM_CODE, env="ARCHIVE_TABLE")'
    assert granted in main.read_text()
    main.write_text(main.read_text().replace(granted, 'sync.use(archive, access=Access.READ_WRITE, env="ARCHIVE_TABLE")'))
    run = run_example_tests(copy, tmp_path / "junit.xml", "-k", "access_denied")
    assert run.returncode == 1, run.stdout[-4000:] + run.stderr[-2000:]
    assert outcomes(tmp_path / "junit.xml") == {"test_a_call_the_policy_does_not_allow_fails_with_aws_access_denied": "failed"}
    # The assertion that failed is the denial's: none came, where AWS's message was expected.
    assert "assert result.denials == [SYNC_READING_ARCHIVE]\nE       AssertionError: assert [] == ['User: arn:a" in run.stdout
    assert "Right contains one more item: 'User: arn:aws:sts::123456789012:assumed-role/orders-sync-role/orders-sync is not authorized" in run.stdout


# --- a stack written by hand -------------------------------------------------------------------

HANDLER = '''
import json, os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    if "raise" in event:
        raise ValueError(event["raise"])
    if "env" in event:
        return {name: os.environ.get(name) for name in event["env"]}
    if "Records" in event and event["Records"][0].get("eventSource") == "aws:sqs":
        failures = []
        for record in event["Records"]:
            body = json.loads(record["body"])
            if body.get("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
            else:
                table.put_item(Item={"pk": body["pk"], "sk": "job"})
        return {"batchItemFailures": failures}
    if "delete" in event:
        table.delete_item(Key=event["delete"])
    if "own_session" in event:  # a client of a session of its own: enforced all the same
        boto3.session.Session().client("dynamodb").delete_item(TableName=os.environ["TABLE"], Key=event["own_session"])
    return {"item": table.get_item(Key=event["key"]).get("Item"), "module": __file__}
'''


def shop_stack_json() -> dict[str, Any]:
    """Two functions: ``worker`` (attached policy, queue mapping), ``reader`` (inline policy, stream mapping)."""
    table_arn = "${aws_dynamodb_table.items.arn}"
    return {
        "provider": {"aws": [{"region": REGION}]},
        "data": {
            "aws_partition": {"p": {}},
            "aws_region": {"r": {}},
            "aws_caller_identity": {"a": {}},
            "aws_iam_policy_document": {
                "worker": {
                    "statement": [
                        {"effect": "Allow", "actions": ["dynamodb:GetItem", "dynamodb:Query"], "resources": [table_arn, f"{table_arn}/index/*"]},
                        {"actions": ["dynamodb:PutItem"], "resources": [f"{ARN_PREFIX}:table/Items"]},
                        {"actions": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "resources": ["${aws_sqs_queue.jobs.arn}"]},
                        {
                            # Conditioned: the enforcer cannot know the condition, so it never allows.
                            "effect": "Allow",
                            "not_actions": ["iam:*"],
                            "resources": ["*"],
                            "condition": [{"test": "StringEquals", "variable": "aws:RequestedRegion", "values": [REGION]}],
                        },
                    ]
                }
            },
        },
        "resource": {
            "aws_dynamodb_table": {
                "items": {
                    "name": "Items",
                    "hash_key": "pk",
                    "range_key": "sk",
                    "attribute": [{"name": "pk", "type": "S"}, {"name": "sk", "type": "S"}, {"name": "owner", "type": "S"}],
                    "billing_mode": "PAY_PER_REQUEST",
                    "global_secondary_index": [{"name": "byOwner", "hash_key": "owner", "projection_type": "KEYS_ONLY"}],
                    "stream_enabled": True,
                    "stream_view_type": "NEW_IMAGE",
                    "deletion_protection_enabled": True,
                }
            },
            "aws_sqs_queue": {"jobs": {"name": "jobs", "visibility_timeout_seconds": 60, "sqs_managed_sse_enabled": True}},
            "aws_iam_role": {"worker": {"name": "worker-role"}, "reader": {"name": "reader-role", "path": "/"}},
            "aws_iam_policy": {"worker": {"name": "worker-policy", "policy": "${data.aws_iam_policy_document.worker.json}"}},
            "aws_iam_role_policy_attachment": {
                "worker": {"role": "${aws_iam_role.worker.name}", "policy_arn": "${aws_iam_policy.worker.arn}"},
                "reader_basic": {"role": "reader-role", "policy_arn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
            },
            "aws_iam_role_policy": {
                "reader": {
                    "name": "reader-inline",
                    "role": "${aws_iam_role.reader.id}",
                    "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": f"{table_arn}"}]}),
                }
            },
            "aws_lambda_function": {
                "worker": {
                    "function_name": "worker",
                    "handler": "handler.handler",
                    "runtime": "python3.11",
                    "role": "${aws_iam_role.worker.arn}",
                    "filename": "assets/code.zip",
                    "timeout": 5,
                    "environment": {"variables": {"TABLE": "${aws_dynamodb_table.items.name}", "QUEUE": "${aws_sqs_queue.jobs.url}", "STREAM": "${aws_dynamodb_table.items.stream_arn}"}},
                },
                "reader": {
                    "function_name": "reader",
                    "handler": "handler.handler",
                    "role": "${aws_iam_role.reader.arn}",
                    "filename": "assets/code.zip",
                    "environment": {"variables": {"TABLE": "${aws_dynamodb_table.items.name}", "KEY": "${aws_kms_key.k.arn}"}},
                },
            },
            "aws_lambda_event_source_mapping": {
                "jobs": {"event_source_arn": "${aws_sqs_queue.jobs.arn}", "function_name": "${aws_lambda_function.worker.function_name}", "batch_size": 5},
                "items": {"event_source_arn": "${aws_dynamodb_table.items.stream_arn}", "function_name": "reader", "starting_position": "TRIM_HORIZON"},
            },
        },
    }


def write_stack(outdir: Path, name: str = "shop", document: dict[str, Any] | None = None) -> Path:
    stack_dir = outdir / "stacks" / name
    (stack_dir / "assets").mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(document or shop_stack_json()))
    with zipfile.ZipFile(stack_dir / "assets" / "code.zip", "w") as bundle:
        bundle.writestr("handler.py", HANDLER)
    return stack_dir


@pytest.fixture()
def shop(tmp_path: Path) -> SynthesizedStack:
    return SynthesizedStack(write_stack(tmp_path / "cdktf.out"))


# --- references --------------------------------------------------------------------------------


def test_a_tables_arn_and_name_resolve_from_its_configuration() -> None:
    stack = shop_stack_json()
    assert resolve("${aws_dynamodb_table.items.arn}/index/*", stack, TARGET) == f"{ITEMS_ARN}/index/*"
    assert resolve("${aws_dynamodb_table.items.name}", stack, TARGET) == "Items"


def test_the_partition_region_and_account_data_sources_resolve_to_the_target() -> None:
    assert resolve(f"{ARN_PREFIX}:table/Items", shop_stack_json(), TARGET) == ITEMS_ARN


def test_a_value_only_the_service_knows_resolves_once_known() -> None:
    stack = shop_stack_json()
    with pytest.raises(UnresolvedReference, match=r"aws_dynamodb_table's stream_arn is known only once the resource exists"):
        resolve("${aws_dynamodb_table.items.stream_arn}", stack, TARGET)
    known = Target("aws", REGION, ACCOUNT, {"aws_dynamodb_table.items.stream_arn": f"{ITEMS_ARN}/stream/label"})
    assert resolve("${aws_dynamodb_table.items.stream_arn}", stack, known) == f"{ITEMS_ARN}/stream/label"


def test_a_reference_to_a_resource_the_stack_lacks_is_named() -> None:
    with pytest.raises(UnresolvedReference, match=r"\$\{aws_sqs_queue\.other\.arn\}: the stack has no resource aws_sqs_queue\.other"):
        resolve("${aws_sqs_queue.other.arn}", shop_stack_json(), TARGET)


def test_an_expression_is_not_evaluated() -> None:
    with pytest.raises(UnresolvedReference, match="not a plain reference"):
        resolve('${jsonencode({"a" = 1})}', shop_stack_json(), TARGET)


def test_a_policy_resource_only_terraform_knows_stays_as_written_and_allows_nothing(tmp_path: Path) -> None:
    document = shop_stack_json()
    statements = document["data"]["aws_iam_policy_document"]["worker"]["statement"]
    statements.append({"actions": ["kms:Decrypt"], "resources": ["${aws_kms_key.k.arn}"]})
    stack = SynthesizedStack(write_stack(tmp_path / "cdktf.out", document=document))
    ((_, policy),) = stack.policy_documents("worker")
    assert policy["Statement"][-1] == {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["${aws_kms_key.k.arn}"]}
    assert not stack.allows("worker", "kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234")


def test_an_escaped_interpolation_is_literal_text() -> None:
    assert resolve("$${aws:username}", shop_stack_json(), TARGET) == "${aws:username}"


def test_readable_forms_name_the_resource_without_tokens() -> None:
    stack = shop_stack_json()
    assert readable("${aws_dynamodb_table.items.arn}/index/*", stack) == "table/Items/index/*"
    assert readable(f"{ARN_PREFIX}:table/Items/stream/*", stack) == "table/Items/stream/*"
    assert readable("${aws_sqs_queue.jobs.arn}", stack) == "jobs"
    assert readable("${aws_dynamodb_table.items.stream_arn}", stack) == "table/Items/stream/<label>"
    assert readable("*", stack) == "*"


def test_readable_keeps_another_accounts_arn_and_an_unknown_reference_whole() -> None:
    stack = shop_stack_json()
    other = "arn:aws:dynamodb:us-east-1:999999999999:table/Theirs"
    assert readable(other, stack, own=Target("aws", REGION, READABLE_TARGET.account)) == other
    assert readable("${aws_kms_key.k.arn}", stack) == "${aws_kms_key.k.arn}"


# --- statements --------------------------------------------------------------------------------


def test_a_policy_document_data_source_becomes_iam_json() -> None:
    (worker,) = role_policies(shop_stack_json(), "worker-role")
    assert (worker.name, worker.address) == ("worker-policy", "aws_iam_policy.worker")
    assert worker.statements[0] == {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": ["${aws_dynamodb_table.items.arn}", "${aws_dynamodb_table.items.arn}/index/*"],
    }
    assert worker.statements[3] == {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": ["*"], "Condition": {"StringEquals": {"aws:RequestedRegion": [REGION]}}}


def test_an_inline_policy_of_a_role_named_by_id_is_read_from_its_json() -> None:
    (inline,) = role_policies(shop_stack_json(), "reader-role")
    assert (inline.name, inline.statements) == ("reader-inline", ({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "${aws_dynamodb_table.items.arn}"},))


def test_a_managed_policy_from_outside_the_stack_is_listed_not_read(shop: SynthesizedStack) -> None:
    reader = shop.function("reader")
    assert reader.external_policies == ("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",)
    assert [p.name for p in reader.policies] == ["reader-inline"]


def test_a_policy_written_as_an_expression_is_refused_when_used_with_the_way_out(tmp_path: Path) -> None:
    document = shop_stack_json()
    document["resource"]["aws_iam_policy"]["worker"]["policy"] = '${jsonencode({"Statement" = []})}'
    stack = SynthesizedStack(write_stack(tmp_path / "cdktf.out", document=document))
    with pytest.raises(PolicyUnreadable, match=r"aws_iam_policy\.worker.s policy .* \(write the policy as a DataAwsIamPolicyDocument\)"):
        stack.statements("worker")
    assert stack.allows("reader", "dynamodb:GetItem", "Items")  # the other function's policy is read


def test_statements_show_the_resources_they_name(shop: SynthesizedStack) -> None:
    assert shop.statements("worker")[:3] == [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": ["table/Items", "table/Items/index/*"]},
        {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": ["table/Items"]},
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "Resource": ["jobs"]},
    ]


def test_matching_takes_statements_holding_at_least_what_it_names(shop: SynthesizedStack) -> None:
    assert shop.statements("worker", {"Action": ["dynamodb:Query"], "Resource": ["table/Items/index/*"]}) == [shop.statements("worker")[0]]
    assert shop.statements("worker", {"Action": ["dynamodb:Query", "dynamodb:PutItem"]}) == []
    assert find_statements([{"Effect": "Deny", "Action": ["x:Y"]}], {"Effect": "Deny"}) == [{"Effect": "Deny", "Action": ["x:Y"]}]


def test_allows_evaluates_a_table_name_a_readable_form_and_an_arn(shop: SynthesizedStack) -> None:
    assert shop.allows("worker", "dynamodb:Query", "table/Items/index/byOwner")
    assert shop.allows("worker", "dynamodb:GetItem", "Items")
    assert shop.allows("worker", "sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")
    assert not shop.allows("worker", "dynamodb:DeleteItem", "Items")
    assert not shop.allows("reader", "dynamodb:Query", "Items")


def test_an_unknown_function_is_refused_with_the_stacks_functions(shop: SynthesizedStack) -> None:
    with pytest.raises(StackError, match=r"stack shop has no function named 'writer' \(its functions: reader, worker\)"):
        shop.statements("writer")


def test_an_app_of_two_stacks_needs_a_stack_name(tmp_path: Path) -> None:
    write_stack(tmp_path / "out", "one")
    write_stack(tmp_path / "out", "two")
    app = SynthesizedApp(tmp_path / "out")
    with pytest.raises(StackError, match=r"has more than one stack: name one \(its stacks: one, two\)"):
        app.stack()
    assert app.stack("two").name == "two"


def test_a_folder_without_stacks_says_to_synthesize(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="no synthesized stack .*: run cdktf synth first"):
        SynthesizedApp(tmp_path).stack()


def test_a_stack_without_a_permissions_manifest_has_none(shop: SynthesizedStack) -> None:
    assert shop.manifest is None


def test_the_permissions_manifest_is_read_by_the_manifest_reader(shop: SynthesizedStack) -> None:
    from lambda_dynamodb.synthesis.manifest import ManifestError

    (shop.dir / "lambda-dynamodb.permissions.json").write_text(json.dumps({"schema": "something-else"}))
    with pytest.raises(ManifestError, match="schema 'something-else' is not 'lambda-dynamodb.permissions'"):
        shop.manifest


# --- what the emulator gets --------------------------------------------------------------------


def test_create_table_arguments_follow_the_tables_configuration() -> None:
    arguments = table_arguments(shop_stack_json()["resource"]["aws_dynamodb_table"]["items"])
    assert arguments["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert arguments["GlobalSecondaryIndexes"] == [
        {"IndexName": "byOwner", "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}
    ]
    assert (arguments["BillingMode"], arguments["StreamSpecification"]) == ("PAY_PER_REQUEST", {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    assert "DeletionProtectionEnabled" not in arguments


def test_a_provisioned_tables_indexes_get_throughput() -> None:
    config = {"name": "T", "hash_key": "pk", "attribute": [{"name": "pk", "type": "S"}], "read_capacity": 5, "write_capacity": 2}
    config["local_secondary_index"] = [{"name": "l", "range_key": "pk", "projection_type": "INCLUDE", "non_key_attributes": ["a"]}]
    arguments = table_arguments(config)
    assert arguments["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    assert arguments["LocalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}


def test_queue_attributes_are_the_literal_ones() -> None:
    config = {"name": "q.fifo", "fifo_queue": True, "delay_seconds": 3, "redrive_policy": "${jsonencode({})}", "kms_master_key_id": "${aws_kms_key.k.id}"}
    assert queue_attributes(config) == {"FifoQueue": "true", "DelaySeconds": "3"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    running = Emulator.in_process(REGION)
    yield running
    running.stop()


@pytest.fixture()
def aws(shop: SynthesizedStack, emulator: Emulator) -> Iterator[EmulatedStack]:
    with EmulatedStack(shop, emulator) as stack:
        yield stack


def test_the_stacks_table_and_queue_exist_while_the_test_runs(aws: EmulatedStack) -> None:
    table = aws.client("dynamodb").describe_table(TableName="Items")["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byOwner"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=aws.queues["aws_sqs_queue.jobs"], AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes == {"VisibilityTimeout": "60"}


def test_the_stacks_resources_are_deleted_after_the_test(shop: SynthesizedStack, emulator: Emulator) -> None:
    with EmulatedStack(shop, emulator):
        pass
    assert "Items" not in emulator.client("dynamodb", REGION).list_tables()["TableNames"]
    assert emulator.client("sqs", REGION).list_queues().get("QueueUrls", []) == []


def test_the_functions_environment_names_the_created_resources(aws: EmulatedStack) -> None:
    result = aws.invoke("worker", [{"env": ["TABLE", "QUEUE", "STREAM", "AWS_LAMBDA_FUNCTION_NAME", "AWS_ENDPOINT_URL"]}])
    stream_arn = aws.client("dynamodb").describe_table(TableName="Items")["Table"]["LatestStreamArn"]
    assert result.answers == [
        {"TABLE": "Items", "QUEUE": aws.queues["aws_sqs_queue.jobs"], "STREAM": stream_arn, "AWS_LAMBDA_FUNCTION_NAME": "worker", "AWS_ENDPOINT_URL": aws.emulator.url}
    ]


def test_a_variable_nothing_can_resolve_must_be_given(aws: EmulatedStack) -> None:
    with pytest.raises(StackError, match=r"reader's variable KEY: .*aws_kms_key\.k.*; pass environment=\{'KEY': \.\.\.\} to invoke"):
        aws.invoke("reader", [{"env": ["KEY"]}])
    assert aws.invoke("reader", [{"env": ["KEY"]}], environment={"KEY": "given"}).answers == [{"KEY": "given"}]


def test_the_handler_runs_from_the_package(aws: EmulatedStack) -> None:
    aws.table("Items").put_item(Item={"pk": "a", "sk": "b"})
    result = aws.invoke("worker", [{"key": {"pk": "a", "sk": "b"}}])
    (answer,) = result.answers
    assert answer["item"] == {"pk": "a", "sk": "b"} and answer["module"].endswith("/code/handler.py")
    assert result.packaged == ["handler"]
    assert result.calls == [{"operation": "GetItem", "action": "dynamodb:GetItem", "resource": ITEMS_ARN, "allowed": True}]


def test_a_call_the_policy_does_not_allow_is_refused_with_aws_message(aws: EmulatedStack) -> None:
    result = aws.invoke("worker", [{"delete": {"pk": "a", "sk": "b"}, "key": {"pk": "a", "sk": "b"}}])
    message = (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/worker-role/worker is not authorized to perform: dynamodb:DeleteItem "
        f"on resource: {ITEMS_ARN} because no identity-based policy allows the dynamodb:DeleteItem action"
    )
    assert result.denials == [message]
    assert result.errors[0]["errorMessage"] == f"An error occurred (AccessDeniedException) when calling the DeleteItem operation: {message}"


def test_a_client_of_a_session_the_code_makes_is_enforced_too(aws: EmulatedStack) -> None:
    result = aws.invoke("worker", [{"own_session": {"pk": {"S": "a"}, "sk": {"S": "b"}}}])
    assert [c["action"] for c in result.calls] == ["dynamodb:DeleteItem"] and len(result.denials) == 1


def test_a_handler_that_raises_answers_as_lambda_does_and_the_next_event_runs(aws: EmulatedStack) -> None:
    result = aws.invoke("worker", [{"raise": "boom"}, {"env": ["TABLE"]}])
    assert result.answers[0]["errorType"] == "ValueError" and result.answers[0]["errorMessage"] == "boom"
    assert result.errors == [{**result.answers[0], "event": 0}]
    assert result.answers[1] == {"TABLE": "Items"}


def test_deliver_deletes_the_handled_messages_and_keeps_the_failures(aws: EmulatedStack) -> None:
    sqs = aws.client("sqs")
    for body in ({"pk": "ok"}, {"pk": "bad", "fail": True}):
        sqs.send_message(QueueUrl=aws.queues["aws_sqs_queue.jobs"], MessageBody=json.dumps(body))
    result = aws.deliver("worker")
    (answer,) = result.answers
    assert len(answer["batchItemFailures"]) == 1 and result.denials == []
    assert aws.table("Items").get_item(Key={"pk": "ok", "sk": "job"})["Item"] == {"pk": "ok", "sk": "job"}
    counts = sqs.get_queue_attributes(QueueUrl=aws.queues["aws_sqs_queue.jobs"], AttributeNames=["All"])["Attributes"]
    # The handled message is gone; the failed one is still in flight, to be received again.
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")


def test_poll_refuses_a_role_that_may_not_read_its_stream(aws: EmulatedStack) -> None:
    aws.table("Items").put_item(Item={"pk": "a", "sk": "1"})
    # reader's role may not read the stream: its mapping could not either.
    with pytest.raises(ClientError, match="reader-role/reader is not authorized to perform: dynamodb:DescribeStream"):
        aws.poll("reader")


def test_poll_gives_each_stream_record_once_in_batches(tmp_path: Path, emulator: Emulator) -> None:
    document = shop_stack_json()
    # reader may now read the stream: the same stack with the read statement added to its inline policy.
    inline = json.loads(document["resource"]["aws_iam_role_policy"]["reader"]["policy"])
    inline["Statement"].append({"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"], "Resource": "*"})
    document["resource"]["aws_iam_role_policy"]["reader"]["policy"] = json.dumps(inline)
    document["resource"]["aws_lambda_event_source_mapping"]["items"]["batch_size"] = 1
    stack = SynthesizedStack(write_stack(tmp_path / "cdktf.out", document=document))
    with EmulatedStack(stack, emulator) as aws:
        aws.table("Items").put_item(Item={"pk": "a", "sk": "1", "data": b"\x00"})
        aws.table("Items").put_item(Item={"pk": "a", "sk": "2"})
        events = aws.poll("reader")
        assert [[r["dynamodb"]["Keys"]["sk"]["S"] for r in e["Records"]] for e in events] == [["1"], ["2"]]
        first = events[0]["Records"][0]
        assert (first["eventSource"], first["awsRegion"]) == ("aws:dynamodb", REGION)
        assert first["eventSourceARN"] == aws.client("dynamodb").describe_table(TableName="Items")["Table"]["LatestStreamArn"]
        assert first["dynamodb"]["NewImage"]["data"] == {"B": "AA=="} and isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
        assert aws.poll("reader") == []


# --- synthesis ---------------------------------------------------------------------------------

FAKE_MAIN = """
import json, os, pathlib
out = pathlib.Path(os.environ["CDKTF_OUTDIR"]) / "stacks" / "fake"
out.mkdir(parents=True)
(out / "cdk.tf.json").write_text(json.dumps({"context": json.loads(os.environ.get("CDKTF_CONTEXT_JSON", "null"))}))
"""


def test_a_main_py_is_run_with_the_outdir_and_cdktf_json_context(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(FAKE_MAIN)
    (tmp_path / "app" / "cdktf.json").write_text(json.dumps({"app": "python main.py", "context": {"region": "eu-west-1"}}))
    app = synthesize(tmp_path / "app" / "main.py", tmp_path / "out")
    assert app.stack().json == {"context": {"region": "eu-west-1"}}


def test_a_cdktf_json_runs_its_app_command(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(FAKE_MAIN)
    (tmp_path / "cdktf.json").write_text(json.dumps({"app": f"{sys.executable} main.py"}))
    assert synthesize(tmp_path, tmp_path / "out").stack().name == "fake"


def test_a_callable_builds_the_app_for_the_outdir(tmp_path: Path) -> None:
    def build(outdir: Path) -> None:
        write_stack(outdir, "built")

    assert synthesize(build, tmp_path / "out").stack().name == "built"


def test_an_app_that_fails_shows_its_output(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import sys\nprint('error: the table name is invalid', file=sys.stderr)\nsys.exit(2)\n")
    with pytest.raises(SynthesisFailed, match=r"python main.py \(in .*\) failed with exit 2:\nerror: the table name is invalid"):
        synthesize(tmp_path / "main.py", tmp_path / "out")


def test_an_app_that_writes_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SynthesisFailed, match="wrote no stack into .*: does it build its App with that outdir"):
        synthesize(lambda outdir: None, tmp_path / "out")


# --- the plugin --------------------------------------------------------------------------------


def test_the_guide_holds_the_example_files_as_they_are() -> None:
    guide = (PROJECT_DIR / "docs" / "testing-plugin.md").read_text()
    for name in ("conftest.py", "test_orders_policy.py"):
        assert f"```python\n{(EXAMPLE_DIR / 'tests' / name).read_text()}```" in guide, name


def test_the_plugin_is_registered_for_pytest() -> None:
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="pytest11") if e.name == "lambda_dynamodb"] == ["lambda_dynamodb.testing.plugin"]


def test_importing_the_plugin_loads_neither_cdktf_nor_moto_nor_boto3() -> None:
    code = "import sys, lambda_dynamodb.testing.plugin; print(sorted(m for m in ('cdktf', 'jsii', 'moto', 'boto3', 'botocore') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PROJECT_DIR)
    assert (run.returncode, run.stdout.strip()) == (0, "[]"), run.stderr


def test_without_an_app_the_fixtures_say_how_to_name_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(synthesized_stack):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*do not know the app to synthesize: define a fixture `lambda_dynamodb_app` in conftest.py*"])


def test_the_app_fixture_synthesizes_once_for_the_session(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("main.py").write_text(FAKE_MAIN + "\nprint('synthesized', file=open('runs.txt', 'a'))\n")
    pytester.makeconftest("import pytest, pathlib\n@pytest.fixture(scope='session')\ndef lambda_dynamodb_app():\n    return pathlib.Path(__file__).parent / 'main.py'\n")
    pytester.makepyfile("def test_one(synthesized_stack):\n    assert synthesized_stack.name == 'fake'\n\ndef test_two(synthesized):\n    assert list(synthesized.stacks) == ['fake']\n")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    assert pytester.path.joinpath("runs.txt").read_text() == "synthesized\n"


def test_an_outdir_given_is_used_without_synthesizing(pytester: pytest.Pytester, tmp_path: Path) -> None:
    write_stack(tmp_path / "cdktf.out")
    pytester.makepyfile("def test_it(synthesized_stack):\n    assert synthesized_stack.allows('worker', 'dynamodb:PutItem', 'Items')\n")
    pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--lambda-dynamodb-outdir={tmp_path / 'cdktf.out'}").assert_outcomes(passed=1)


def test_an_emulator_endpoint_given_is_used(pytester: pytest.Pytester, tmp_path: Path, emulator: Emulator) -> None:
    write_stack(tmp_path / "cdktf.out")
    pytester.makepyfile(
        f"def test_it(emulated_stack):\n    assert emulated_stack.emulator.url == {emulator.url!r}\n"
        "    emulated_stack.table('Items').put_item(Item={'pk': 'from', 'sk': 'inside'})\n"
        "    assert 'Items' in emulated_stack.emulator.client('dynamodb', 'eu-west-1').list_tables()['TableNames']\n"
    )
    args = ("-p", "no:cacheprovider", f"--lambda-dynamodb-outdir={tmp_path / 'cdktf.out'}", f"--lambda-dynamodb-endpoint={emulator.url}")
    pytester.runpytest_inprocess(*args).assert_outcomes(passed=1)
    assert "Items" not in emulator.client("dynamodb", REGION).list_tables()["TableNames"]  # deleted after the test


def test_the_terraform_cli_config_fixture_points_at_the_mirror(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(terraform_cli_config):\n    print('CONFIG', terraform_cli_config.read_text())\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    expected = "*filesystem_mirror*" if has_mirror() else "*direct {}*"
    result.stdout.fnmatch_lines([expected])


# --- Terraform validity ------------------------------------------------------------------------


def terraform_stack(tmp_path: Path, resources: dict[str, Any], providers: dict[str, Any] | None = None) -> Path:
    stack_dir = tmp_path / "stacks" / "tf"
    stack_dir.mkdir(parents=True)
    required = providers or {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}
    document = {"terraform": {"required_providers": required}, "provider": {"aws": [{"region": REGION}]}, "resource": resources}
    (stack_dir / "cdk.tf.json").write_text(json.dumps(document))
    return stack_dir


@pytest.mark.terraform
def test_a_valid_stack_passes_and_nothing_is_written_into_it(tmp_path: Path) -> None:
    stack_dir = terraform_stack(tmp_path, {"aws_sqs_queue": {"q": {"name": "q"}}})
    assert assert_valid_terraform(stack_dir)["valid"] is True
    assert sorted(p.name for p in stack_dir.iterdir()) == ["cdk.tf.json"]


@pytest.mark.terraform
def test_an_invalid_stack_fails_with_terraforms_diagnostics(tmp_path: Path) -> None:
    stack_dir = terraform_stack(tmp_path, {"aws_sqs_queue": {"q": {"name": "q", "colour": "blue"}}})
    with pytest.raises(TerraformInvalid, match=r"is not valid Terraform \(1 error\):\nerror \(cdk\.tf\.json:\d+\): Extraneous JSON object property: No argument or block type is named \"colour\""):
        assert_valid_terraform(stack_dir)


@pytest.mark.terraform
def test_init_failing_gives_its_reason_and_where_providers_come_from(tmp_path: Path) -> None:
    stack_dir = terraform_stack(tmp_path, {}, {"nothing": {"source": "hashicorp/nothing-such", "version": "1.0.0"}})
    with pytest.raises(TerraformInvalid) as failure:
        assert_valid_terraform(stack_dir)
    message = str(failure.value)
    assert message.startswith("terraform init failed in a copy of ") and "hashicorp/nothing-such" in message
    assert ("offline mirror /opt/tf-plugins" if has_mirror() else "No provider mirror at") in message


def test_terraform_missing_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TerraformInvalid, match=r"terraform was not found on PATH: install Terraform >= 1\.5 \(https://developer\.hashicorp\.com"):
        assert_valid_terraform(terraform_stack(tmp_path, {}))
