"""Each task_result_id handled once, and its outcome recorded: in memory (local server) or DynamoDB (Lambda).

HCP Terraform retries a request it got no 200 for, so the same task result may arrive twice:
the first :meth:`claim` wins, later ones are answered 200 and nothing more is done. A claim
whose hand-over to the worker failed is :meth:`released` (marked ``unqueued``) so that the
retry may claim it again. :meth:`finish` records the review's outcome (history).

The DynamoDB table's partition key is ``task_result_id`` (S). Its calls are plain boto3 client
calls with the table name from ``LAMBDA_DYNAMODB_RUN_TASK_TABLE``, written so that the module's
code analysis (``lambda-dynamodb code-calls``) finds them: PutItem and UpdateItem on that table,
which is what a ``from_code`` grant gives the function. boto3 is imported on first use only:
it comes with Lambda's runtime and the local server never needs it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from lambda_dynamodb.run_task.protocol import TaskRequest

ACCEPTED = "accepted"
#: The worker has started on it: a second delivery of the same queued request is skipped.
REVIEWING = "reviewing"
#: A claim whose request never reached the worker: it may be claimed again.
UNQUEUED = "unqueued"


@dataclass(frozen=True)
class Finished:
    """What is recorded when a task result is done."""

    status: str
    message: str
    add: int = 0
    change: int = 0
    destroy: int = 0


class TaskStore(Protocol):
    def claim(self, request: TaskRequest) -> bool:
        """True for the first claim of ``request.task_result_id`` (False: already handled)."""

    def release(self, task_result_id: str) -> None:
        """Let the claim be made again (the request could not be handed to the worker)."""

    def start(self, task_result_id: str) -> bool:
        """True for the first start of an accepted request (False: already started or finished)."""

    def finish(self, task_result_id: str, finished: Finished) -> None:
        """Record the outcome."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class MemoryStore:
    """The local server's store: for as long as the process runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: dict[str, dict[str, object]] = {}

    def claim(self, request: TaskRequest) -> bool:
        with self._lock:
            record = self.records.get(request.task_result_id)
            if record is not None and record["status"] != UNQUEUED:
                return False
            self.records[request.task_result_id] = {"status": ACCEPTED, "run_id": request.run_id, "received_at": now()}
            return True

    def release(self, task_result_id: str) -> None:
        with self._lock:
            if task_result_id in self.records:
                self.records[task_result_id]["status"] = UNQUEUED

    def start(self, task_result_id: str) -> bool:
        with self._lock:
            record = self.records.get(task_result_id)
            if record is None or record["status"] != ACCEPTED:
                return False
            record["status"] = REVIEWING
            return True

    def finish(self, task_result_id: str, finished: Finished) -> None:
        with self._lock:
            record = self.records.setdefault(task_result_id, {})
            record.update(status=finished.status, message=finished.message, finished_at=now())
            record.update(add=finished.add, change=finished.change, destroy=finished.destroy)


class DynamoDBStore:
    """The Lambda's store: the table named by ``LAMBDA_DYNAMODB_RUN_TASK_TABLE``."""

    def claim(self, request: TaskRequest) -> bool:
        import boto3

        client = boto3.client("dynamodb")
        item = {
            "task_result_id": {"S": request.task_result_id},
            "run_id": {"S": request.run_id},
            "stage": {"S": request.stage.value},
            "workspace": {"S": request.workspace_name or ""},
            "organization": {"S": request.organization_name or ""},
            "status": {"S": ACCEPTED},
            "received_at": {"S": now()},
        }
        try:
            client.put_item(
                TableName=os.environ["LAMBDA_DYNAMODB_RUN_TASK_TABLE"],
                Item=item,
                # A retry of a request whose hand-over failed may claim it again.
                ConditionExpression="attribute_not_exists(task_result_id) OR #status = :unqueued",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":unqueued": {"S": UNQUEUED}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, task_result_id: str) -> None:
        import boto3

        boto3.client("dynamodb").update_item(
            TableName=os.environ["LAMBDA_DYNAMODB_RUN_TASK_TABLE"],
            Key={"task_result_id": {"S": task_result_id}},
            UpdateExpression="SET #status = :status",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":status": {"S": UNQUEUED}},
        )

    def start(self, task_result_id: str) -> bool:
        import boto3

        client = boto3.client("dynamodb")
        try:
            client.update_item(
                TableName=os.environ["LAMBDA_DYNAMODB_RUN_TASK_TABLE"],
                Key={"task_result_id": {"S": task_result_id}},
                UpdateExpression="SET #status = :reviewing, started_at = :at",
                ConditionExpression="#status = :accepted",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":reviewing": {"S": REVIEWING}, ":accepted": {"S": ACCEPTED}, ":at": {"S": now()}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def finish(self, task_result_id: str, finished: Finished) -> None:
        import boto3

        boto3.client("dynamodb").update_item(
            TableName=os.environ["LAMBDA_DYNAMODB_RUN_TASK_TABLE"],
            Key={"task_result_id": {"S": task_result_id}},
            UpdateExpression="SET #status = :status, message = :message, #add = :add, #change = :change, #destroy = :destroy, finished_at = :at",
            ExpressionAttributeNames={"#status": "status", "#add": "add", "#change": "change", "#destroy": "destroy"},
            ExpressionAttributeValues={
                ":status": {"S": finished.status},
                ":message": {"S": finished.message},
                ":add": {"N": str(finished.add)},
                ":change": {"N": str(finished.change)},
                ":destroy": {"N": str(finished.destroy)},
                ":at": {"S": now()},
            },
        )
