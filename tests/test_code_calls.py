"""The static code check: which DynamoDB calls a function's code makes, read without running it.

Each test writes a small variant of a handler into ``tmp_path / "code"`` and analyses it.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_dynamodb.analysis import CodeAnalysis, CodeCall, Unresolved, analyse
from lambda_dynamodb.iam.dynamodb_operations import PARTIQL_OPERATIONS, TRANSACTION_OPERATIONS, client_operations, table_operations

TABLE = """\
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
"""


def analysed(tmp_path: Path, source: str | dict[str, str]) -> CodeAnalysis:
    """Write ``source`` (one handler, or files by relative path) into tmp_path/code and analyse it."""
    files = {"handler.py": source} if isinstance(source, str) else source
    root = tmp_path / "code"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return analyse(root)


def operations(analysis: CodeAnalysis) -> list[tuple[str, str]]:
    return [(call.method, call.operation) for call in analysis.calls]


def reasons(analysis: CodeAnalysis) -> list[str]:
    return [u.reason for u in analysis.unresolved]


# --- call styles -----------------------------------------------------------------------------


def test_table_methods_of_a_resource_table(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
def handler(event, context):
    table.get_item(Key=event["key"])
    table.put_item(Item=event["item"])
    table.update_item(Key=event["key"], UpdateExpression="SET a = :a")
    table.delete_item(Key=event["key"])
    table.query(KeyConditionExpression="pk = :p")
    table.scan()
""",
    )
    assert operations(analysis) == [
        ("get_item", "GetItem"),
        ("put_item", "PutItem"),
        ("update_item", "UpdateItem"),
        ("delete_item", "DeleteItem"),
        ("query", "Query"),
        ("scan", "Scan"),
    ]
    assert analysis.unresolved == ()


@pytest.mark.parametrize("method", sorted(table_operations()))
def test_every_table_method_of_the_resource_model_is_its_operation(tmp_path: Path, method: str) -> None:
    analysis = analysed(tmp_path, TABLE + f"table.{method}()\n")
    assert [(c.method, c.operation) for c in analysis.calls] == [(method, table_operations()[method])]


@pytest.mark.parametrize(
    "method", sorted(m for m, op in client_operations().items() if op not in TRANSACTION_OPERATIONS + PARTIQL_OPERATIONS)
)
def test_every_client_method_of_the_service_model_is_its_operation(tmp_path: Path, method: str) -> None:
    analysis = analysed(tmp_path, f'import boto3\nboto3.client("dynamodb").{method}()\n')
    operation = client_operations()[method]
    assert [(c.method, c.operation, c.actions) for c in analysis.calls] == [(method, operation, (f"dynamodb:{operation}",))]


def test_a_client_call_reads_its_literal_table_name(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

client = boto3.client("dynamodb", region_name="eu-west-1")

def handler(event, context):
    return client.get_item(TableName="Orders", Key={"pk": {"S": "1"}})
""",
    )
    assert [(c.operation, c.actions, c.table, c.index) for c in analysis.calls] == [
        ("GetItem", ("dynamodb:GetItem",), "Orders", None)
    ]


def test_a_table_made_with_a_literal_name_names_it(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, 'import boto3\nboto3.resource("dynamodb").Table("Orders").put_item(Item={})\n')
    assert [c.table for c in analysis.calls] == ["Orders"]


def test_a_table_name_read_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + "table.put_item(Item={})\n")
    assert [c.table for c in analysis.calls] == ["env:TABLE_NAME"]


def test_the_table_meta_client_is_a_client(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
def write(requests):
    client = table.meta.client
    return client.batch_write_item(RequestItems={table.name: requests})
""",
    )
    assert operations(analysis) == [("batch_write_item", "BatchWriteItem")]


def test_literal_request_items_keys_name_the_tables(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        'import boto3\nboto3.resource("dynamodb").batch_get_item(RequestItems={"Orders": {}, "Users": {}})\n',
    )
    assert [(c.operation, c.table) for c in analysis.calls] == [("BatchGetItem", "Orders"), ("BatchGetItem", "Users")]


def test_a_batch_writer_is_one_batch_write_item_at_its_line(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
def handler(event, context):
    with table.batch_writer(overwrite_by_pkeys=["pk"]) as batch:
        for item in event["items"]:
            batch.put_item(Item=item)
        batch.delete_item(Key={"pk": "old"})
""",
    )
    assert [(c.line, c.method, c.operation, c.actions) for c in analysis.calls] == [
        (7, "batch_writer", "BatchWriteItem", ("dynamodb:BatchWriteItem",))
    ]


def test_a_loaded_table_attribute_is_a_describe_table_but_its_name_is_not(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + "print(table.name)\nprint(table.item_count)\n")
    assert operations(analysis) == [("item_count", "DescribeTable")]


def test_the_tables_collection_lists_tables(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

dynamodb = boto3.resource("dynamodb")
names = [t.name for t in dynamodb.tables.filter(ExclusiveStartTableName="a").limit(5)]
""",
    )
    assert operations(analysis) == [("filter", "ListTables")]


# --- transactions and PartiQL ----------------------------------------------------------------


