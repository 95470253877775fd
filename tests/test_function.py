"""The synthesized function and its log group."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

from lambda_dynamodb.packaging.code_package import archive, build, source_hash_hex

from conftest import PROJECT_DIR, only

FUNCTION = LambdaFunction.TF_RESOURCE_TYPE
LOG_GROUP = CloudwatchLogGroup.TF_RESOURCE_TYPE


def address(doc, resource_type: str) -> str:
    return f"{resource_type}.{next(iter(doc['resource'][resource_type]))}"


def test_runtime_handler_memory_timeout_architecture(synthesized) -> None:
    function = only(synthesized("default"), FUNCTION)
    assert (function["function_name"], function["runtime"], function["handler"]) == ("MyLambdaFunction", "python3.13", "handler.handler")
    assert (function["memory_size"], function["timeout"], function["architectures"]) == (256, 10, ["x86_64"])


def test_function_runs_as_the_role(synthesized) -> None:
    doc = synthesized("default")
    assert only(doc, FUNCTION)["role"] == f"${{{address(doc, IamRole.TF_RESOURCE_TYPE)}.arn}}"


def test_environment_names_the_table_by_reference_and_its_keys(synthesized) -> None:
    # A reference, not a literal: the function depends on the table (as CDK's grant does).
    doc = synthesized("default")
    table = address(doc, DynamodbTable.TF_RESOURCE_TYPE)
    assert only(doc, FUNCTION)["environment"] == {"variables": {"TABLE_NAME": f"${{{table}.name}}", "TABLE_KEY_NAMES": "pk,sk"}}


def test_an_existing_tables_name_is_given_as_it_is(synthesized) -> None:
    # Its key names are only passed on when the settings give them.
    assert only(synthesized("existing_table"), FUNCTION)["environment"] == {"variables": {"TABLE_NAME": "Shared"}}


def test_logs_go_to_the_modules_log_group_as_json(synthesized) -> None:
    doc = synthesized("default")
    assert only(doc, FUNCTION)["logging_config"] == {"log_format": "JSON", "log_group": f"${{{address(doc, LOG_GROUP)}.name}}"}


def test_tracing_is_active_by_default(synthesized) -> None:
    assert only(synthesized("default"), FUNCTION)["tracing_config"] == {"mode": "Active"}


def test_tracing_can_be_pass_through(synthesized) -> None:
    assert only(synthesized("pass_through"), FUNCTION)["tracing_config"] == {"mode": "PassThrough"}


def test_function_waits_for_log_group_and_policy_attachment(synthesized) -> None:
    doc = synthesized("default")
    assert only(doc, FUNCTION)["depends_on"] == [address(doc, LOG_GROUP), address(doc, IamRolePolicyAttachment.TF_RESOURCE_TYPE)]


def test_log_group_name_and_retention(synthesized) -> None:
    log_group = only(synthesized("default"), LOG_GROUP)
    assert (log_group["name"], log_group["retention_in_days"]) == ("/aws/lambda/MyLambdaFunction", 365)


def test_code_hash_is_the_zips_sha256_as_lambda_reports_it(synthesized) -> None:
    import base64
    import hashlib

    from conftest import CONFIGURATIONS

    function = only(synthesized("default"), FUNCTION)
    package = build(CONFIGURATIONS["default"].function).function.path
    # Lambda's CodeSha256 of an uploaded zip: base64 of its SHA-256.
    assert function["source_code_hash"] == base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
    assert function["filename"].startswith("assets/") and function["filename"].endswith("/package.zip")


def test_code_hash_ignores_caches_and_timestamps(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(PROJECT_DIR / "lambda", source, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_hash_hex(source)
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00cache")
    (source / "handler.py").touch()
    assert source_hash_hex(source) == before


def test_code_hash_changes_with_the_code(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(PROJECT_DIR / "lambda", source, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_hash_hex(source)
    with (source / "handler.py").open("a") as handler:
        handler.write("\n# changed\n")
    assert source_hash_hex(source) != before


def test_code_archive_is_reproducible_and_holds_only_code(tmp_path: Path) -> None:
    import zipfile

    source = tmp_path / "src"
    shutil.copytree(PROJECT_DIR / "lambda", source, ignore=shutil.ignore_patterns("__pycache__"))
    first = archive(source, tmp_path / "cache-a").read_bytes()
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\x00cache")
    (source / "handler.py").touch()
    second = archive(source, tmp_path / "cache-b")
    assert second.read_bytes() == first
    assert zipfile.ZipFile(second).namelist() == ["handler.py", "requirements.txt"]


def test_a_built_package_is_deployed_as_it_is(tmp_path: Path) -> None:
    import base64
    import hashlib

    from lambda_dynamodb import LambdaDynamoDb

    from conftest import module_settings, synth_stack

    package = tmp_path / "built.zip"
    shutil.copyfile(archive((PROJECT_DIR / "lambda").resolve()), package)
    settings = module_settings()
    settings = replace(settings, function=replace(settings.function, package=package), check_code=False)
    function = only(synth_stack(tmp_path / "out", lambda stack: LambdaDynamoDb(stack, "module", settings)), FUNCTION)
    # What Terraform's filebase64sha256 gives for the same file.
    assert function["source_code_hash"] == base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
