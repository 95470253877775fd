"""DynamoDB calls that libraries make on the function's behalf, modelled for the analysis (:mod:`.outside`).

The analysis reads the function's code, not the libraries it imports: a library that calls
DynamoDB inside itself would be missed, and the function would fail with AccessDenied. The
libraries below are modelled by hand, each rule from the library's documentation (and checked
against its source); a library is modelled only where the code imports it.

=====================================  ===============================================  ======
What the code makes or calls           DynamoDB calls (IAM actions) on its table        Source
=====================================  ===============================================  ======
``DynamoDBPersistenceLayer(table)``    GetItem, PutItem, UpdateItem, DeleteItem,        [1]
(Powertools Idempotency)               recorded where the layer is made
``DynamoDBProvider(table)``            ``.get`` GetItem, ``.get_multiple`` Query        [2]
(Powertools Parameters)
PynamoDB ``Model`` subclass            ``get``/``refresh`` GetItem, ``save`` PutItem,   [3]
(table: ``Meta.table_name``)           ``update`` UpdateItem, ``delete`` DeleteItem,
                                       ``query`` Query, ``scan`` Scan, ``batch_get``
                                       BatchGetItem, ``batch_write`` BatchWriteItem,
                                       ``count(hash_key)`` Query, ``count()``
                                       DescribeTable, ``exists``/``describe_table``
                                       DescribeTable, ``create_table`` DescribeTable
                                       and CreateTable, ``delete_table`` DeleteTable
PynamoDB index attribute of a model    ``query``/``count`` Query, ``scan`` Scan, on     [4]
(``Meta.index_name``)                  the model's table and that index
=====================================  ===============================================  ======

[1] Powertools for AWS Lambda (Python), Idempotency, "IAM Permissions": the function's role
    needs dynamodb:GetItem, PutItem, UpdateItem and DeleteItem on the idempotency table
    (https://docs.powertools.aws.dev/lambda/python/latest/utilities/idempotency/). Imported
    from ``aws_lambda_powertools.utilities.idempotency`` or its ``persistence.dynamodb``.
[2] Powertools Parameters, "IAM Permissions": dynamodb:GetItem for ``get``, dynamodb:Query for
    ``get_multiple`` (https://docs.powertools.aws.dev/lambda/python/latest/utilities/parameters/).
[3] PynamoDB, "Model" API (https://pynamodb.readthedocs.io/): each method sends the request of
    its name; ``count()`` without a hash key returns the table's ItemCount from DescribeTable
    (with one it sends a Query with Select=COUNT); ``create_table`` first checks the table
    exists (DescribeTable); ``batch_write`` is a context manager sending BatchWriteItem.
[4] PynamoDB, "Indexes": an index's ``query``/``scan`` send the model's request with IndexName.

Not modelled, reported as unresolved (never ignored): a call into a third-party library (not
boto3/botocore, not the standard library, not code in the folder) that passes a table
(``table_name=``, ``TableName=``, ``table=``), and the classes of the libraries above that take
a table but are not modelled (:data:`UNMODELLED`): their actions must be listed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

_PREFIX = "dynamodb"


def _actions(*operations: str) -> tuple[str, ...]:
    return tuple(sorted(f"{_PREFIX}:{operation}" for operation in operations))


@dataclass(frozen=True)
class Constructor:
    """A library class whose object calls DynamoDB on the table it is given."""

    model: str  # the key of its methods in :data:`METHODS`
    table_keyword: str
    table_position: int
    #: Recorded where the object is made (the library calls whenever it is used): the label and actions.
    at_construction: tuple[str, tuple[str, ...]] | None = None


IDEMPOTENCY = Constructor(
    "idempotency", "table_name", 0, ("Idempotency", _actions("GetItem", "PutItem", "UpdateItem", "DeleteItem"))
)
PARAMETERS = Constructor("parameters", "table_name", 0)

#: Qualified name (as imported) -> the modelled class.
CONSTRUCTORS: dict[str, Constructor] = {
    "aws_lambda_powertools.utilities.idempotency.DynamoDBPersistenceLayer": IDEMPOTENCY,
    "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb.DynamoDBPersistenceLayer": IDEMPOTENCY,
    "aws_lambda_powertools.utilities.parameters.DynamoDBProvider": PARAMETERS,
    "aws_lambda_powertools.utilities.parameters.dynamodb.DynamoDBProvider": PARAMETERS,
}

#: Model -> method -> the operation it sends.
METHODS: dict[str, dict[str, str]] = {
    "idempotency": {},
    "parameters": {"get": "GetItem", "get_multiple": "Query"},
}

PYNAMODB_MODELS = frozenset({"pynamodb.models.Model"})
PYNAMODB_INDEXES = frozenset({"pynamodb.indexes.GlobalSecondaryIndex", "pynamodb.indexes.LocalSecondaryIndex"})

#: PynamoDB ``Model`` method -> the operations it sends (``count`` is decided by its arguments).
PYNAMODB_MODEL_METHODS: dict[str, tuple[str, ...]] = {
    "get": ("GetItem",),
    "refresh": ("GetItem",),
    "save": ("PutItem",),
    "update": ("UpdateItem",),
    "delete": ("DeleteItem",),
    "query": ("Query",),
    "scan": ("Scan",),
    "batch_get": ("BatchGetItem",),
    "batch_write": ("BatchWriteItem",),
    "exists": ("DescribeTable",),
    "describe_table": ("DescribeTable",),
    "create_table": ("CreateTable", "DescribeTable"),
    "delete_table": ("DeleteTable",),
}
#: Methods whose result is the model's items (an instance, or an iterable of them).
PYNAMODB_RETURNS_ITEM = frozenset({"get"})
PYNAMODB_RETURNS_ITEMS = frozenset({"query", "scan", "batch_get"})
PYNAMODB_INDEX_METHODS: dict[str, str] = {"query": "Query", "scan": "Scan", "count": "Query"}

#: Classes of the modelled libraries that take a table but are not modelled.
UNMODELLED = frozenset(
    {
        "pynamodb.connection.Connection",
        "pynamodb.connection.TableConnection",
        "pynamodb.connection.base.Connection",
        "pynamodb.connection.table.TableConnection",
        "pynamodb.transactions.TransactGet",
        "pynamodb.transactions.TransactWrite",
    }
)
#: Keywords that hand a library a table.
TABLE_KEYWORDS = ("table_name", "TableName", "table")


def pynamodb_count(has_hash_key: bool) -> str:
    """``Model.count(hash_key)`` queries; without one it reads the table's ItemCount (DescribeTable)."""
    return "Query" if has_hash_key else "DescribeTable"


def operation_actions(operations: tuple[str, ...]) -> tuple[str, ...]:
    return _actions(*operations)


def unmodelled_reason(name: str) -> str:
    return f"{name} is a library call that takes a table and is not modelled: list the actions it needs"
