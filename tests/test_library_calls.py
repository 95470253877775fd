"""Calls libraries make to DynamoDB on the function's behalf (:mod:`lambda_dynamodb.analysis.libraries`).

Fixtures under ``tests/fixtures/code/`` are whole handlers in the styles the libraries' users
write them; the small cases are written inline, one behaviour each.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from lambda_dynamodb.analysis import CodeAnalysis, analyse
from lambda_dynamodb.analysis.libraries import CONSTRUCTORS, METHODS, PYNAMODB_MODEL_METHODS

FIXTURES = Path(__file__).parent / "fixtures" / "code"
IDEMPOTENCY_ACTIONS = ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


def fixture(tmp_path: Path, name: str, handler: str) -> CodeAnalysis:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return analyse(root, handler=handler)


def analysed(tmp_path: Path, source: str, handler: str | None = "handler.handler") -> CodeAnalysis:
    root = tmp_path / "code"
    root.mkdir()
    (root / "handler.py").write_text(textwrap.dedent(source))
    return analyse(root, handler=handler)


def calls(analysis: CodeAnalysis) -> list[tuple[int, str, str, str | None, str | None]]:
    return [(c.line, c.method, c.operation, c.table, c.index) for c in analysis.calls]


# --- Powertools Idempotency ------------------------------------------------------------------


def test_a_powertools_idempotency_handler_needs_four_actions_on_its_table(tmp_path: Path) -> None:
    analysis = fixture(tmp_path, "idempotency", "app.lambda_handler")
    assert [(c.where, c.method, c.operation, c.actions, c.table) for c in analysis.calls] == [
        ("idempotency/app.py:21", "DynamoDBPersistenceLayer", "Idempotency", IDEMPOTENCY_ACTIONS, "env:IDEMPOTENCY_TABLE")
    ]
    assert (analysis.unresolved, analysis.unreachable) == ((), ())


def test_the_persistence_layer_from_its_submodule_with_a_literal_table(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import DynamoDBPersistenceLayer

layer = DynamoDBPersistenceLayer("IdempotencyTable", key_attr="idempotency_key")

@idempotent_function(data_keyword_argument="order", persistence_store=layer)
def process(order):
    return order

def handler(event, context):
    return process(order=event)
""",
    )
    assert [(c.line, c.actions, c.table) for c in analysis.calls] == [(4, IDEMPOTENCY_ACTIONS, "IdempotencyTable")]


def test_a_class_of_the_same_name_in_the_folder_is_the_code_not_the_library(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        "class DynamoDBPersistenceLayer:\n    def __init__(self, table_name):\n        self.name = table_name\n\n"
        "layer = DynamoDBPersistenceLayer(table_name='T')\n\ndef handler(event, context):\n    return layer.name\n",
    )
    assert (analysis.calls, analysis.unresolved) == ((), ())


# --- Powertools Parameters -------------------------------------------------------------------


