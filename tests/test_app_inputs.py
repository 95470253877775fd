"""Bad inputs to the app (cdktf.json, LAMBDA_DYNAMODB_* variables): each is a named problem
(field, value cut to 80 characters, rule) and exit 2, never a traceback.

Each case runs the app in its own process, as the cdktf CLI does, and compares its whole
stderr: a traceback, or a value echoed whole, fails the comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import main
from lambda_dynamodb.config.errors import problem

from conftest import PROJECT_DIR

REFERENCE_CONTEXT = main.load_context()
S3 = {"type": "s3", "bucket": "team-state", "key": "lambda-dynamodb.tfstate", "region": "eu-west-1", "dynamodbTable": "tf-locks"}
TOKEN_RULE = (
    "literal text, without a CDKTF token marker such as ${TfToken[...]}: "
    "cdktf.json and the environment hold settings, never Terraform values"
)
SETTING_VARIABLES = (
    "LAMBDA_DYNAMODB_REGION, LAMBDA_DYNAMODB_TABLE_NAME, LAMBDA_DYNAMODB_FUNCTION_NAME, LAMBDA_DYNAMODB_ROLE_NAME, "
    "LAMBDA_DYNAMODB_POLICY_NAME, LAMBDA_DYNAMODB_ACCESS, LAMBDA_DYNAMODB_LOGS, LAMBDA_DYNAMODB_RUNTIME, "
    "LAMBDA_DYNAMODB_ARCHITECTURE, LAMBDA_DYNAMODB_TRACING, LAMBDA_DYNAMODB_LOG_RETENTION_DAYS, "
    "LAMBDA_DYNAMODB_CHECK_CODE, LAMBDA_DYNAMODB_NAME_SUFFIX, LAMBDA_DYNAMODB_BACKEND"
)
OTHER_VARIABLES = "LAMBDA_DYNAMODB_STATE_DIR, LAMBDA_DYNAMODB_STOCK_PROVIDER"
NESTING_RULE = "nested no deeper than Python's JSON reader goes (about 1000 levels)"
#: Python's int() limit for text (sys.get_int_max_str_digits(), 4300 unless changed).
MAX_DIGITS = sys.get_int_max_str_digits()


def run_app(tmp_path: Path, document: str, environ: dict[str, str] | None = None) -> tuple[int, str]:
    """``python`` running the app on ``document`` (cdktf.json's text, in ``tmp_path``, named
    ``cdktf.json`` in problems): its exit code and stderr."""
    (tmp_path / "cdktf.json").write_text(document, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    path = [str(PROJECT_DIR / "modules"), str(PROJECT_DIR), env.get("PYTHONPATH", "")]
    env.update({"PYTHONPATH": os.pathsep.join(p for p in path if p), "CDKTF_OUTDIR": str(tmp_path / "cdktf.out")})
    env.update(environ or {})
    code = "import sys, main; from pathlib import Path; sys.exit(main.main(Path('cdktf.json')))"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stderr


def with_context(**changes: Any) -> str:
    return json.dumps({"app": "x", "context": {**REFERENCE_CONTEXT, **changes}})


def one_problem(line: str) -> str:
    return f"error: 1 configuration problem:\n  - {line}\n"


def assert_refused(tmp_path: Path, document: str, environ: dict[str, str] | None, line: str) -> None:
    assert run_app(tmp_path, document, environ) == (2, one_problem(line))
    assert not (tmp_path / "cdktf.out").exists()


@pytest.mark.parametrize(
    ("document", "environ", "line"),
    [
        (
            '{"context": ' + "[" * 100_000 + "]" * 100_000 + "}",
            None,
            f"cdktf.json 'cdktf.json' is invalid: a readable JSON file, {NESTING_RULE}",
        ),
        (  # 50,000 deep: an environment variable holds at most 128 KiB (Linux's MAX_ARG_STRLEN)
            with_context(),
            {"LAMBDA_DYNAMODB_BACKEND": "[" * 50_000 + "]" * 50_000},
            f"context.backend (set by LAMBDA_DYNAMODB_BACKEND) '{'[' * 79}\u2026 (100000 characters) is invalid: JSON {NESTING_RULE}",
        ),
    ],
    ids=["cdktf.json", "LAMBDA_DYNAMODB_BACKEND"],
)
def test_json_nested_100000_deep_is_named(tmp_path: Path, document: str, environ: dict[str, str] | None, line: str) -> None:
    assert_refused(tmp_path, document, environ, line)


@pytest.mark.parametrize(
    ("document", "environ", "field"),
    [
        (with_context(logRetentionDays="\u0663\u0666\u0665"), None, "context.logRetentionDays"),
        (with_context(), {"LAMBDA_DYNAMODB_LOG_RETENTION_DAYS": "\u0663\u0666\u0665"}, "context.logRetentionDays (set by LAMBDA_DYNAMODB_LOG_RETENTION_DAYS)"),
    ],
    ids=["cdktf.json", "environment"],
)
def test_log_retention_days_in_arabic_indic_digits_is_named(tmp_path: Path, document: str, environ: dict[str, str] | None, field: str) -> None:
    # int("٣٦٥") is 365: Python reads any script's digits; the setting takes 0-9 only.
    assert_refused(tmp_path, document, environ, f"{field} '\u0663\u0666\u0665' is invalid: a whole number written with the digits 0-9")


DIGITS = "1" * 5000


@pytest.mark.parametrize(
    ("document", "environ", "line"),
    [
        (
            with_context(logRetentionDays=0).replace('"logRetentionDays": 0', f'"logRetentionDays": {DIGITS}'),
            None,
            f"context.logRetentionDays {'1' * 80}\u2026 (5000 characters) is invalid: a whole number of at most {MAX_DIGITS} digits",
        ),
        (
            with_context(logRetentionDays=DIGITS),
            None,
            f"context.logRetentionDays '{'1' * 79}\u2026 (5000 characters) is invalid: a whole number of at most {MAX_DIGITS} digits",
        ),
        (
            with_context(),
            {"LAMBDA_DYNAMODB_LOG_RETENTION_DAYS": DIGITS},
            "context.logRetentionDays (set by LAMBDA_DYNAMODB_LOG_RETENTION_DAYS) "
            f"'{'1' * 79}\u2026 (5000 characters) is invalid: a whole number of at most {MAX_DIGITS} digits",
        ),
    ],
    ids=["JSON number", "JSON string", "environment"],
)
def test_log_retention_days_of_5000_digits_is_named(tmp_path: Path, document: str, environ: dict[str, str] | None, line: str) -> None:
    # int() refuses text of more than 4300 digits with ValueError, and so does json.loads.
    assert_refused(tmp_path, document, environ, line)


@pytest.mark.parametrize(
    ("document", "environ", "field"),
    [
        (with_context(backend={**S3, "dynamodbTable": 5}), None, "context.backend.dynamodbTable"),
        (with_context(), {"LAMBDA_DYNAMODB_BACKEND": json.dumps({**S3, "dynamodbTable": 5})}, "context.backend.dynamodbTable (set by LAMBDA_DYNAMODB_BACKEND)"),
    ],
    ids=["cdktf.json", "environment"],
)
def test_a_number_for_a_backend_string_is_named(tmp_path: Path, document: str, environ: dict[str, str] | None, field: str) -> None:
    assert_refused(tmp_path, document, environ, f"{field} 5 is invalid: a DynamoDB table name: 3 to 255 characters of A-Z a-z 0-9 _ . -")


def test_use_lockfile_no_is_refused_not_read_as_true(tmp_path: Path) -> None:
    document = with_context(backend={**S3, "useLockfile": "no"})
    assert_refused(tmp_path, document, None, "context.backend.useLockfile 'no' is invalid: true or false")


MEGABYTE = 1_048_576


@pytest.mark.parametrize(
    ("document", "environ", "line"),
    [
        (
            with_context(tableName="a" * MEGABYTE),
            None,
            f"context.tableName '{'a' * 79}\u2026 (1048576 characters) is invalid: 3 to 255 characters of A-Z a-z 0-9 _ . -",
        ),
        (
            with_context(backend={**S3, "key": " " * MEGABYTE}),
            None,
            f"context.backend.key '{' ' * 79}\u2026 (1048576 characters) is invalid: the state object's key (required for the s3 backend)",
        ),
    ],
    ids=["tableName", "backend field"],
)
def test_a_1_mb_value_is_echoed_cut_to_80_characters(tmp_path: Path, document: str, environ: dict[str, str] | None, line: str) -> None:
    assert_refused(tmp_path, document, environ, line)


def test_a_1_mb_value_from_the_environment_is_echoed_cut_to_80_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # In this process: no environment variable given to a new process holds 1 MB (128 KiB at most).
    environ = {"CDKTF_OUTDIR": str(tmp_path / "cdktf.out"), "LAMBDA_DYNAMODB_TABLE_NAME": "a" * MEGABYTE}
    assert main.main(main.CDKTF_JSON, environ) == 2
    assert capsys.readouterr().err == one_problem(
        f"context.tableName (set by LAMBDA_DYNAMODB_TABLE_NAME) '{'a' * 79}\u2026 (1048576 characters) is invalid: 3 to 255 characters of A-Z a-z 0-9 _ . -"
    )


def test_a_1_mb_unknown_key_is_cut_too(tmp_path: Path) -> None:
    document = json.dumps({"context": {**REFERENCE_CONTEXT, "k" * MEGABYTE: "v" * MEGABYTE}})
    returncode, stderr = run_app(tmp_path, document)
    assert (returncode, len(stderr) < 1000) == (2, True), stderr[:2000]
    assert stderr.startswith(f"error: 1 configuration problem:\n  - context.{'k' * 80}\u2026 (1048576 characters) '{'v' * 79}\u2026 (1048576 characters) is invalid: a known setting (region, tableName")


def test_problem_shows_a_value_of_80_characters_whole_and_cuts_a_longer_one() -> None:
    assert problem("f", "a" * 80, "r") == f"f '{'a' * 80}' is invalid: r"  # 80 characters of the value
    assert problem("f", "a" * 81, "r") == f"f '{'a' * 79}\u2026 (81 characters) is invalid: r"
    assert problem("f", list(range(40)), "r") == f"f {repr(list(range(40)))[:80]}\u2026 (150 characters) is invalid: r"


@pytest.mark.parametrize(
    ("document", "environ", "line"),
    [
        (with_context(backend={**S3, "key": "${TfToken[TOKEN.1]}"}), None, f"context.backend.key '${{TfToken[TOKEN.1]}}' is invalid: {TOKEN_RULE}"),
        (with_context(), {"LAMBDA_DYNAMODB_REGION": "${TfToken[TOKEN.1]}"}, f"context.region (set by LAMBDA_DYNAMODB_REGION) '${{TfToken[TOKEN.1]}}' is invalid: {TOKEN_RULE}"),
        (with_context(access=["#{TfToken[TOKEN.2]}"]), None, f"context.access[0] '#{{TfToken[TOKEN.2]}}' is invalid: {TOKEN_RULE}"),
    ],
    ids=["backend key", "region from the environment", "access list marker"],
)
def test_a_token_marker_typed_as_a_setting_is_refused(tmp_path: Path, document: str, environ: dict[str, str] | None, line: str) -> None:
    assert_refused(tmp_path, document, environ, line)


def test_a_token_marker_is_refused_where_cdktf_is_loaded_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # In this process CDKTF is loaded (as in tools/deploy.py): Token.is_unresolved is true for
    # the text, and the module's checks would take it for a Terraform value.
    bad = tmp_path / "cdktf.json"
    bad.write_text(with_context(tableName="${TfToken[TOKEN.1]}"))
    assert main.main(bad, {"CDKTF_OUTDIR": str(tmp_path / "cdktf.out")}) == 2
    assert capsys.readouterr().err == one_problem(f"context.tableName '${{TfToken[TOKEN.1]}}' is invalid: {TOKEN_RULE}")
    assert not (tmp_path / "cdktf.out").exists()


def test_an_unknown_lambda_dynamodb_variable_is_refused(tmp_path: Path) -> None:
    line = f"LAMBDA_DYNAMODB_TABLENAME 'Orders' is invalid: a known variable ({SETTING_VARIABLES}; and, not settings, {OTHER_VARIABLES})"
    assert_refused(tmp_path, with_context(), {"LAMBDA_DYNAMODB_TABLENAME": "Orders"}, line)


def test_the_tools_own_variables_are_not_settings_and_not_refused() -> None:
    environ = {"LAMBDA_DYNAMODB_STATE_DIR": "/tmp/state", "LAMBDA_DYNAMODB_STOCK_PROVIDER": "1"}
    assert main.app_settings(REFERENCE_CONTEXT, environ).table_name == "SampleTable"