def test_a_literal_transaction_needs_exactly_the_item_actions_of_its_entries(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

client = boto3.client("dynamodb")

def handler(event, context):
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "Orders", "Item": event["order"]}},
            {"Update": {"TableName": "Orders", "Key": event["key"], "UpdateExpression": "SET n = n + :one"}},
        ]
    )
""",
    )
    assert [(c.operation, c.actions, c.table) for c in analysis.calls] == [
        ("TransactWriteItems", ("dynamodb:PutItem", "dynamodb:UpdateItem"), "Orders")
    ]


def test_a_transaction_built_elsewhere_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

client = boto3.client("dynamodb")

def handler(event, context):
    items = build(event["items"])
    client.transact_write_items(TransactItems=items)
""",
    )
    assert analysis.calls == ()
    assert [(u.where, u.reason) for u in analysis.unresolved] == [
        (
            "code/handler.py:7",
            "the entries of transact_write_items are not literal: which item actions it needs cannot be read",
        )
    ]


def test_a_literal_get_transaction_needs_get_item(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        'import boto3\nboto3.client("dynamodb").transact_get_items(TransactItems=[{"Get": {"TableName": "T", "Key": {}}}])\n',
    )
    assert [(c.operation, c.actions) for c in analysis.calls] == [("TransactGetItems", ("dynamodb:GetItem",))]


def test_a_literal_partiql_statement_needs_its_verb_action_on_its_target(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

client = boto3.client("dynamodb")
client.execute_statement(Statement='SELECT * FROM "Orders"."by-status" WHERE status = ?', Parameters=[{"S": "new"}])
client.execute_statement(Statement="DELETE FROM Orders " "WHERE pk = ?")
""",
    )
    assert [(c.operation, c.actions, c.table, c.index) for c in analysis.calls] == [
        ("ExecuteStatement", ("dynamodb:PartiQLSelect",), "Orders", "by-status"),
        ("ExecuteStatement", ("dynamodb:PartiQLDelete",), "Orders", None),
    ]


def test_a_batch_of_literal_partiql_statements_needs_each_verb(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

boto3.client("dynamodb").batch_execute_statement(
    Statements=[{"Statement": "INSERT INTO Orders VALUE {'pk': ?}"}, {"Statement": "UPDATE Orders SET n = 1 WHERE pk = ?"}]
)
""",
    )
    assert [(c.operation, c.actions, c.table) for c in analysis.calls] == [
        ("BatchExecuteStatement", ("dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate"), "Orders")
    ]


def test_a_partiql_statement_in_a_variable_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

def handler(event, context):
    boto3.client("dynamodb").execute_statement(Statement=event["sql"])
""",
    )
    assert analysis.calls == ()
    assert reasons(analysis) == ["the statement of execute_statement is not a literal: which PartiQL action it needs cannot be read"]


# --- paginators, waiters, sessions, import styles --------------------------------------------


def test_a_paginator_sends_the_operation_it_was_made_for(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

client = boto3.client("dynamodb")
pages = client.get_paginator("query").paginate(TableName="Orders", IndexName="by-date")
""",
    )
    assert [(c.method, c.operation, c.table, c.index) for c in analysis.calls] == [("paginate", "Query", "Orders", "by-date")]


def test_a_waiter_sends_the_operation_it_polls(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

waiter = boto3.client("dynamodb").get_waiter("table_exists")
waiter.wait(TableName="Orders")
""",
    )
    assert [(c.method, c.operation, c.table) for c in analysis.calls] == [("wait", "DescribeTable", "Orders")]


def test_a_paginator_named_in_a_variable_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, 'import boto3\nimport os\nboto3.client("dynamodb").get_paginator(os.environ["OP"])\n')
    assert reasons(analysis) == ["the paginator name is not a literal: which operation it sends cannot be read"]


@pytest.mark.parametrize(
    "source",
    [
        'import boto3\nsession = boto3.Session(region_name="eu-west-1")\nsession.client("dynamodb").put_item(TableName="T", Item={})\n',
        'import boto3.session\nboto3.session.Session().client("dynamodb").put_item(TableName="T", Item={})\n',
        'from boto3.session import Session\nSession().client(service_name="dynamodb").put_item(TableName="T", Item={})\n',
        'from boto3 import Session\nSession().resource("dynamodb").Table("T").put_item(Item={})\n',
        'import boto3 as b\nb.client("dynamodb").put_item(TableName="T", Item={})\n',
        'from boto3 import client\nclient("dynamodb").put_item(TableName="T", Item={})\n',
        'from boto3 import resource\nresource("dynamodb").meta.client.put_item(TableName="T", Item={})\n',
        'import botocore.session\nbotocore.session.get_session().create_client("dynamodb").put_item(TableName="T", Item={})\n',
    ],
    ids=["session", "session-module", "session-class", "from-boto3-session", "alias", "from-client", "resource-meta", "botocore"],
)
def test_every_way_to_get_a_client_or_resource(tmp_path: Path, source: str) -> None:
    analysis = analysed(tmp_path, source)
    assert [(c.operation, c.table) for c in analysis.calls] == [("PutItem", "T")]
    assert analysis.unresolved == ()


def test_calls_through_a_session_with_its_own_credentials_are_not_the_roles(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

session = boto3.Session(aws_access_key_id="AKIA...", aws_secret_access_key="...")
session.client("dynamodb").put_item(TableName="T", Item={})
""",
    )
    assert analysis.calls == ()
    assert reasons(analysis) == ["put_item: calls through a session with its own credentials are not made with the function's role"]


