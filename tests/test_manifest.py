"""The permissions manifest: written next to cdk.tf.json by the synthesis, read back by any tool."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from lambda_dynamodb.iam.permissions import Verdict
from lambda_dynamodb.synthesis.manifest import FILE_NAME, SCHEMA, VERSION, ManifestError, load, load_all

from conftest import PROJECT_DIR

HANDLER = "import os\nimport boto3\n\nTABLE = boto3.resource('dynamodb').Table(os.environ['TABLE_NAME'])\n\n"


# --- synthesized apps ------------------------------------------------------------------------


def code_folder(tmp: Path, body: str) -> Path:
    folder = tmp / "code"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handler.py").write_text(HANDLER + dedent(body))
    return folder


def small_app(
    outdir: Path,
    folder: Path,
    *,
    access: Any = None,
    skip_validation: bool = False,
    extra: Callable[[Any, Any], None] | None = None,
    region: Callable[[Any], str] = lambda stack: "eu-west-1",
) -> Any:
    """One stack ``small`` (a table, a function of ``folder`` using it) in an App writing ``outdir``."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lambda_dynamodb import Access, Function, FunctionSettings, Table, TableSettings

    app = App(outdir=str(outdir), skip_validation=skip_validation)
    stack = TerraformStack(app, "small")
    AwsProvider(stack, "aws", region=region(stack))
    function = Function(stack, "reader", FunctionSettings(name="reader", source_dir=folder))
    function.use(Table(stack, "items", TableSettings(name="Items")), access=access or Access.READ)
    if extra is not None:
        extra(stack, function)
    return app


def manifest_json(stack_dir: Path) -> dict[str, Any]:
    return dict(json.loads((stack_dir / FILE_NAME).read_text()))


# --- what the synthesis writes ---------------------------------------------------------------


def test_the_manifest_is_next_to_cdk_tf_json(app_stack_dir: Path) -> None:
    assert sorted(p.name for p in app_stack_dir.iterdir() if p.is_file()) == ["cdk.tf.json", FILE_NAME]


def test_the_manifest_names_its_schema_version_stack_and_region(app_stack_dir: Path) -> None:
    document = manifest_json(app_stack_dir)
    assert (document["schema"], document["version"]) == (SCHEMA, VERSION) == ("lambda-dynamodb.permissions", 1)
    assert (document["stack"], document["region"], document["partition"]) == ("lambda-dynamodb", "eu-west-1", "aws")
    assert document["generator"]["package"] == "cdktf-lambda-dynamodb"


def test_a_row_has_its_why_and_verdict(app_stack_dir: Path) -> None:
    (function,) = load(app_stack_dir).functions
    put = next(row for row in function.permissions if row.action == "dynamodb:PutItem")
    assert put.resource == "arn:aws:dynamodb:eu-west-1:<account>:table/SampleTable"
    assert put.verdict is Verdict.USED
    assert len(put.why) == 1 and put.why[0].startswith("lambda/handler.py:") and put.why[0].endswith(" put_item")


def test_the_unused_grant_is_a_row_and_a_warning(app_stack_dir: Path) -> None:
    (function,) = load(app_stack_dir).functions
    (unused,) = [row for row in function.permissions if row.verdict is Verdict.UNUSED]
    assert (unused.action, unused.why) == ("dynamodb:BatchGetItem", ("granted by the access list only",))
    assert function.warnings == ("dynamodb:BatchGetItem is granted but no code in lambda/ calls it",)


def test_the_calls_have_file_and_line(app_stack_dir: Path) -> None:
    (function,) = load(app_stack_dir).functions
    put = next(call for call in function.calls if call.method == "put_item")
    source = (PROJECT_DIR / "lambda" / "handler.py").read_text().splitlines()
    assert put.file == "lambda/handler.py" and "put_item(" in source[put.line - 1]
    assert (put.operation, put.actions) == ("PutItem", ("dynamodb:PutItem",))
    assert f"{put.file}:{put.line} put_item" in next(r for r in function.permissions if r.action == "dynamodb:PutItem").why


