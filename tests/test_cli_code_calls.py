"""``lambda-dynamodb code-calls``: the analysis of one folder, as text or JSON, and its bad inputs."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from lambda_dynamodb.cli.main import main

from conftest import PROJECT_DIR

#: A small service: the handler writes to the table its environment names, reads a literal one,
#: calls a method on a value it cannot follow; a script the handler never runs seeds a table.
SERVICE = {
    "app/__init__.py": "",
    "app/db.py": """\
        import os
        import boto3

        orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
        audit = boto3.resource("dynamodb").Table("Audit")
        """,
    "app/main.py": """\
        from app.db import audit, orders


        def handler(event, context):
            orders.put_item(Item=event)
            audit.query(IndexName="by_day", KeyConditionExpression="d = :d")
            event["store"].delete_item(Key={})
        """,
    "scripts/seed.py": """\
        import boto3

        def seed():
            boto3.client("dynamodb").put_item(TableName="Seed", Item={})
        """,
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The service in tmp_path/svc/code, run from tmp_path: the analysis names files ``svc/code/...``."""
    monkeypatch.chdir(tmp_path)
    return write(tmp_path / "svc" / "code", SERVICE)


def code_calls(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["code-calls", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_is_one_line_per_call_then_the_unresolved(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = code_calls(capsys, str(service))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "app/main.py:5 put_item -> dynamodb:PutItem on env:ORDERS_TABLE",
        "app/main.py:6 query -> dynamodb:Query on Audit index by_day",
        "scripts/seed.py:4 put_item -> dynamodb:PutItem on Seed",
        "",
        "unresolved (1): calls the analysis cannot read, a permission check fails on them",
        "app/main.py:7 calls delete_item on `event['store']`, whose value the analysis cannot follow (a parameter, or passed in from elsewhere)",
    ]


def test_text_with_a_handler_lists_what_it_never_reaches(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = code_calls(capsys, str(service), "--handler", "app.main.handler")
    assert code == 0
    assert out.splitlines()[-2:] == [
        "unreachable from app.main.handler (1): listed, granting nothing",
        "scripts/seed.py:4 put_item -> dynamodb:PutItem on Seed",
    ]


def test_json_is_exactly_calls_unresolved_and_unreachable(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = code_calls(capsys, str(service), "--handler", "app.main.handler", "--json")
    assert code == 0
    assert json.loads(out) == {
        "calls": [
            {
                "file": "app/main.py",
                "line": 5,
                "method": "put_item",
                "operation": "PutItem",
                "actions": ["dynamodb:PutItem"],
                "table": "env:ORDERS_TABLE",
                "index": None,
            },
            {
                "file": "app/main.py",
                "line": 6,
                "method": "query",
                "operation": "Query",
                "actions": ["dynamodb:Query"],
                "table": "Audit",
                "index": "by_day",
            },
        ],
        "unresolved": [
            {
                "file": "app/main.py",
                "line": 7,
                "reason": "calls delete_item on `event['store']`, whose value the analysis cannot follow (a parameter, or passed in from elsewhere)",
            }
        ],
        "unreachable": [
            {
                "file": "scripts/seed.py",
                "line": 4,
                "method": "put_item",
                "operation": "PutItem",
                "actions": ["dynamodb:PutItem"],
                "table": "Seed",
                "index": None,
            }
        ],
    }


def test_json_files_are_relative_to_source_dir_from_any_working_directory(
    service: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside the folder's parents, the analysis names files by the folder's name (code/...).
    monkeypatch.chdir(PROJECT_DIR)
    _, out, _ = code_calls(capsys, str(service), "--json")
    assert sorted({call["file"] for call in json.loads(out)["calls"]}) == ["app/main.py", "scripts/seed.py"]


def test_json_table_is_null_when_the_code_does_not_name_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = 'import boto3\n\ndef handler(event, context):\n    boto3.resource("dynamodb").Table(f"orders-{event}").scan()\n'
    root = write(tmp_path / "code", {"handler.py": source})
    _, out, _ = code_calls(capsys, str(root), "--json")
    assert [(call["method"], call["table"]) for call in json.loads(out)["calls"]] == [("scan", None)]


def test_json_actions_are_a_sorted_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = """\
        import boto3

        boto3.client("dynamodb").transact_write_items(TransactItems=[
            {"Update": {"TableName": "Orders"}},
            {"Delete": {"TableName": "Orders"}},
            {"Put": {"TableName": "Orders"}},
        ])
        """
    root = write(tmp_path / "code", {"handler.py": source})
    _, out, _ = code_calls(capsys, str(root), "--json")
    assert [call["actions"] for call in json.loads(out)["calls"]] == [["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]]


def test_exclude_leaves_files_out(service: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = code_calls(capsys, str(service), "--exclude", "scripts", "--exclude", "*.md", "--json")
    assert {call["file"] for call in json.loads(out)["calls"]} == {"app/main.py"}


def test_a_folder_without_calls_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = write(tmp_path / "code", {"handler.py": "def handler(event, context):\n    return event\n"})
    code, out, _ = code_calls(capsys, str(root))
    assert (code, out) == (0, "no DynamoDB call found in code/\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "SOURCE_DIR 'missing' is invalid: an existing folder holding the function's code (nothing is there)"),
        (["svc/code/app/main.py"], "SOURCE_DIR 'svc/code/app/main.py' is invalid: an existing folder holding the function's code (it is a file)"),
        (
            ["svc/code", "--handler", "handler"],
            "--handler 'handler' is invalid: module.function, e.g. handler.handler, or app.main.handler for app/main.py",
        ),
        (
            ["svc/code", "--handler", "app/main.handler"],
            "--handler 'app/main.handler' is invalid: module.function, e.g. handler.handler, or app.main.handler for app/main.py",
        ),
        (
            ["svc/code", "--handler", "app.api.handler"],
            "--handler 'app.api.handler' is invalid: its module must be a .py file (or a package) in SOURCE_DIR (svc/code/ has no app/api.py)",
        ),
        (
            ["svc/code", "--handler", "app.main.main"],
            "--handler 'app.main.main' is invalid: its function must be defined at the top level of its module (svc/code/app/main.py defines no 'main')",
        ),
        (
            ["svc/code", "--exclude", "../secrets"],
            "--exclude '../secrets' is invalid: a glob pattern relative to SOURCE_DIR (not absolute, no '..'), e.g. tests or scripts/*.py",
        ),
    ],
    ids=["missing folder", "not a folder", "handler without a dot", "handler as a path", "handler module missing", "handler function missing", "exclude outside"],
)
def test_bad_input_exits_2_naming_the_argument_the_value_and_the_rule(
    service: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = code_calls(capsys, *args)
    assert (code, out, err) == (2, "", f"lambda-dynamodb code-calls: {message}\n")


def test_the_installed_command_reads_the_sample_function() -> None:
    command = [str(PROJECT_DIR / ".venv" / "bin" / "lambda-dynamodb"), "code-calls", "lambda", "--handler", "handler.handler", "--json"]
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    report = json.loads(result.stdout)
    assert set(report) == {"calls", "unresolved", "unreachable"}
    assert (report["unresolved"], report["unreachable"]) == ([], [])
    calls = report["calls"]
    assert all(set(call) == {"file", "line", "method", "operation", "actions", "table", "index"} for call in calls)
    assert {call["file"] for call in calls} == {"handler.py"}
    # The sample's DynamoDB calls: one per route of its API, on the table its environment names
    # (a batch write names its table in RequestItems, from a value the analysis cannot read).
    assert sorted((call["method"], call["actions"], call["table"]) for call in calls) == [
        ("batch_write_item", ["dynamodb:BatchWriteItem"], None),
        ("get_item", ["dynamodb:GetItem"], "env:TABLE_NAME"),
        ("put_item", ["dynamodb:PutItem"], "env:TABLE_NAME"),
        ("query", ["dynamodb:Query"], "env:TABLE_NAME"),
        ("scan", ["dynamodb:Scan"], "env:TABLE_NAME"),
        ("update_item", ["dynamodb:UpdateItem"], "env:TABLE_NAME"),
    ]