def test_a_service_name_that_is_not_a_literal_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, 'import boto3\nimport os\nclient = boto3.client(os.environ["SERVICE"])\n')
    assert [(u.where, u.reason) for u in analysis.unresolved] == [
        ("code/handler.py:3", "the service name is not a literal: which AWS service this boto3 client calls cannot be read")
    ]


def test_a_service_name_in_a_constant_is_followed(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, 'import boto3\nSERVICE = "dynamodb"\nboto3.client(SERVICE).scan(TableName="T")\n')
    assert operations(analysis) == [("scan", "Scan")]


def test_another_services_client_and_resource_are_ignored(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

s3 = boto3.client("s3")
s3.put_object(Bucket="b", Key="k", Body=b"")
boto3.resource("sqs").Queue("url").delete()
""",
    )
    assert analysis == CodeAnalysis("code/", ("code/handler.py",), (), ())


# --- following values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "t: Any = boto3.resource('dynamodb').Table('T')\nt.scan()\n",
        "if (t := boto3.resource('dynamodb').Table('T')):\n    t.scan()\n",
        "with boto3.resource('dynamodb') as r:\n    r.Table('T').scan()\n",
        "TABLE = None\ndef get():\n    global TABLE\n    if TABLE is None:\n"
        "        TABLE = boto3.resource('dynamodb').Table('T')\n    return TABLE\nget().scan()\n",
        "def make():\n    return boto3.resource('dynamodb').Table('T')\ndef handler(e, c):\n    make().scan()\n",
        "tables = {'main': boto3.resource('dynamodb').Table('T')}\ntables['main'].scan()\n",
    ],
    ids=["annotated", "walrus", "with", "global", "return", "dict"],
)
def test_values_flow_through_assignments_and_returns(tmp_path: Path, body: str) -> None:
    analysis = analysed(tmp_path, "from typing import Any\nimport boto3\n" + body)
    assert [(c.operation, c.table) for c in analysis.calls] == [("Scan", "T")]


def test_a_table_cached_behind_a_functools_cache_function(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import functools
import os
import boto3

@functools.cache
def _table():
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    return _table().get_item(Key=event["key"])
""",
    )
    assert operations(analysis) == [("get_item", "GetItem")]


def test_a_table_kept_on_self_is_known_in_every_method(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

class Orders:
    def __init__(self, name):
        self.table = boto3.resource("dynamodb").Table(name)

    def save(self, order):
        self.table.put_item(Item=order)

    def find(self, key):
        return self.table.get_item(Key=key)

def handler(event, context):
    Orders("orders").save(event)
""",
    )
    assert operations(analysis) == [("put_item", "PutItem"), ("get_item", "GetItem")]
    assert [c.table for c in analysis.calls] == ["orders", "orders"]


def test_a_parameter_takes_the_kind_every_call_site_passes(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
def save(target, item):
    target.put_item(Item=item)

def handler(event, context):
    save(table, event["item"])
    save(item=event["other"], target=table)
""",
    )
    assert operations(analysis) == [("put_item", "PutItem")]
    assert analysis.unresolved == ()


def test_a_dispatch_table_passes_the_table_to_every_operation(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
def get(t, event):
    return t.get_item(Key=event["key"])

def put(t, event):
    return t.put_item(Item=event["item"])

OPERATIONS = {"get": get, "put": put}

def handler(event, context):
    return OPERATIONS[event["action"]](table, event)

def replay(events):
    for event in events:
        operation = OPERATIONS.get(event["action"])
        operation(table, event)
""",
    )
    assert operations(analysis) == [("get_item", "GetItem"), ("put_item", "PutItem")]
    assert analysis.unresolved == ()


def test_a_parameter_passed_different_kinds_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
def save(target, item):
    target.put_item(Item=item)

def handler(event, context):
    save(table, event)
    save(event["target"], event)
""",
    )
    assert analysis.calls == ()
    assert reasons(analysis) == [
        "calls put_item on `target`, a parameter of save() whose value the analysis cannot follow: "
        "its callers pass values of different or unknown kinds"
    ]