def test_a_dynamodb_provider_gets_and_queries_its_table(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
from aws_lambda_powertools.utilities import parameters

provider = parameters.DynamoDBProvider(table_name=os.environ["PARAMETERS_TABLE"])

def handler(event, context):
    endpoint = provider.get("payments-endpoint", max_age=300)
    flags = provider.get_multiple("/features", transform="json")
    return {"endpoint": endpoint, "flags": flags}
""",
    )
    assert calls(analysis) == [
        (7, "get", "GetItem", "env:PARAMETERS_TABLE", None),
        (8, "get_multiple", "Query", "env:PARAMETERS_TABLE", None),
    ]


# --- PynamoDB --------------------------------------------------------------------------------


def test_pynamodb_model_methods_on_its_meta_table_name(tmp_path: Path) -> None:
    analysis = fixture(tmp_path, "pynamodb_app", "handler.handler")
    assert [(c.line, c.method, c.operation, c.table, c.index) for c in analysis.calls] == [
        (8, "save", "PutItem", "env:ORDERS_TABLE", None),
        (10, "get", "GetItem", "env:ORDERS_TABLE", None),
        (11, "update", "UpdateItem", "env:ORDERS_TABLE", None),
        (13, "delete", "DeleteItem", "env:ORDERS_TABLE", None),
        (13, "get", "GetItem", "env:ORDERS_TABLE", None),
        (15, "query", "Query", "env:ORDERS_TABLE", "status-index"),
        (17, "scan", "Scan", "env:ORDERS_TABLE", None),
        (19, "query", "Query", "env:ORDERS_TABLE", None),
        (20, "count", "DescribeTable", "env:ORDERS_TABLE", None),
    ]
    assert analysis.unresolved == ()


def test_pynamodb_table_methods_batches_and_count_with_a_hash_key(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

class Thread(Model):
    class Meta:
        table_name = "Thread"

    forum = UnicodeAttribute(hash_key=True)

def handler(event, context):
    if not Thread.exists():
        Thread.create_table(read_capacity_units=1, write_capacity_units=1, wait=True)
    with Thread.batch_write() as batch:
        batch.save(Thread(event["forum"]))
    found = list(Thread.batch_get([event["forum"]]))
    Thread.count(event["forum"])
    Thread.delete_table()
    return found
""",
    )
    assert [(c.line, c.operation) for c in analysis.calls] == [
        (11, "DescribeTable"),
        (12, "CreateTable"),
        (12, "DescribeTable"),
        (13, "BatchWriteItem"),
        (15, "BatchGetItem"),
        (16, "Query"),
        (17, "DeleteTable"),
    ]
    assert {c.table for c in analysis.calls} == {"Thread"}


def test_a_model_method_the_code_overrides_is_the_codes(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
from pynamodb.models import Model

class Audit(Model):
    class Meta:
        table_name = "Audit"

    def save(self, *args, **kwargs):
        return None

def handler(event, context):
    Audit().save()
""",
    )
    assert analysis.calls == ()


# --- what is not modelled --------------------------------------------------------------------


def test_a_third_party_call_that_takes_a_table_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
from dynamo_helpers import upsert

def handler(event, context):
    upsert(table_name=os.environ["TABLE_NAME"], item=event)
""",
    )
    assert analysis.calls == ()
    assert [(u.where, u.reason) for u in analysis.unresolved] == [
        ("code/handler.py:5", "upsert is a library call that takes a table and is not modelled: list the actions it needs")
    ]


def test_a_class_of_a_modelled_library_that_is_not_modelled_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

def handler(event, context):
    with TransactWrite(connection=Connection(region="eu-west-1")) as transaction:
        transaction.save(event["order"])
""",
    )
    assert [u.reason.split(" is ")[0] for u in analysis.unresolved] == ["Connection", "TransactWrite"]


def test_a_standard_library_call_with_a_table_keyword_is_not_a_library_call(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, "import logging\n\ndef handler(event, context):\n    logging.getLogger().info('x', table='T')\n")
    assert analysis.unresolved == ()


def test_a_library_object_in_code_the_handler_never_reaches_is_unreachable(tmp_path: Path) -> None:
    root = tmp_path / "code"
    root.mkdir()
    (root / "handler.py").write_text("def handler(event, context):\n    return event\n")
    (root / "jobs.py").write_text(
        "from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer\n\nlayer = DynamoDBPersistenceLayer('Jobs')\n"
    )
    analysis = analyse(root, handler="handler.handler")
    assert analysis.calls == ()
    assert [(r.where, getattr(r, "table", None)) for r in analysis.unreachable] == [("code/jobs.py:3", "Jobs")]


def test_the_models_name_real_api_operations() -> None:
    from lambda_dynamodb.iam.dynamodb_operations import operation_actions

    operations = {op for methods in METHODS.values() for op in methods.values()}
    operations |= {op for ops in PYNAMODB_MODEL_METHODS.values() for op in ops}
    assert all(operation_actions(op) for op in operations)  # raises KeyError for an unknown one
    assert {c.at_construction[0] for c in CONSTRUCTORS.values() if c.at_construction} == {"Idempotency"}


def test_a_method_of_a_library_object_that_takes_a_table_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
from dynamo_helpers import Store

store = Store(region="eu-west-1")

def handler(event, context):
    store.put(TableName="Orders", Item=event)
""",
    )
    assert [(u.line, u.reason) for u in analysis.unresolved] == [
        (6, "put is a library call that takes a table and is not modelled: list the actions it needs")
    ]