def test_the_role_and_function_have_their_terraform_addresses(app_stack_dir: Path, app_stack: dict[str, Any]) -> None:
    (function,) = load(app_stack_dir).functions
    resources = app_stack["resource"]
    kind, name = function.address.split(".")
    assert resources[kind][name]["function_name"] == function.name == "MyLambdaFunction"
    assert function.role.address is not None
    kind, name = function.role.address.split(".")
    assert resources[kind][name]["name"] == function.role.name == "MyLambdaRole"
    kind, name = function.role.policy_address.split(".")
    assert resources[kind][name]["name"] == function.role.policy == "MyLambdaPolicy"
    assert function.path == "lambda-dynamodb/app/function" and function.role.existing is False


def test_the_package_sha256_is_the_zips_in_the_stack_folder(app_stack_dir: Path, app_stack: dict[str, Any]) -> None:
    (function,) = load(app_stack_dir).functions
    package = function.package
    assert package is not None and package.origin.value == "built"
    zipped = app_stack_dir / package.file
    assert package.file == next(iter(app_stack["resource"]["aws_lambda_function"].values()))["filename"]
    assert package.sha256 == hashlib.sha256(zipped.read_bytes()).hexdigest()
    with zipfile.ZipFile(zipped) as bundle:
        files = [info for info in bundle.infolist() if not info.is_dir()]
    assert (package.bytes, package.files, package.unzipped_bytes) == (zipped.stat().st_size, len(files), sum(i.file_size for i in files))


def test_the_tables_name_their_access_and_variable(app_stack_dir: Path) -> None:
    (function,) = load(app_stack_dir).functions
    (table,) = function.tables
    assert (table.name, table.env) == ("SampleTable", "TABLE_NAME")
    assert "dynamodb:PutItem" in table.actions and table.arn.endswith(":table/SampleTable")


def test_every_function_of_the_example_is_listed_by_construct_path(example_stack_dir: Path) -> None:
    manifest = load(example_stack_dir)
    assert [f.path for f in manifest.functions] == [f"orders-service/{name}" for name in ("http", "intake", "stream", "sync")]
    assert [f.name for f in manifest.functions] == ["orders-http", "orders-intake", "orders-stream", "orders-sync"]


def test_the_examples_triggers_and_url_are_recorded(example_stack_dir: Path) -> None:
    functions = {f.name: f for f in load(example_stack_dir).functions}
    (stream,) = functions["orders-stream"].triggers
    assert (stream.kind.value, stream.source) == ("stream", "arn:aws:dynamodb:eu-west-1:<account>:table/Orders/stream/*")
    (queue,) = functions["orders-intake"].triggers
    assert (queue.kind.value, queue.source) == ("queue", "${aws_sqs_queue.intake_queue.arn}")
    url = functions["orders-http"].url
    assert url is not None and (url.auth, url.public) == ("AWS_IAM", False)
    assert functions["orders-sync"].url is None and functions["orders-sync"].triggers == ()


def test_the_sync_functions_two_tables_are_each_granted_its_call(example_stack_dir: Path) -> None:
    sync = next(f for f in load(example_stack_dir).functions if f.name == "orders-sync")
    assert {(t.name, t.access, t.env, t.actions) for t in sync.tables} == {
        ("Orders", "from_code", "TABLE_NAME", ("dynamodb:GetItem",)),
        ("Archive", "from_code", "ARCHIVE_TABLE", ("dynamodb:PutItem",)),
    }


def test_no_terraform_token_is_left_in_the_manifest(example_stack_dir: Path) -> None:
    text = (example_stack_dir / FILE_NAME).read_text()
    assert "TfToken" not in text and "${aws_sqs_queue.intake_queue.arn}" in text


