"""`make tf-module`: the construct as an idiomatic HCL module (files, addresses, inputs, rules).

Consuming it from a release tag (init, validate, apply, upgrade) is tests/test_release.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tools import tf_module
from conftest import PROJECT_DIR, Deployment
from lambda_dynamodb.packaging.code_package import archive
from lambda_dynamodb.config.validation import FUNCTION_NAME_PATTERN, HANDLER_PATTERN, IAM_NAME_64_PATTERN, TABLE_NAME_PATTERN
from tools.module_files import top_level_blocks

pytestmark = [pytest.mark.release, pytest.mark.terraform]

#: The module's addresses: its interface for `moved` and `import` blocks and for every state that
#: holds it. Renaming one destroys and recreates the resource for every caller: this list changes
#: only together with a `moved` block and a major version.
PINNED_ADDRESSES = [
    "aws_dynamodb_table.this",
    "data.aws_iam_policy_document.assume_role",
    "data.aws_iam_policy_document.this",
    "aws_iam_role.this",
    "aws_iam_policy.this",
    "aws_iam_role_policy_attachment.this",
    "aws_cloudwatch_log_group.this",
    "aws_lambda_function.this",
    "data.aws_partition.current",
    "data.aws_region.current",
    "data.aws_caller_identity.current",
]
MODULE_FILES = {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md", "CHANGELOG.md"}
EXAMPLES = ("basic", "two-functions")
#: What the issues ask the module to take, at least.
REQUIRED_INPUTS = {
    "table_name", "partition_key", "sort_key", "function_name", "runtime", "handler", "code_zip", "access", "actions",
    "deletion_protection", "log_retention_days", "tracing", "architecture",
}
EXPECTED_OUTPUTS = {"table_name", "table_arn", "role_name", "role_arn", "policy_name", "policy_arn", "function_name", "function_arn", "log_group_name"}
_DECLARED = re.compile(r'^(resource|data) "([a-z0-9_]+)" "([a-z0-9_]+)" \{', re.MULTILINE)


def declared_addresses(main_tf: str) -> list[str]:
    return [f"{'data.' if kind == 'data' else ''}{type_}.{name}" for kind, type_, name in _DECLARED.findall(main_tf)]


def pin_violations(addresses: list[str]) -> list[str]:
    """What breaks the pin: an address gone (renamed or removed) or one that is new."""
    gone = [f"{a} is gone: callers' state holds it (add a moved block and a major version)" for a in PINNED_ADDRESSES if a not in addresses]
    new = [f"{a} is not pinned: pin it in PINNED_ADDRESSES" for a in addresses if a not in PINNED_ADDRESSES]
    return gone + new


def write(target: Path) -> Path:
    """The module, written by `python -m tools.tf_module` as `make tf-module` runs it."""
    result = subprocess.run([sys.executable, "-m", "tools.tf_module", "--outdir", str(target)], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, f"python -m tools.tf_module failed:\n{result.stdout}\n{result.stderr}"
    return target


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("dist") / tf_module.MODULE_NAME)


def _blocks(module_dir: Path, file: str, kind: str) -> dict[str, str]:
    """The file's top-level blocks of one kind (variable, output) by name, as text."""
    blocks = top_level_blocks((module_dir / file).read_text())
    return {block.text.split('"')[1]: block.text for block in blocks if block.kind == kind}


@pytest.fixture(scope="module")
def variables(module_dir: Path) -> dict[str, str]:
    return _blocks(module_dir, "variables.tf", "variable")


@pytest.fixture(scope="module")
def outputs(module_dir: Path) -> dict[str, str]:
    return _blocks(module_dir, "outputs.tf", "output")


# --- layout and addresses ------------------------------------------------------------------


def test_module_has_the_files_of_an_hcl_module(module_dir: Path) -> None:
    from lambda_dynamodb.synthesis.output import MARKER

    files = {str(p.relative_to(module_dir)) for p in module_dir.rglob("*") if p.is_file()}
    # The marker says the project made the folder (so it may replace it); it is not released.
    assert files == MODULE_FILES | {f"examples/{name}/main.tf" for name in EXAMPLES} | {MARKER}


def test_addresses_are_the_pinned_plain_ones(module_dir: Path) -> None:
    assert pin_violations(declared_addresses((module_dir / "main.tf").read_text())) == []


def test_a_renamed_address_breaks_the_pin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The construct's table named `table` in the module: the pin reports the old address gone."""
    import json

    monkeypatch.setitem(tf_module.ADDRESSES, "this/table/table", "table")
    tf_module.build_module_app(tmp_path).synth()
    stack = json.loads((tmp_path / "stacks" / tf_module.STACK_NAME / "cdk.tf.json").read_text())
    addresses = [f"{t}.{n}" for t, named in stack["resource"].items() for n in named]
    addresses += [f"data.{t}.{n}" for t, named in stack["data"].items() for n in named]
    assert pin_violations(addresses) == [
        "aws_dynamodb_table.this is gone: callers' state holds it (add a moved block and a major version)",
        "aws_dynamodb_table.table is not pinned: pin it in PINNED_ADDRESSES",
    ]