def test_a_client_passed_in_from_elsewhere_is_unresolved_at_its_line(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3

def write(client, items):
    return client.batch_write_item(RequestItems=items)
""",
    )
    assert analysis.calls == ()
    assert [(u.where, u.reason) for u in analysis.unresolved] == [
        (
            "code/handler.py:4",
            "calls batch_write_item on `client`, a parameter of write() whose value the analysis cannot follow: "
            "no call the analysis can follow passes it (it is called from outside the analysed files, or through a value it cannot follow)",
        )
    ]


def test_a_bound_method_taken_once_is_one_call_where_it_is_taken(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """
put = table.put_item
put(Item={})
put(Item={"n": 2})
table.delete_item(Key={})
""",
    )
    assert [(c.line, c.method) for c in analysis.calls] == [(6, "put_item"), (9, "delete_item")]


def test_a_bound_method_passed_as_a_callback_is_a_call(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + "list(map(table.put_item, []))\n")
    assert operations(analysis) == [("put_item", "PutItem")]


# --- across files ----------------------------------------------------------------------------


def test_values_imported_from_another_file(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        {
            "db.py": TABLE + "def get_table():\n    return table\n",
            "handler.py": """\
import db
from db import table, get_table

def handler(event, context):
    table.put_item(Item=event)
    db.table.delete_item(Key=event)
    get_table().query(KeyConditionExpression="pk = :p")
""",
        },
    )
    assert [(c.path, c.operation) for c in analysis.calls] == [
        ("code/handler.py", "PutItem"),
        ("code/handler.py", "DeleteItem"),
        ("code/handler.py", "Query"),
    ]
    assert analysis.files == ("code/db.py", "code/handler.py")


def test_a_package_with_relative_imports(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        {
            "app/__init__.py": "from .store import Store\n",
            "app/store.py": """\
from . import tables

class Store:
    def __init__(self):
        self.table = tables.orders()

    def add(self, item):
        self.table.put_item(Item=item)
""",
            "app/tables.py": "import boto3\n\ndef orders():\n    return boto3.resource('dynamodb').Table('Orders')\n",
            "handler.py": "from app import Store\n\ndef handler(event, context):\n    Store().add(event)\n",
        },
    )
    assert [(c.where, c.operation, c.table) for c in analysis.calls] == [("code/app/store.py:8", "PutItem", "Orders")]


def test_names_from_a_star_import_and_closures(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        {
            "db.py": TABLE,
            "handler.py": """\
from db import *

def counter():
    t = table
    def inner():
        nonlocal t
        t.delete_item(Key={})
    return inner
""",
        },
    )
    assert [(c.where, c.operation) for c in analysis.calls] == [("code/handler.py:7", "DeleteItem")]


# --- index and names -------------------------------------------------------------------------


def test_a_literal_index_name(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + 'table.query(IndexName="by-date", KeyConditionExpression="d = :d")\n')
    assert [(c.operation, c.index) for c in analysis.calls] == [("Query", "by-date")]


def test_an_index_name_that_is_not_literal_is_any_index(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + 'table.query(IndexName=os.environ["INDEX"])\ntable.scan()\n')
    assert [(c.operation, c.index) for c in analysis.calls] == [("Query", "*"), ("Scan", None)]


def test_getattr_with_a_literal_name_is_the_method(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + 'getattr(table, "put_item")(Item={})\n')
    assert operations(analysis) == [("put_item", "PutItem")]


def test_getattr_with_a_name_in_a_variable_is_unresolved_at_its_line(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + "\ndef handler(event, context):\n    getattr(table, event['method'])(**event['args'])\n")
    assert analysis.calls == ()
    assert [(u.where, u.reason) for u in analysis.unresolved] == [
        ("code/handler.py:7", "the method name is in a variable: which DynamoDB call it makes cannot be read")
    ]


def test_a_typo_on_a_client_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, 'import boto3\nboto3.client("dynamodb").put_items(TableName="T")\n')
    assert analysis.calls == ()
    assert reasons(analysis) == ["dynamodb client has no method put_items"]


def test_an_unknown_method_on_a_table_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + "table.put(Item={})\n")
    assert reasons(analysis) == ["a dynamodb Table has no method put"]


# --- what is not a DynamoDB call -------------------------------------------------------------


def test_a_dynamodb_method_name_on_an_unknown_object_in_boto3_code_is_unresolved(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import boto3
from registry import lookup

def handler(event, context):
    lookup(event).scan()
    lookup(event).get("x")
""",
    )
    assert analysis.calls == ()
    assert [(u.line, u.reason) for u in analysis.unresolved] == [
        (5, "calls scan on `lookup(event)`, whose value the analysis cannot follow (a parameter, or passed in from elsewhere)")
    ]


def test_reading_a_plain_attribute_named_query_is_not_taking_a_method(tmp_path: Path) -> None:
    # url.query is common; a snake name such as put_item taken off an unknown object is not.
    analysis = analysed(
        tmp_path,
        "import boto3\nfrom urllib.parse import urlparse\n\ndef handler(event, context):\n"
        "    print(urlparse(event['url']).query)\n    return event['store'].put_item\n",
    )
    assert [(u.line, u.reason.split(",")[0]) for u in analysis.unresolved] == [(6, "calls put_item on `event['store']`")]