def test_two_synths_give_the_same_bytes(app_stack_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import main

    monkeypatch.chdir(PROJECT_DIR)
    main.build_app(main.app_settings(main.load_context(), {}), tmp_path).synth()
    assert (tmp_path / "stacks" / "lambda-dynamodb" / FILE_NAME).read_bytes() == (app_stack_dir / FILE_NAME).read_bytes()


def test_text_and_tokens_are_data_in_the_manifest(tmp_path: Path) -> None:
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

    from lambda_dynamodb.iam.policy import Arn, Statement

    odd = 'arn:aws:s3:::odd/"quoted"\\back\nline ${not.a.reference} %{ if }'

    def extra(stack: Any, function: Any) -> None:
        bucket = S3Bucket(stack, "bucket", bucket="odd")
        function.add_statements(Statement(("s3:GetObject",), (Arn.of(bucket.arn), Arn.of(odd))))

    folder = code_folder(tmp_path, "def handler(event, context):\n    return TABLE.get_item(Key=event)\n")
    small_app(tmp_path / "out", folder, extra=extra).synth()
    stack_dir = tmp_path / "out" / "stacks" / "small"
    (function,) = load(stack_dir).functions
    resources = [row.resource for row in function.permissions if row.action == "s3:GetObject"]
    assert resources == ["${aws_s3_bucket.bucket.arn}", odd]
    assert "TfToken" not in (stack_dir / FILE_NAME).read_text()


def test_a_region_only_terraform_knows_is_left_as_a_placeholder(tmp_path: Path) -> None:
    from cdktf import TerraformVariable

    folder = code_folder(tmp_path, "def handler(event, context):\n    return TABLE.get_item(Key=event)\n")
    small_app(tmp_path / "out", folder, region=lambda stack: TerraformVariable(stack, "region", type="string").string_value).synth()
    manifest = load(tmp_path / "out" / "stacks" / "small")
    assert (manifest.region, manifest.partition) == (None, None)
    get = next(row for row in manifest.functions[0].permissions if row.action == "dynamodb:GetItem")
    assert get.resource == "arn:<partition>:dynamodb:<region>:<account>:table/Items"


def test_a_stack_whose_check_fails_gets_no_manifest(tmp_path: Path) -> None:
    folder = code_folder(tmp_path, "def handler(event, context):\n    TABLE.put_item(Item=event)\n")
    app = small_app(tmp_path / "out", folder)
    with pytest.raises(Exception, match=r"put_item \(dynamodb:PutItem\)"):
        app.synth()
    assert not (tmp_path / "out" / "stacks" / "small" / FILE_NAME).exists()


def test_with_validation_skipped_the_missing_call_is_a_row_and_an_error(tmp_path: Path) -> None:
    folder = code_folder(tmp_path, "def handler(event, context):\n    TABLE.put_item(Item=event)\n")
    small_app(tmp_path / "out", folder, skip_validation=True).synth()
    (function,) = load(tmp_path / "out" / "stacks" / "small").functions
    (missing,) = function.missing
    assert (missing.action, missing.resource) == ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:<account>:table/Items")
    assert len(function.errors) == 1 and "which access 'read' does not grant" in function.errors[0]


def test_a_stack_with_an_error_annotation_gets_no_manifest(tmp_path: Path) -> None:
    from cdktf import Annotations, TerraformStack

    from lambda_dynamodb.synthesis.manifest_writer import manifest_writer

    folder = code_folder(tmp_path, "def handler(event, context):\n    return TABLE.get_item(Key=event)\n")
    app = small_app(tmp_path / "out", folder)
    stack = next(node for node in app.node.children if isinstance(node, TerraformStack))
    stale = tmp_path / "stack"
    stale.mkdir()
    (stale / FILE_NAME).write_text("{}")
    Annotations.of(stack).add_error("something else is wrong")
    assert manifest_writer(stack).write(stale) is None
    assert not (stale / FILE_NAME).exists()


def test_the_file_is_written_whole(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.manifest_writer import _write_atomically

    target = tmp_path / FILE_NAME
    target.write_bytes(b"old")
    _write_atomically(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == [FILE_NAME]


# --- reading it back: one test per rule ------------------------------------------------------


@pytest.fixture()
def outdir(app_stack_dir: Path, tmp_path: Path) -> Path:
    """A copy of the reference app's output (manifest and stack listing only)."""
    out = tmp_path / "cdktf.out"
    (out / "stacks" / "lambda-dynamodb").mkdir(parents=True)
    shutil.copy(app_stack_dir / FILE_NAME, out / "stacks" / "lambda-dynamodb" / FILE_NAME)
    shutil.copy(app_stack_dir.parent.parent / "manifest.json", out / "manifest.json")
    return out


def rewrite(outdir: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    path = outdir / "stacks" / "lambda-dynamodb" / FILE_NAME
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path.parent


def test_load_all_reads_every_stack(outdir: Path) -> None:
    assert [m.stack for m in load_all(outdir)] == ["lambda-dynamodb"]


def test_reading_without_cdktf_out_says_to_synthesize(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=rf"^{tmp_path / 'cdktf.out'}: no such folder: run cdktf synth first$"):
        load_all(tmp_path / "cdktf.out")


def test_reading_a_folder_without_stacks_says_to_synthesize(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no synthesized stack \(no stacks/ folder\): run cdktf synth first"):
        load_all(tmp_path)


def test_an_unknown_stack_is_named_with_the_stacks_there(outdir: Path) -> None:
    with pytest.raises(ManifestError, match=r": no stack named 'orders' \(the stacks there: lambda-dynamodb\)$"):
        load_all(outdir, "orders")


def test_a_stack_without_manifest_says_why(outdir: Path) -> None:
    (outdir / "stacks" / "lambda-dynamodb" / FILE_NAME).unlink()
    with pytest.raises(ManifestError) as error:
        load_all(outdir, "lambda-dynamodb")
    assert str(error.value) == (
        f"{outdir / 'stacks' / 'lambda-dynamodb'}: no {FILE_NAME}: "
        "the stack uses no function of cdktf-lambda-dynamodb, or was synthesized by an older version"
    )


def test_an_app_without_any_manifest_says_why(outdir: Path) -> None:
    (outdir / "stacks" / "lambda-dynamodb" / FILE_NAME).unlink()
    with pytest.raises(ManifestError, match=rf"^{outdir}: no stack has a {FILE_NAME} \(stacks: lambda-dynamodb\): the stack uses no function"):
        load_all(outdir)


def test_a_stack_folder_cdktf_no_longer_lists_is_not_read(outdir: Path) -> None:
    (outdir / "stacks" / "removed").mkdir()
    shutil.copy(outdir / "stacks" / "lambda-dynamodb" / FILE_NAME, outdir / "stacks" / "removed" / FILE_NAME)
    assert [m.stack for m in load_all(outdir)] == ["lambda-dynamodb"]


def test_invalid_json_is_refused_by_file(outdir: Path) -> None:
    path = outdir / "stacks" / "lambda-dynamodb" / FILE_NAME
    path.write_text('{"schema": ')
    with pytest.raises(ManifestError, match=rf"^{path}: not valid JSON \("):
        load(path.parent)


def test_another_schema_is_refused(outdir: Path) -> None:
    folder = rewrite(outdir, lambda d: d.update(schema="something.else"))
    with pytest.raises(ManifestError, match=r"schema 'something.else' is not 'lambda-dynamodb.permissions'"):
        load(folder)


def test_an_unknown_version_is_refused(outdir: Path) -> None:
    folder = rewrite(outdir, lambda d: d.update(version=2))
    with pytest.raises(ManifestError, match=r"schema version 2 is unknown to this reader \(it reads version 1\)"):
        load(folder)


def test_a_missing_field_is_named(outdir: Path) -> None:
    folder = rewrite(outdir, lambda d: d["functions"][0]["role"].pop("policy"))
    with pytest.raises(ManifestError, match=r": manifest\.functions\[0\]\.role\.policy is missing$"):
        load(folder)


def test_a_field_of_the_wrong_type_is_named(outdir: Path) -> None:
    folder = rewrite(outdir, lambda d: d["functions"][0]["permissions"][0].update(verdict="fine"))
    with pytest.raises(ManifestError, match=r"manifest\.functions\[0\]\.permissions\[0\]\.verdict is \"fine\": one of 'used', "):
        load(folder)


def test_a_field_added_later_is_ignored(outdir: Path) -> None:
    folder = rewrite(outdir, lambda d: d["functions"][0].update(added_in_a_later_release={"x": 1}))
    assert load(folder).functions[0].name == "MyLambdaFunction"


def test_what_is_read_writes_back_the_same(app_stack_dir: Path) -> None:
    assert load(app_stack_dir).to_json() == (app_stack_dir / FILE_NAME).read_bytes()