def test_an_unnamed_resource_stops_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delitem(tf_module.ADDRESSES, "this/role/attachment")
    with pytest.raises(RuntimeError, match="no plain address for terraform-aws-lambda-dynamodb/this/role/attachment"):
        tf_module.build_module_app(tmp_path)


def test_terraform_fmt_check_passes(module_dir: Path) -> None:
    result = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-no-color", str(module_dir)], capture_output=True, text=True)
    assert result.returncode == 0, f"not in canonical format: {result.stdout}{result.stderr}"


def test_hcl_has_no_interpolation_only_strings(module_dir: Path) -> None:
    """`"${var.x}"` is JSON's way; HCL writes `var.x`."""
    tf = "".join((module_dir / name).read_text() for name in ("main.tf", "variables.tf", "outputs.tf"))
    assert re.findall(r'"\$\{[^"{}]+\}"', tf) == []


def test_module_brings_no_provider_configuration_and_no_backend(module_dir: Path) -> None:
    tf = "".join((module_dir / name).read_text() for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"))
    assert ('provider "' not in tf, "backend" not in tf) == (True, True)


def test_versions_require_terraform_and_the_hashicorp_aws_provider(module_dir: Path) -> None:
    versions = (module_dir / "versions.tf").read_text()
    assert 'required_version = ">= 1.9.0"' in versions
    assert re.search(r'source\s+= "hashicorp/aws"\s+version\s+= ">= 5.100.0, < 6.0.0"', versions)


def test_traces_are_allowed_only_when_tracing_is_active(module_dir: Path) -> None:
    main_tf = (module_dir / "main.tf").read_text()
    dynamic = main_tf.split('dynamic "statement" {', 1)[1].split("\n  }\n", 1)[0]
    assert 'for_each = var.tracing == "Active" ? ["xray"] : []' in dynamic and '"xray:PutTraceSegments"' in dynamic


# --- the interface ---------------------------------------------------------------------------


def test_module_takes_the_inputs_the_issues_name(variables: dict[str, str]) -> None:
    assert REQUIRED_INPUTS <= set(variables)


def test_every_input_has_a_type_and_a_description(variables: dict[str, str]) -> None:
    incomplete = [name for name, text in variables.items() if not ("\n  type " in text and "\n  description " in text)]
    assert incomplete == []


def test_only_names_and_the_code_are_required(variables: dict[str, str]) -> None:
    required = {name for name, text in variables.items() if "\n  default " not in text}
    assert required == {"table_name", "function_name", "code_zip"}


def test_outputs_are_the_arns_and_names_with_descriptions(outputs: dict[str, str]) -> None:
    assert set(outputs) == EXPECTED_OUTPUTS and all("description" in text for text in outputs.values())


def test_readme_tables_list_every_input_and_output(module_dir: Path, variables: dict[str, str], outputs: dict[str, str]) -> None:
    rows = [line for line in (module_dir / "README.md").read_text().splitlines() if line.startswith("| `")]
    assert sorted(row.split("`")[1] for row in rows) == sorted([*variables, *outputs])


def test_readme_lists_the_pinned_addresses(module_dir: Path) -> None:
    readme = (module_dir / "README.md").read_text()
    assert [a for a in PINNED_ADDRESSES if f"- `{a}`" not in readme] == []


def test_changelog_of_a_build_is_unreleased(module_dir: Path) -> None:
    assert "\n## Unreleased\n" in (module_dir / "CHANGELOG.md").read_text()


@pytest.mark.parametrize(
    "pattern",
    [TABLE_NAME_PATTERN, FUNCTION_NAME_PATTERN, IAM_NAME_64_PATTERN, HANDLER_PATTERN],
    ids=["table_name", "function_name", "iam_name", "handler"],
)
@given(text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=70))
def test_terraform_regexes_accept_what_the_python_rules_accept(pattern: re.Pattern[str], text: str) -> None:
    translated = re.compile(tf_module._re2(pattern.pattern))
    assert bool(translated.search(text)) == bool(pattern.fullmatch(text))


# --- writing: atomic, and the release history kept -------------------------------------------


def test_a_failed_build_leaves_the_previous_module_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / tf_module.MODULE_NAME
    (target / ".git").mkdir(parents=True)
    (target / "main.tf").write_text("previous")

    def broken(*args: Any) -> str:
        raise tf_module.ModuleBuildError("cdktf synth --hcl failed")

    monkeypatch.setattr(tf_module, "cdktf_hcl", broken)
    with pytest.raises(tf_module.ModuleBuildError, match="cdktf synth --hcl failed"):
        tf_module.write_module(target)
    assert [p.name for p in tmp_path.iterdir()] == [tf_module.MODULE_NAME]
    assert ((target / "main.tf").read_text(), (target / ".git").is_dir()) == ("previous", True)


