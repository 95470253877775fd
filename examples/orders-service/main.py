"""The orders service: four functions around two tables, built from the library's constructs.

    Orders (stream: NEW_AND_OLD_IMAGES) --stream--> orders-stream --> Archive
    intake queue (SQS) --> orders-intake --> Orders
    orders-sync: Orders --get--> --put--> Archive   (invoked directly)
    function URL (AWS_IAM) --> orders-http --> Orders (read)

Every function gets its own role and policy, with exactly the calls its code makes on each
table (``Access.FROM_CODE``) or the access level it is given, and what its trigger needs.
``python main.py`` (or ``cdktf synth``) writes ``cdktf.out/stacks/orders-service``; importing
this file synthesizes nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STACK_NAME = "orders-service"
PROJECT_DIR = Path(__file__).resolve().parent
FUNCTIONS = PROJECT_DIR / "functions"
#: The local backend's state file, relative to the stack's folder (<outdir>/stacks/<stack>): it
#: lives beside cdktf.out/, so synthesizing again never loses it.
STATE_PATH = f"../../../terraform.{STACK_NAME}.tfstate"
#: orders-intake's timeout; the queue hides a received message for six times as long, as AWS
#: advises for a Lambda event source (a message must not reappear while a batch still runs).
INTAKE_TIMEOUT_SECONDS = 30
QUEUE_VISIBILITY_SECONDS = 6 * INTAKE_TIMEOUT_SECONDS
#: After this many receives without being deleted, a message goes to the dead-letter queue.
MAX_RECEIVE_COUNT = 5


def region() -> str:
    """The ``region`` of cdktf.json's context."""
    return str(json.loads((PROJECT_DIR / "cdktf.json").read_text())["context"]["region"])


def build_app(outdir: Path) -> Any:
    """An App holding the ``orders-service`` stack; CDKTF and the provider load here, not at import."""
    # lambda_dynamodb first: importing it makes the AWS provider load lazily (~1-2 s instead of ~16 s).
    from lambda_dynamodb import (
        Access,
        Function,
        FunctionSettings,
        FunctionUrl,
        QueueTrigger,
        StreamTrigger,
        StreamViewType,
        Table,
        TableSettings,
    )
    from cdktf import App, Fn, LocalBackend, TerraformOutput, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    app = App(outdir=str(outdir))
    stack = TerraformStack(app, STACK_NAME)
    # Region only: endpoints and credentials come from the environment, so the same JSON
    # deploys to AWS and to a local emulator.
    AwsProvider(stack, "aws", region=region())
    LocalBackend(stack, path=STATE_PATH)

    orders = Table(stack, "orders", TableSettings(name="Orders", stream=StreamViewType.NEW_AND_OLD_IMAGES))
    archive = Table(stack, "archive", TableSettings(name="Archive"))

    # Reads an order from Orders and writes its copy into Archive: GetItem on Orders only,
    # PutItem on Archive only, as its code makes them.
    sync = Function(stack, "sync", FunctionSettings(name="orders-sync", source_dir=FUNCTIONS / "sync"))
    sync.use(orders, access=Access.FROM_CODE)
    sync.use(archive, access=Access.FROM_CODE, env="ARCHIVE_TABLE")

    # Archives every new or changed order, from the Orders stream.
    stream = Function(stack, "stream", FunctionSettings(name="orders-stream", source_dir=FUNCTIONS / "stream"))
    stream.add_trigger(StreamTrigger(orders, starting_position="TRIM_HORIZON", batch_size=100, report_batch_item_failures=True))
    stream.use(archive, access=Access.FROM_CODE, env="ARCHIVE_TABLE")

    # Stores the orders that arrive on the intake queue.
    dead_letters = SqsQueue(
        stack,
        "intake_dead_letters",
        name="orders-intake-dead-letters",
        message_retention_seconds=14 * 24 * 3600,
        sqs_managed_sse_enabled=True,
    )
    queue = SqsQueue(
        stack,
        "intake_queue",
        name="orders-intake",
        visibility_timeout_seconds=QUEUE_VISIBILITY_SECONDS,
        sqs_managed_sse_enabled=True,
        redrive_policy=Fn.jsonencode({"deadLetterTargetArn": dead_letters.arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    )
    intake = Function(
        stack,
        "intake",
        FunctionSettings(name="orders-intake", source_dir=FUNCTIONS / "intake", timeout_seconds=INTAKE_TIMEOUT_SECONDS),
    )
    intake.add_trigger(QueueTrigger(queue_arn=queue.arn, batch_size=10, report_batch_item_failures=True))
    intake.use(orders, access=Access.FROM_CODE)

    # The orders API: reads Orders, behind a function URL that needs SigV4 (AWS_IAM).
    http = Function(stack, "http", FunctionSettings(name="orders-http", source_dir=FUNCTIONS / "http"))
    http.use(orders, access=Access.READ)
    url = http.add_url(FunctionUrl())

    TerraformOutput(stack, "orders_table", value=orders.name)
    TerraformOutput(stack, "orders_stream_arn", value=orders.stream_arn)
    TerraformOutput(stack, "archive_table", value=archive.name)
    TerraformOutput(stack, "intake_queue_url", value=queue.url)
    TerraformOutput(stack, "orders_url", value=url.url)
    for function in (sync, stream, intake, http):
        TerraformOutput(stack, f"{function.node.id}_function_arn", value=function.arn)
    return app


def functions(app: Any) -> list[Any]:
    """The stack's functions (``Function`` constructs), in the order they were built."""
    from lambda_dynamodb import Function

    return [child for child in app.node.find_child(STACK_NAME).node.children if isinstance(child, Function)]


def main() -> int:
    from lambda_dynamodb.synthesis.app import synth_app

    return synth_app(build_app, PROJECT_DIR / "cdktf.out")


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.exit(main())