def test_query_on_some_object_in_a_file_without_boto3_is_nothing(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import sqlalchemy

def handler(session, model):
    return session.query(model).filter(model.id == 1).all()
""",
    )
    assert (analysis.calls, analysis.unresolved) == ((), ())


def test_a_file_that_does_not_parse_is_unresolved_at_the_error(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, {"handler.py": TABLE + "table.scan()\n", "broken.py": "def f(:\n    pass\n"})
    assert operations(analysis) == [("scan", "Scan")]
    assert [(u.where, u.reason.split(":")[0]) for u in analysis.unresolved] == [("code/broken.py:1", "cannot be parsed")]
    assert analysis.files == ("code/broken.py", "code/handler.py")


def test_analysing_never_imports_or_runs_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    analysis = analysed(
        tmp_path,
        f"""\
import pathlib
pathlib.Path({str(marker)!r}).write_text("imported")
raise SystemExit("the code ran")
import boto3
boto3.client("dynamodb").scan(TableName="T")
""",
    )
    assert not marker.exists()
    assert operations(analysis) == [("scan", "Scan")]


def test_a_copy_of_the_sdk_bundled_with_the_code_is_the_sdk_not_code(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        {
            "boto3/__init__.py": "def client(name):\n    return name\n",
            "boto3/dynamodb/table.py": "def flush(self):\n    self._client.batch_write_item(RequestItems={})\n",
            "handler.py": 'import boto3\nboto3.client("dynamodb").scan(TableName="T")\n',
        },
    )
    assert analysis.files == ("code/handler.py",)
    assert (operations(analysis), analysis.unresolved) == ([("scan", "Scan")], ())


def test_only_python_files_are_read(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, {"handler.py": "x = 1\n", "notes.txt": "table.put_item()\n", "__pycache__/handler.py": "boom("})
    assert analysis.files == ("code/handler.py",)
    assert analysis.unresolved == ()


# --- the result ------------------------------------------------------------------------------


def test_where_is_the_display_path_and_the_line_of_the_method(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        TABLE
        + """

def handler(event, context):
    response = (
        table
        .get_item(Key=event["key"])
    )
    return response
""",
    )
    assert [call.where for call in analysis.calls] == ["code/handler.py:10"]


def test_results_are_sorted_and_the_same_every_time(tmp_path: Path) -> None:
    files = {
        "b.py": TABLE + "table.scan()\ntable.put_item(Item={})\n",
        "a.py": TABLE + "def f(t):\n    t.query()\ntable.get_item(Key={})\ntable.delete_item(Key={})\n",
    }
    first, second = analysed(tmp_path, files), analysed(tmp_path, files)
    assert first == second
    assert [(c.path, c.line) for c in first.calls] == sorted((c.path, c.line) for c in first.calls)
    assert [c.path for c in first.calls] == ["code/a.py", "code/a.py", "code/b.py", "code/b.py"]
    assert first.actions == ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan")
    assert first.source == "code/"


@pytest.mark.parametrize(
    "result", [CodeCall("code/handler.py", 3, "scan", "Scan", ("dynamodb:Scan",), None, None), Unresolved("code/a.py", 2, "why")]
)
def test_the_results_are_frozen(result: CodeCall | Unresolved) -> None:
    with pytest.raises(AttributeError):
        result.line = 4  # type: ignore[misc]


# --- the fixed point does not depend on the order of the code --------------------------------

#: Definitions that hand a table to each other (returns, parameters, attributes, a dispatch
#: table, recursion): wherever each is written, every call is found, and nothing is unresolved.
SNIPPETS = (
    "def make():\n    return boto3.resource('dynamodb').Table('T')\n",
    "def save(t, item):\n    t.put_item(Item=item)\n",
    "def handler(event, context):\n    save(make(), event)\n    Repo(make()).find()\n    run(make())\n    rec(make(), 2)\n",
    "class Repo:\n    def __init__(self, table):\n        self.table = table\n\n    def find(self):\n        return self.table.query()\n",
    "OPERATIONS = {'scan': lambda t: t.scan()}\n",
    "def run(t):\n    return OPERATIONS['scan'](t)\n",
    "def rec(t, n):\n    return rec(t, n - 1) if n else t.get_item(Key={})\n",
)


@settings(max_examples=25, deadline=None)
@given(st.permutations(SNIPPETS))
def test_the_calls_found_do_not_depend_on_the_order_of_the_code(order: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        analysis = analysed(Path(folder), "import boto3\n\n" + "\n".join(order))
    assert sorted((c.method, c.table) for c in analysis.calls) == [("get_item", "T"), ("put_item", "T"), ("query", "T"), ("scan", "T")]
    assert analysis.unresolved == ()


# --- table references: how the code names each table ---------------------------------------


def tables(analysis: CodeAnalysis) -> list[tuple[str, str | None]]:
    return [(call.operation, call.table) for call in analysis.calls]


@pytest.mark.parametrize(
    "read",
    [
        'os.environ["ORDERS"]',
        'os.environ.get("ORDERS")',
        'os.environ.get("ORDERS", "orders-dev")',
        'os.getenv("ORDERS")',
        'os.getenv("ORDERS", "orders-dev")',
        'environ["ORDERS"]',
        'environ.get("ORDERS")',
        'getenv("ORDERS")',
    ],
)
def test_a_table_name_from_the_environment_is_named_by_its_variable(tmp_path: Path, read: str) -> None:
    source = f'import os\nfrom os import environ, getenv\nimport boto3\n\nboto3.resource("dynamodb").Table({read}).get_item(Key={{}})\n'
    assert tables(analysed(tmp_path, source)) == [("GetItem", "env:ORDERS")]


def test_the_two_table_handler_names_each_table_by_its_variable(tmp_path: Path) -> None:
    source = (Path(__file__).parent / "fixtures" / "code" / "two_tables" / "handler.py").read_text()
    analysis = analysed(tmp_path, source)
    assert [(c.operation, c.table) for c in analysis.calls if c.line in (15, 18)] == [
        ("GetItem", "env:TABLE_NAME"),
        ("PutItem", "env:ARCHIVE_TABLE"),
    ]


def test_a_module_constant_read_from_the_environment(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
import boto3

ORDERS_TABLE = os.environ["ORDERS_TABLE"]
client = boto3.client("dynamodb")

def handler(event, context):
    return client.query(TableName=ORDERS_TABLE, KeyConditionExpression="pk = :pk")
""",
    )
    assert tables(analysis) == [("Query", "env:ORDERS_TABLE")]


