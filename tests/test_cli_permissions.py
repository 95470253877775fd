"""``lambda-dynamodb permissions``: the roles of any app's cdktf.out, read from its manifests only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_dynamodb.cli.main import main
from lambda_dynamodb.synthesis.manifest import FILE_NAME

from conftest import PROJECT_DIR
from test_manifest import code_folder, small_app

REFERENCE_HEADER = "Permissions of role MyLambdaRole (policy MyLambdaPolicy), function MyLambdaFunction:"
READS = "def handler(event, context):\n    return TABLE.get_item(Key=event)\n"
WRITES = "def handler(event, context):\n    TABLE.put_item(Item=event)\n"


@pytest.fixture(scope="session")
def app_outdir(app_stack_dir: Path) -> Path:
    """The reference app's cdktf.out (synthesized once per session by ``python main.py``)."""
    return app_stack_dir.parent.parent


def permissions(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["permissions", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_table_is_what_make_permissions_printed(app_outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = permissions(capsys, "--outdir", str(app_outdir))
    assert code == 0
    lines = out.splitlines()
    assert lines[:3] == ["# Stack lambda-dynamodb", "", REFERENCE_HEADER]
    assert lines[4].startswith("function zip: ") and " SHA-256 " in lines[4] and "(CodeSha256 " in lines[4]
    assert lines[6:8] == ["| action | resource | why | verdict |", "|---|---|---|---|"]
    assert "| `dynamodb:BatchGetItem` | `arn:aws:dynamodb:eu-west-1:<account>:table/SampleTable` | granted by the access list only | unused |" in lines
    assert "11 permissions: 10 used, 1 unused." in lines
    assert err == "warning: dynamodb:BatchGetItem is granted but no code in lambda/ calls it\n"


def test_markdown_is_a_document_with_headings(app_outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = permissions(capsys, "--outdir", str(app_outdir), "--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[:5] == ["## Stack `lambda-dynamodb`", "", "### Function `MyLambdaFunction`", "", "Role `MyLambdaRole`, policy `MyLambdaPolicy`."]
    assert lines[6].startswith("- function zip: ")
    assert "| `dynamodb:GetItem` | `arn:aws:dynamodb:eu-west-1:<account>:table/SampleTable` |" in out


def test_json_is_the_manifests_functions(app_outdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = permissions(capsys, "--outdir", str(app_outdir), "--format", "json")
    assert code == 0
    (function,) = json.loads(out)["functions"]
    written = json.loads((app_outdir / "stacks" / "lambda-dynamodb" / FILE_NAME).read_text())
    assert function == {"stack": "lambda-dynamodb", **written["functions"][0]}


def test_the_default_outdir_is_the_working_directorys_cdktf_out(app_outdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app_outdir.parent)
    code, out, _ = permissions(capsys)
    assert code == 0 and REFERENCE_HEADER in out


@pytest.fixture(scope="module")
def two_stacks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app of two stacks, each with one function: ``small`` and ``other``."""
    from cdktf import TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lambda_dynamodb import Access, Function, FunctionSettings, Table, TableSettings

    tmp = tmp_path_factory.mktemp("two-stacks")
    folder = code_folder(tmp, READS)
    app = small_app(tmp / "cdktf.out", folder)
    other = TerraformStack(app, "other")
    AwsProvider(other, "aws", region="us-east-1")
    function = Function(other, "writer", FunctionSettings(name="other-reader", source_dir=folder))
    function.use(Table(other, "items", TableSettings(name="OtherItems")), access=Access.READ)
    app.synth()
    return tmp / "cdktf.out"


def test_every_stack_is_listed_by_name(two_stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = permissions(capsys, "--outdir", str(two_stacks))
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("# Stack ")] == ["# Stack other", "# Stack small"]


def test_stack_names_the_one_to_show(two_stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = permissions(capsys, "--outdir", str(two_stacks), "--stack", "other")
    assert code == 0
    assert "function other-reader:" in out and "function reader:" not in out
    assert "arn:aws:dynamodb:us-east-1:<account>:table/OtherItems" in out


def test_an_unknown_stack_is_exit_2_with_the_stacks_there(two_stacks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = permissions(capsys, "--outdir", str(two_stacks), "--stack", "orders")
    assert (code, out) == (2, "")
    assert err == f"lambda-dynamodb permissions: {two_stacks}: no stack named 'orders' (the stacks there: other, small)\n"


def test_a_missing_permission_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Validation skipped, so the synthesis writes what the check would have refused.
    small_app(tmp_path / "cdktf.out", code_folder(tmp_path, WRITES), skip_validation=True).synth()
    code, out, err = permissions(capsys, "--outdir", str(tmp_path / "cdktf.out"))
    assert code == 1
    assert "| `dynamodb:PutItem` | `arn:aws:dynamodb:eu-west-1:<account>:table/Items` | code/handler.py:" in out
    assert "| **missing** |" in out and out.rstrip().splitlines()[-1] == "11 permissions: 4 used, 6 unused, 1 missing."
    assert "error: reader: code/handler.py:" in err and "which access 'read' does not grant" in err


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose cdktf.out holds a plain CDKTF stack: one queue, no function of the module."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    folder = tmp_path_factory.mktemp("plain-app")
    app = App(outdir=str(folder / "cdktf.out"))
    stack = TerraformStack(app, "plain")
    AwsProvider(stack, "aws", region="eu-west-1")
    SqsQueue(stack, "queue", name="plain")
    app.synth()
    assert (folder / "cdktf.out" / "stacks" / "plain" / "cdk.tf.json").is_file()
    return folder


def command() -> str:
    found = shutil.which("lambda-dynamodb", path=str(Path(sys.executable).parent))
    assert found is not None, f"no lambda-dynamodb command next to {sys.executable}: pip install -e . installs it"
    return found


def test_a_stack_without_manifest_is_exit_2_with_the_reason(plain_app: Path) -> None:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    run = subprocess.run([command(), "permissions"], cwd=plain_app, env=env, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        f"lambda-dynamodb permissions: cdktf.out: no stack has a {FILE_NAME} (stacks: plain): "
        "the stack uses no function of cdktf-lambda-dynamodb, or was synthesized by an older version\n"
    )


def test_naming_the_stack_without_manifest_is_exit_2_naming_its_folder(plain_app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = permissions(capsys, "--outdir", str(plain_app / "cdktf.out"), "--stack", "plain")
    assert (code, out) == (2, "")
    assert err.startswith(f"lambda-dynamodb permissions: {plain_app / 'cdktf.out' / 'stacks' / 'plain'}: no {FILE_NAME}: ")


def test_without_cdktf_out_it_says_to_synthesize(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = permissions(capsys)
    assert (code, out, err) == (2, "", "lambda-dynamodb permissions: cdktf.out: no such folder: run cdktf synth first\n")


def test_a_stack_without_functions_beside_one_with_is_left_out_with_a_note(two_stacks: Path, plain_app: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "cdktf.out"
    shutil.copytree(two_stacks, out_dir)
    shutil.copytree(plain_app / "cdktf.out" / "stacks" / "plain", out_dir / "stacks" / "plain")
    listing = json.loads((out_dir / "manifest.json").read_text())
    listing["stacks"]["plain"] = {"workingDirectory": "stacks/plain"}
    (out_dir / "manifest.json").write_text(json.dumps(listing))
    code, out, err = permissions(capsys, "--outdir", str(out_dir))
    assert code == 0 and "# Stack plain" not in out
    assert f"note: stack plain has no {FILE_NAME} (no function of cdktf-lambda-dynamodb in it): left out\n" in err


def test_cells_keep_pipes_and_backticks_as_text() -> None:
    from lambda_dynamodb.cli.permissions import table_markdown
    from lambda_dynamodb.iam.permissions import Verdict
    from lambda_dynamodb.synthesis.manifest import PermissionEntry

    row = PermissionEntry("s3:GetObject", "arn:aws:s3:::b/`a|b`", ("added | by\nhand",), Verdict.NOT_CHECKED)
    assert table_markdown([row])[-1] == "| `s3:GetObject` | `` arn:aws:s3:::b/`a\\|b` `` | added \\| by<br>hand | not checked |"


def test_the_reference_table_reads_the_manifest_not_the_app(app_outdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A copy of the output far from the project, with the code gone: the rows are still there.
    copy = tmp_path / "elsewhere" / "cdktf.out"
    shutil.copytree(app_outdir, copy)
    (tmp_path / "elsewhere" / "main.py").write_text("raise SystemExit('the app must not run')\n")
    code, out, _ = permissions(capsys, "--outdir", str(copy))
    assert code == 0 and REFERENCE_HEADER in out and str(PROJECT_DIR) not in out