def test_rewriting_keeps_the_modules_git_history(module_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / tf_module.MODULE_NAME
    shutil.copytree(module_dir, target)
    subprocess.run(["git", "init", "--quiet", str(target)], check=True)
    (target / "stale.tf").write_text("# a file the module no longer has\n")
    write(target)
    assert ((target / ".git" / "HEAD").exists(), (target / "stale.tf").exists()) == (True, False)


# --- Terraform: the examples, and every rule's message ----------------------------------------


def _initialized(root: Path) -> Deployment:
    from lambda_dynamodb.testing.terraform_cli import terraform_env

    deployment = Deployment(root, terraform_env(root.parent / "terraform.rc"))
    init = deployment.terraform("init", "-input=false", "-no-color", check=False)
    assert init.returncode == 0, f"terraform init failed: is the AWS provider in the mirror (/opt/tf-plugins)?\n{init.stdout}{init.stderr}"
    return deployment


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_validates(module_dir: Path, tmp_path: Path, example: str) -> None:
    copy = tmp_path / "module"
    shutil.copytree(module_dir, copy)
    result = _initialized(copy / "examples" / example).terraform("validate", "-no-color")
    assert "Success! The configuration is valid." in result.stdout and "Warning" not in result.stdout + result.stderr


#: case -> (the module input, a bad value for it in HCL, the message Terraform must print)
BAD_INPUTS: dict[str, tuple[str, str, str]] = {
    "table name": ("table_name", '"a"', "table_name 'a' is invalid: 3 to 255 characters of A-Z a-z 0-9 _ . -"),
    "function name": ("function_name", '"my function"', "function_name 'my function' is invalid: 1 to 64 characters"),
    "code zip": ("code_zip", '"missing.zip"', "code_zip 'missing.zip' is invalid: an existing .zip file"),
    "handler": ("handler", '"handler"', "handler 'handler' is invalid: module.function"),
    "runtime": ("runtime", '"python2.7"', "runtime 'python2.7' is invalid: one of python3.13"),
    "architecture": ("architecture", '"x86"', "architecture 'x86' is invalid: one of x86_64, arm64"),
    "tracing": ("tracing", '"On"', "tracing 'On' is invalid: one of Active, PassThrough"),
    "memory": ("memory_mb", "100", "memory_mb 100 is invalid: a whole number of MB from 128 to 10240"),
    "timeout": ("timeout_seconds", "901", "timeout_seconds 901 is invalid: a whole number of seconds from 1 to 900"),
    "retention": ("log_retention_days", "10", "log_retention_days 10 is invalid: one of CloudWatch's retention values"),
    "access": ("access", '"admin"', "access 'admin' is invalid: one of read, write, read_write"),
    "actions": ("actions", '["dynamodb:*"]', 'actions ["dynamodb:*"] is invalid: at least one action, each a DynamoDB action'),
    "partition key type": ("partition_key", '{ name = "id", type = "X" }', 'partition_key {"name":"id","type":"X"} is invalid'),
    "sort key name": ("sort_key", '{ name = "" }', 'sort_key {"name":"","type":"S"} is invalid'),
    "role name": ("role_name", '"bad/role"', "role_name 'bad/role' is invalid: 1 to 64 characters"),
    "policy name": ("policy_name", '"bad policy"', "policy_name 'bad policy' is invalid: 1 to 128 characters"),
}


@pytest.fixture(scope="module")
def bad_inputs_validation(module_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One root with one module call per bad input: `terraform validate` reports them all."""
    work = tmp_path_factory.mktemp("bad")
    shutil.copytree(module_dir, work / "root" / "module")
    shutil.copyfile(archive((PROJECT_DIR / "lambda").resolve()), work / "root" / "function.zip")
    calls = []
    for i, (name, value, _) in enumerate(BAD_INPUTS.values()):
        arguments = {"source": '"./module"', "table_name": f'"Ok{i}"', "function_name": f'"ok{i}"'}
        arguments |= {"code_zip": '"${path.root}/function.zip"', name: value}
        calls.append(f'module "case_{i}" {{\n' + "".join(f"  {k} = {v}\n" for k, v in arguments.items()) + "}\n")
    (work / "root" / "main.tf").write_text("\n".join(calls))
    result = _initialized(work / "root").terraform("validate", "-no-color", check=False)
    assert result.returncode != 0, "terraform validate accepted every bad input"
    # Terraform wraps long messages: compare with single spaces.
    return " ".join((result.stdout + result.stderr).split())


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_with_its_rule(bad_inputs_validation: str, case: str) -> None:
    assert BAD_INPUTS[case][2] in bad_inputs_validation