def test_a_settings_class_attribute_and_a_settings_instance_passed_around(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
import boto3

class Settings:
    archive_table = os.environ["ARCHIVE_TABLE"]

    def __init__(self):
        self.orders_table = os.getenv("ORDERS_TABLE")

def archive(settings, item):
    boto3.resource("dynamodb").Table(settings.archive_table).put_item(Item=item)

def handler(event, context):
    settings = Settings()
    boto3.client("dynamodb").get_item(TableName=settings.orders_table, Key=event["key"])
    archive(settings, event["item"])
""",
    )
    assert tables(analysis) == [("PutItem", "env:ARCHIVE_TABLE"), ("GetItem", "env:ORDERS_TABLE")]


def test_a_dataclass_field_default_or_default_factory_read_from_the_environment(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
from dataclasses import dataclass, field
import boto3

@dataclass(frozen=True)
class Config:
    orders: str = os.environ["ORDERS_TABLE"]
    archive: str = field(default_factory=lambda: os.environ["ARCHIVE_TABLE"])

CONFIG = Config()
dynamodb = boto3.resource("dynamodb")

def handler(event, context):
    dynamodb.Table(CONFIG.orders).delete_item(Key=event["key"])
    dynamodb.Table(CONFIG.archive).put_item(Item=event["item"])
""",
    )
    assert tables(analysis) == [("DeleteItem", "env:ORDERS_TABLE"), ("PutItem", "env:ARCHIVE_TABLE")]


@pytest.mark.parametrize(
    "name",
    ['f"{os.environ[\'STAGE\']}-orders"', 'os.environ["STAGE"] + "-orders"', 'os.environ["A"] if event else os.environ["B"]'],
    ids=["f-string", "concatenation", "two-variables"],
)
def test_a_name_made_from_an_environment_variable_is_not_a_table_name(tmp_path: Path, name: str) -> None:
    source = f'import os\nimport boto3\n\ndef handler(event, context):\n    boto3.client("dynamodb").scan(TableName={name})\n'
    assert tables(analysed(tmp_path, source)) == [("Scan", None)]


def test_request_items_keys_from_the_environment_are_one_call_per_table(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
import boto3

ORDERS, ARCHIVE = os.environ["ORDERS_TABLE"], os.environ["ARCHIVE_TABLE"]

def handler(event, context):
    boto3.resource("dynamodb").batch_write_item(
        RequestItems={ORDERS: [{"DeleteRequest": {"Key": event["key"]}}], ARCHIVE: [{"PutRequest": {"Item": event["item"]}}]}
    )
""",
    )
    assert tables(analysis) == [("BatchWriteItem", "env:ARCHIVE_TABLE"), ("BatchWriteItem", "env:ORDERS_TABLE")]


def test_a_table_name_attribute_keeps_its_variable(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + 'table.meta.client.batch_get_item(RequestItems={table.name: {"Keys": []}})\n')
    assert tables(analysis) == [("BatchGetItem", "env:TABLE_NAME")]


# --- batches and transactions: one call per table --------------------------------------------

TRANSACTION = """\
import os
import boto3

client = boto3.client("dynamodb")
ORDERS = os.environ["ORDERS_TABLE"]
ARCHIVE = os.environ["ARCHIVE_TABLE"]

def handler(event, context):
"""


def transaction(analysis: CodeAnalysis) -> list[tuple[int, str | None, tuple[str, ...]]]:
    return [(c.line, c.table, c.actions) for c in analysis.calls]


def test_a_transaction_over_two_tables_is_one_call_per_table(tmp_path: Path) -> None:
    body = """\
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": ORDERS, "Item": event["order"]}},
            {"ConditionCheck": {"TableName": ARCHIVE, "Key": event["key"], "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
    )
"""
    assert transaction(analysed(tmp_path, TRANSACTION + body)) == [
        (9, "env:ARCHIVE_TABLE", ("dynamodb:ConditionCheckItem",)),
        (9, "env:ORDERS_TABLE", ("dynamodb:PutItem",)),
    ]


def test_transaction_entries_built_by_a_comprehension(tmp_path: Path) -> None:
    body = """\
    keys = event["keys"]
    return client.transact_get_items(TransactItems=[{"Get": {"TableName": ORDERS, "Key": k}} for k in keys])
"""
    assert transaction(analysed(tmp_path, TRANSACTION + body)) == [(10, "env:ORDERS_TABLE", ("dynamodb:GetItem",))]


@pytest.mark.parametrize(
    "grow",
    [
        'items.append({"Put": {"TableName": ORDERS, "Item": item}})',
        'items += [{"Put": {"TableName": ORDERS, "Item": item}}]',
        'items.extend([{"Put": {"TableName": ORDERS, "Item": item}}])',
    ],
    ids=["append", "augmented", "extend"],
)
def test_transaction_entries_appended_in_a_loop(tmp_path: Path, grow: str) -> None:
    body = f"""\
    items = [{{"Delete": {{"TableName": ARCHIVE, "Key": event["old"]}}}}]
    for item in event["items"]:
        {grow}
    client.transact_write_items(TransactItems=items)
"""
    assert transaction(analysed(tmp_path, TRANSACTION + body)) == [
        (12, "env:ARCHIVE_TABLE", ("dynamodb:DeleteItem",)),
        (12, "env:ORDERS_TABLE", ("dynamodb:PutItem",)),
    ]


def test_transaction_entries_bound_some_other_way_are_not_literal(tmp_path: Path) -> None:
    body = """\
    items = []
    for items in event["batches"]:
        client.transact_write_items(TransactItems=items)
"""
    analysis = analysed(tmp_path, TRANSACTION + body)
    assert analysis.calls == ()
    assert reasons(analysis) == ["the entries of transact_write_items are not literal: which item actions it needs cannot be read"]


# --- from the handler ------------------------------------------------------------------------


def from_handler(tmp_path: Path, files: str | dict[str, str], handler: str = "handler.handler") -> CodeAnalysis:
    files = {"handler.py": files} if isinstance(files, str) else files
    root = tmp_path / "code"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return analyse(root, handler=handler)


def test_code_the_handler_never_reaches_is_listed_as_unreachable(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
def handler(event, context):
    return table.get_item(Key=event["key"])

def migrate(event, context):
    table.delete_item(Key=event["key"])
    event["client"].batch_write_item(RequestItems={})
""",
    )
    assert (analysis.handler, tables(analysis), analysis.unresolved) == ("handler.handler", [("GetItem", "env:TABLE_NAME")], ())
    assert [(r.line, type(r).__name__) for r in analysis.unreachable] == [(10, "CodeCall"), (11, "Unresolved")]
    assert analysis.actions == ("dynamodb:GetItem",)


def test_without_a_handler_every_function_is_an_entry_point(tmp_path: Path) -> None:
    analysis = analysed(tmp_path, TABLE + "def handler(e, c):\n    table.get_item(Key={})\n\ndef other(e, c):\n    table.scan()\n")
    assert (operations(analysis), analysis.unreachable, analysis.handler) == ([("get_item", "GetItem"), ("scan", "Scan")], (), None)


def test_import_time_code_of_imported_modules_counts_and_the_rest_does_not(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/db.py": TABLE + "table.load()\n\ndef purge():\n    table.delete_item(Key={})\n",
            "app/main.py": "from app.db import table\n\ndef handler(event, context):\n    table.put_item(Item=event)\n",
            "scripts/seed.py": TABLE + "table.put_item(Item={'pk': 'seed'})\n",
        },
        handler="app.main.handler",
    )
    assert [(c.path, c.operation) for c in analysis.calls] == [("code/app/db.py", "DescribeTable"), ("code/app/main.py", "PutItem")]
    assert [(r.path, r.line) for r in analysis.unreachable] == [("code/app/db.py", 8), ("code/scripts/seed.py", 5)]


def test_an_unreachable_caller_gives_a_reached_function_no_values(tmp_path: Path) -> None:
    # A test helper in the folder passes a fake: from the handler, save() only ever gets the table.
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
def save(target, item):
    target.put_item(Item=item)

def handler(event, context):
    save(table, event)

def local_test():
    save(object(), {})
""",
    )
    assert (tables(analysis), analysis.unresolved) == ([("PutItem", "env:TABLE_NAME")], ())


def test_the_handlers_parameters_are_unknown(tmp_path: Path) -> None:
    analysis = from_handler(tmp_path, "import boto3\n\ndef handler(event, context):\n    event.put_item(Item={})\n")
    assert reasons(analysis) == [
        "calls put_item on `event`, a parameter of handler() whose value the analysis cannot follow: "
        "no call the analysis can follow passes it (it is called from outside the analysed files, or through a value it cannot follow)"
    ]


def test_a_thread_target_is_called_with_its_args_and_kwargs(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
import threading
from threading import Thread

def save(target, item, *, key=None):
    target.put_item(Item=item)

def remove(target):
    target.delete_item(Key={})

def handler(event, context):
    threading.Thread(target=save, args=(table, event), kwargs={"key": "pk"}).start()
    Thread(None, remove, "remover", (table,)).start()
""",
    )
    assert (tables(analysis), analysis.unresolved) == ([("PutItem", "env:TABLE_NAME"), ("DeleteItem", "env:TABLE_NAME")], ())


def test_executor_submit_and_map_call_the_function(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
import concurrent.futures

def load(target, key):
    return target.get_item(Key={"pk": key})

def store(item):
    table.put_item(Item=item)

def handler(event, context):
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as executor:
        futures = [executor.submit(load, table, key=k) for k in event["keys"]]
        list(executor.map(store, event["items"]))
    return [f.result() for f in futures]
""",
    )
    assert (tables(analysis), analysis.unresolved) == ([("GetItem", "env:TABLE_NAME"), ("PutItem", "env:TABLE_NAME")], ())


def test_the_threaded_fixture_follows_thread_and_executor(tmp_path: Path) -> None:
    source = (Path(__file__).parent / "fixtures" / "code" / "threaded" / "handler.py").read_text()
    analysis = from_handler(tmp_path, source)
    assert (operations(analysis), analysis.unreachable) == ([("put_item", "PutItem"), ("get_item", "GetItem"), ("delete_item", "DeleteItem")], ())


def test_a_function_handed_to_unseen_code_from_reached_code_is_reached(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
import atexit
from retrying import retry_call

def flush():
    table.put_item(Item={"pk": "last"})

def write(event):
    table.update_item(Key=event["key"])

atexit.register(flush)

def handler(event, context):
    retry_call(write, event)

def unused():
    retry_call(lambda: table.scan())
""",
    )
    assert operations(analysis) == [("put_item", "PutItem"), ("update_item", "UpdateItem")]
    assert [r.line for r in analysis.unreachable] == [21]


def test_an_injected_table_with_a_fallback_is_the_fallback_when_no_caller_passes_one(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        {
            "repository.py": """\
import os
import boto3

class OrderRepository:
    def __init__(self, table=None):
        self.table = table or boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

    def add(self, order):
        self.table.put_item(Item=order)
""",
            "handler.py": "from repository import OrderRepository\n\nrepository = OrderRepository()\n\n"
            "def handler(event, context):\n    repository.add(event)\n",
            "test_repository.py": "from unittest.mock import MagicMock\nfrom repository import OrderRepository\n\n"
            "def test_add():\n    OrderRepository(MagicMock()).add({})\n",
        },
    )
    assert (tables(analysis), analysis.unresolved) == ([("PutItem", "env:TABLE_NAME")], ())


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("missing.handler", "handler 'missing.handler': code/ has no module 'missing'"),
        ("handler.main", "handler 'handler.main': code/handler.py defines no 'main'"),
        ("handler", "handler 'handler' is not of the form module.function"),
    ],
)
def test_a_handler_that_is_not_in_the_folder_is_a_value_error(tmp_path: Path, handler: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        from_handler(tmp_path, TABLE + "def handler(event, context):\n    table.scan()\n", handler=handler)
    assert str(error.value) == message


def test_a_route_registered_by_a_decorator_is_reached_when_its_module_is(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

app = APIGatewayRestResolver()

@app.get("/orders/<order_id>")
def get_order(order_id):
    return table.get_item(Key={"pk": order_id}).get("Item")

def reindex():
    table.scan()

def lambda_handler(event, context):
    return app.resolve(event, context)
""",
        handler="handler.lambda_handler",
    )
    assert (operations(analysis), [r.line for r in analysis.unreachable]) == ([("get_item", "GetItem")], [15])


def test_request_items_bound_to_a_name_are_read_where_it_is_bound(tmp_path: Path) -> None:
    analysis = analysed(
        tmp_path,
        """\
import os
import boto3

ORDERS = os.environ["ORDERS_TABLE"]

def handler(event, context):
    request = {ORDERS: {"Keys": [{"pk": k} for k in event["keys"]]}, os.environ["USERS_TABLE"]: {"Keys": []}}
    return boto3.resource("dynamodb").batch_get_item(RequestItems=request)
""",
    )
    assert tables(analysis) == [("BatchGetItem", "env:ORDERS_TABLE"), ("BatchGetItem", "env:USERS_TABLE")]


def test_transaction_entries_in_a_module_constant(tmp_path: Path) -> None:
    body = '    client.transact_get_items(TransactItems=LOOKUPS)\n\nLOOKUPS = [{"Get": {"TableName": ARCHIVE, "Key": {"pk": {"S": "x"}}}}]\n'
    assert transaction(analysed(tmp_path, TRANSACTION + body)) == [(9, "env:ARCHIVE_TABLE", ("dynamodb:GetItem",))]


def test_a_thread_subclass_runs_its_run_method(tmp_path: Path) -> None:
    analysis = from_handler(
        tmp_path,
        TABLE
        + """
import threading

class Flusher(threading.Thread):
    def __init__(self, items):
        super().__init__(daemon=True)
        self.items = items

    def run(self):
        for item in self.items:
            table.put_item(Item=item)

def handler(event, context):
    Flusher(event["items"]).start()
""",
    )
    assert (operations(analysis), analysis.unreachable) == ([("put_item", "PutItem")], ())


def test_transaction_entries_handed_to_other_code_are_not_literal(tmp_path: Path) -> None:
    body = """\
    items = [{"Put": {"TableName": ORDERS, "Item": event["order"]}}]
    add_audit_entries(items)
    client.transact_write_items(TransactItems=items)
"""
    analysis = analysed(tmp_path, TRANSACTION + body)
    assert (analysis.calls, reasons(analysis)) == ((), ["the entries of transact_write_items are not literal: which item actions it needs cannot be read"])


@settings(max_examples=25, deadline=None)
@given(st.permutations(SNIPPETS))
def test_what_the_handler_reaches_does_not_depend_on_the_order_of_the_code(order: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        analysis = from_handler(Path(folder), "import boto3\n\n" + "\n".join(order))
    assert sorted((c.method, c.table) for c in analysis.calls) == [("get_item", "T"), ("put_item", "T"), ("query", "T"), ("scan", "T")]
    assert (analysis.unresolved, analysis.unreachable) == ((), ())
