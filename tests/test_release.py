"""`make release`: the package by name from an index, the HCL module from a git tag, upgrades.

Each release runs `python -m tools.release` in a copy of the project committed to a git repository
of its own (the tree as it is now, clean): what `make release VERSION=...` does in a fresh clone.
The first release's install check is kept: the example service copied outside the repository, in
a fresh environment with the package installed by name from the index (tools/outside_app.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from email.parser import Parser
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools import release
from tools.release import git
from conftest import PROJECT_DIR, Deployment, policy_statements, resources
from lambda_dynamodb import READ_ACTIONS, READ_WRITE_ACTIONS
from lambda_dynamodb.packaging.code_package import archive
from test_tf_module import MODULE_FILES, declared_addresses, pin_violations

pytestmark = [pytest.mark.release, pytest.mark.emulator, pytest.mark.terraform]

HCL_ROOT = Path(__file__).resolve().parent / "hcl_root" / "main.tf"
FIRST, SECOND = "0.2.0", "0.2.1"
#: The repository the releases link to (a real release names its own: REPOSITORY_URL).
REPOSITORY = "https://git.example.com/platform/cdktf-lambda-dynamodb"
#: The second release's change: a description, so every address (and the plan) stays.
CHANGE = ('"Memory of the function in MB."', '"Memory of the function in MB (128 to 10240)."')


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "--all")
    git(cwd, "-c", "user.name=Tester", "-c", "user.email=tester@localhost", "commit", "--quiet", "-m", message)


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def module(self) -> Path:
        return self.root / "dist" / "terraform-aws-lambda-dynamodb"

    def release(self, version: str, *extra: str, repository: str | None = REPOSITORY) -> subprocess.CompletedProcess[str]:
        """`make release VERSION=version` in the copy (run as make runs it: `python -m tools.release` from its folder)."""
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH"}}
        url = ["--repository-url", repository] if repository is not None else []
        return subprocess.run(
            [sys.executable, "-m", "tools.release", "--version", version, *url, *extra], cwd=self.root, env=env, capture_output=True, text=True
        )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project's files (tracked and new, as git lists them) committed in a repository of their own."""
    root = tmp_path_factory.mktemp("release") / "project"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT_DIR, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (PROJECT_DIR / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, root / name)
    git(root, "init", "--quiet", "--initial-branch=main")
    # The pinned cdktf CLI of this checkout (npm ci in every copy would take a minute).
    (root / "node_modules").symlink_to(PROJECT_DIR / "node_modules")
    (root / ".git" / "info" / "exclude").write_text("node_modules\n")
    commit_all(root, "The project as it is")
    return Project(root)


@pytest.fixture(scope="module")
def first_release(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make release VERSION=0.2.0`; returns the install check it kept (virtual environment, outside app)."""
    check = tmp_path_factory.mktemp("check")
    result = project.release(FIRST, "--keep-check", str(check))
    assert result.returncode == 0, f"the release failed:\n{result.stdout}\n{result.stderr}"
    return check


def tagged(project: Project, tag: str, path: str) -> str:
    return git(project.module, "show", f"{tag}:{path}")


# --- the tag ---------------------------------------------------------------------------------


def test_release_tags_the_modules_own_repository(project: Project, first_release: Path) -> None:
    assert git(project.module, "tag", "--list").split() == [f"v{FIRST}"]


def test_tag_holds_the_hcl_module(project: Project, first_release: Path) -> None:
    files = set(git(project.module, "ls-tree", "-r", "--name-only", f"v{FIRST}").split())
    assert files == MODULE_FILES | {"examples/basic/main.tf", "examples/two-functions/main.tf"}


def test_tagged_module_declares_the_pinned_addresses(project: Project, first_release: Path) -> None:
    main_tf = tagged(project, f"v{FIRST}", "main.tf")
    assert 'resource "aws_dynamodb_table" "this" {' in main_tf and pin_violations(declared_addresses(main_tf)) == []


def test_tagged_module_passes_terraform_fmt_check(project: Project, first_release: Path, tmp_path: Path) -> None:
    exported = subprocess.run(["git", "archive", f"v{FIRST}"], cwd=project.module, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=exported, check=True)
    result = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-no-color", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_commit_names_its_source_commit(project: Project, first_release: Path) -> None:
    trailer = git(project.module, "log", "-1", "--format=%(trailers:key=Source-Commit,valueonly)", f"v{FIRST}").strip()
    assert trailer == git(project.root, "rev-parse", "HEAD").strip()


def test_readme_usage_pins_the_released_tag(project: Project, first_release: Path) -> None:
    assert f".git?ref=v{FIRST}\"" in tagged(project, f"v{FIRST}", "README.md")


# --- the index ---------------------------------------------------------------------------------


def test_wheel_and_sdist_carry_the_released_version(project: Project, first_release: Path) -> None:
    names = sorted(p.name for p in (project.root / "dist" / "python").iterdir())
    assert names == [f"cdktf_lambda_dynamodb-{FIRST}-py3-none-any.whl", f"cdktf_lambda_dynamodb-{FIRST}.tar.gz"]


def test_repository_keeps_the_development_version(project: Project, first_release: Path) -> None:
    """The release sets the version in the copy it builds: the project tree stays clean."""
    assert git(project.root, "status", "--porcelain") == ""


def test_index_serves_the_built_wheel_by_name(project: Project, first_release: Path, tmp_path: Path) -> None:
    with release.local_index(tmp_path / "served") as url:
        shutil.copytree(project.root / "dist" / "index", tmp_path / "served", dirs_exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--index-url", f"{url}/simple/",
             "--dest", str(tmp_path / "got"), f"cdktf-lambda-dynamodb=={FIRST}"],
            capture_output=True, text=True,
        )
    assert result.returncode == 0, result.stderr
    (downloaded,) = (tmp_path / "got").iterdir()
    built = project.root / "dist" / "python" / downloaded.name
    assert hashlib.sha256(downloaded.read_bytes()).digest() == hashlib.sha256(built.read_bytes()).digest()


def _installed_metadata(check: Path) -> Path:
    (dist_info,) = (check / "venv" / "lib").glob(f"python3.*/site-packages/cdktf_lambda_dynamodb-{FIRST}.dist-info")
    return dist_info


def test_fresh_environment_installed_the_release_from_the_index(first_release: Path) -> None:
    """pip records direct_url.json for a file or URL it was given; an install by name has none."""
    dist_info = _installed_metadata(first_release)
    assert ((dist_info / "INSTALLER").read_text().strip(), (dist_info / "direct_url.json").exists()) == ("pip", False)


# --- the outside app: the example service, copied out, with the package installed by name ----------

#: The sample app's names: the outside app must never show them (nor the sample's stack).
SAMPLE_NAMES = ("MyLambdaRole", "MyLambdaFunction", "MyLambdaPolicy", "SampleTable")
OUTSIDE_FUNCTIONS = ["orders-http", "orders-intake", "orders-stream", "orders-sync"]


@dataclass(frozen=True)
class Answer:
    argv: list[str]
    cwd: str
    returncode: int
    stdout: str
    stderr: str


def proofs(check: Path) -> dict[str, Answer]:
    """What each command of the outside app's proof answered (tools/outside_app.py keeps them)."""
    return {name: Answer(**entry) for name, entry in json.loads((check / "proofs.json").read_text()).items()}


def names_the_sample(text: str) -> list[str]:
    """The sample app's names in ``text``, its stack ``lambda-dynamodb`` included (not the command's name)."""
    found = [name for name in SAMPLE_NAMES if name in text]
    return found + re.findall(r"(?<![\w.-])lambda-dynamodb(?![\w.-])(?! (?:permissions|code-calls|review|run-task)\b)", text)


def test_outside_app_is_a_copy_outside_the_repository(first_release: Path) -> None:
    app = first_release / "orders-service"
    assert (app / "main.py").read_text() == (PROJECT_DIR / "examples" / "orders-service" / "main.py").read_text()
    assert PROJECT_DIR not in app.resolve().parents


def test_outside_app_imports_the_installed_wheel(first_release: Path) -> None:
    """The package the copy imports is the one pip installed into its own environment, by name."""
    answer = proofs(first_release)["import"]
    version, imported = answer.stdout.split()
    assert (answer.returncode, version) == (0, FIRST)
    assert first_release / "venv" in Path(imported).parents


def test_outside_app_synthesized_its_own_stack(first_release: Path) -> None:
    stack = json.loads((first_release / "orders-service" / "cdktf.out" / "stacks" / "orders-service" / "cdk.tf.json").read_text())
    functions = sorted(f["function_name"] for f in resources(stack, "aws_lambda_function"))
    tables = sorted(t["name"] for t in resources(stack, "aws_dynamodb_table"))
    assert (functions, tables) == (OUTSIDE_FUNCTIONS, ["Archive", "Orders"])


def test_outside_apps_function_on_two_tables_has_each_call_on_its_own_table(first_release: Path) -> None:
    stack = json.loads((first_release / "orders-service" / "cdktf.out" / "stacks" / "orders-service" / "cdk.tf.json").read_text())
    documents = stack["data"]["aws_iam_policy_document"]
    (sync,) = [d for d in documents.values() if d["//"]["metadata"]["path"] == "orders-service/sync/role/permissions"]
    on_tables = [(s["actions"], s["resources"][0].rsplit(":", 1)[-1]) for s in sync["statement"] if s["actions"][0].startswith("dynamodb:")]
    assert on_tables == [(["dynamodb:GetItem"], "table/Orders"), (["dynamodb:PutItem"], "table/Archive")]


def test_permissions_shows_the_outside_apps_own_roles(first_release: Path) -> None:
    answer = proofs(first_release)["permissions"]
    roles = sorted(set(re.findall(r"orders-\w+-role", answer.stdout)))
    assert (answer.returncode, roles) == (0, [f"{name}-role" for name in OUTSIDE_FUNCTIONS]), answer.stdout + answer.stderr
    assert "orders-service" in answer.stdout and "functions/sync/handler.py:" in answer.stdout
    assert names_the_sample(answer.stdout + answer.stderr) == []


def test_code_calls_reads_the_outside_apps_function_folder(first_release: Path) -> None:
    answer = proofs(first_release)["code-calls"]
    assert answer.returncode == 0, answer.stderr
    found = json.loads(answer.stdout)
    calls = [(c["file"], c["operation"], c["table"]) for c in found["calls"]]
    assert calls == [("handler.py", "GetItem", "env:TABLE_NAME"), ("handler.py", "PutItem", "env:ARCHIVE_TABLE")]
    assert found["unresolved"] == []


def test_review_of_a_real_plan_of_the_outside_apps_stack(first_release: Path) -> None:
    answer = proofs(first_release)["review"]
    assert answer.returncode == 0, answer.stdout + answer.stderr
    plan = json.loads((first_release / "plan.json").read_text())
    assert {c["change"]["actions"][0] for c in plan["resource_changes"] if c["type"] == "aws_lambda_function"} == {"create"}
    review = (first_release / "review" / "plan.md").read_text()
    assert all(f"{name}-policy" in review for name in OUTSIDE_FUNCTIONS), review
    assert "functions/sync/handler.py:" in review, "the why column comes from the outside app's manifest"
    assert names_the_sample(review) == []
    assert (first_release / "review" / "architecture.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def _test_outcomes(check: Path) -> dict[str, str]:
    """``file::test`` -> passed / failed / skipped / error, from the copy's pytest run (JUnit XML)."""
    outcomes = {}
    for case in ElementTree.parse(check / "pytest.xml").getroot().iter("testcase"):
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        problems = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[name] = problems[0] if problems else "passed"
    return outcomes


#: The plugin's example file in the copy: a call its policy does not allow, and the stream function.
DENIED_TEST = "tests/test_orders_policy.py::test_a_call_the_policy_does_not_allow_fails_with_aws_access_denied"
STREAM_TEST = "tests/test_orders_policy.py::test_the_stream_function_archives_the_records_of_the_real_stream"


def test_outside_apps_own_tests_pass_with_the_plugin(first_release: Path) -> None:
    answer = proofs(first_release)["pytest"]
    outcomes = _test_outcomes(first_release)
    assert answer.returncode == 0 and set(outcomes.values()) == {"passed"}, answer.stdout[-4000:]
    plugins = next(line for line in answer.stdout.splitlines() if line.startswith("plugins:"))
    assert f"cdktf-lambda-dynamodb-{FIRST}" in plugins, "pytest loaded the plugin from the installed wheel's pytest11 entry point"


def test_outside_apps_policy_test_proves_a_denied_call(first_release: Path) -> None:
    """One test of the copy: a call its policy does not allow fails with AWS's AccessDenied message."""
    source = (first_release / "orders-service" / "tests" / "test_orders_policy.py").read_text()
    assert "is not authorized to perform: " in source and "AccessDeniedException" in source
    assert _test_outcomes(first_release)[DENIED_TEST] == "passed"


def test_outside_apps_policy_test_runs_the_stream_function_on_stream_records(first_release: Path) -> None:
    assert _test_outcomes(first_release)[STREAM_TEST] == "passed"


def test_permissions_without_a_manifest_exits_2_with_the_reason(first_release: Path) -> None:
    answer = proofs(first_release)["permissions-without-manifest"]
    assert (answer.returncode, answer.stdout) == (2, "")
    assert answer.stderr.startswith("lambda-dynamodb permissions: ") and "lambda-dynamodb.permissions.json" in answer.stderr, answer.stderr
    assert "orders-service" in answer.stderr and names_the_sample(answer.stderr) == []


def test_released_description_links_to_the_tag_in_the_repository(project: Project, first_release: Path) -> None:
    wheel = project.root / "dist" / "python" / f"cdktf_lambda_dynamodb-{FIRST}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive_file:
        metadata = Parser().parsestr(archive_file.read(f"cdktf_lambda_dynamodb-{FIRST}.dist-info/METADATA").decode())
    description = str(metadata.get_payload())
    links = re.findall(r"\]\((https://[^)]+)\)", description)
    assert links and all(link.startswith(f"{REPOSITORY}/blob/v{FIRST}/docs/") for link in links), links
    assert "repository-url.invalid" not in description
    assert sorted(metadata.get_all("Project-URL") or []) == [f"Documentation, {REPOSITORY}/tree/v{FIRST}/docs", f"Repository, {REPOSITORY}"]


def test_sdist_carries_the_version_file_of_the_release(project: Project, first_release: Path) -> None:
    sdist = project.root / "dist" / "python" / f"cdktf_lambda_dynamodb-{FIRST}.tar.gz"
    with tarfile.open(sdist) as archive_file:
        member = archive_file.extractfile(f"cdktf_lambda_dynamodb-{FIRST}/modules/lambda_dynamodb/_version.py")
        assert member is not None and f'__version__ = "{FIRST}"' in member.read().decode()


# --- refusals: each before anything is built -----------------------------------------------------


@pytest.mark.parametrize("version", ["0.3", "v0.3.0", "0.3.0-rc.1", "01.3.0"])
def test_a_version_that_is_not_semver_is_refused(project: Project, first_release: Path, version: str) -> None:
    result = project.release(version)
    assert (result.returncode, f"VERSION '{version}' is invalid: a semantic version x.y.z" in result.stderr) == (2, True), result.stderr


@pytest.mark.parametrize("version", ["0.1.9", FIRST])
def test_a_version_not_newer_than_the_last_tag_is_refused(project: Project, first_release: Path, version: str) -> None:
    result = project.release(version)
    assert f"VERSION '{version}' is invalid: newer than the last release v" in result.stderr, result.stderr


def test_a_dirty_tree_is_refused(project: Project, first_release: Path) -> None:
    (project.root / "notes.txt").write_text("work in progress\n")
    try:
        result = project.release("0.9.0")
    finally:
        (project.root / "notes.txt").unlink()
    assert "the project tree has uncommitted changes (notes.txt)" in result.stderr
    assert not (project.root / "dist" / "python" / "cdktf_lambda_dynamodb-0.9.0.tar.gz").exists()


def test_a_release_without_the_repositorys_url_is_refused(project: Project, first_release: Path) -> None:
    """The package's description links to the repository's docs: with no URL they would lead nowhere."""
    result = project.release("0.9.0", repository=None)
    assert (result.returncode, "the repository's URL is unknown: set REPOSITORY_URL (make release) or --repository-url" in result.stderr) == (2, True), result.stderr


def test_a_repository_url_that_is_not_https_is_refused(project: Project, first_release: Path) -> None:
    result = project.release("0.9.0", repository="git.example.com/platform/x")
    assert "REPOSITORY_URL 'git.example.com/platform/x' is invalid: an https:// URL of the repository's web page" in result.stderr, result.stderr


def test_a_refused_release_tags_nothing(project: Project, first_release: Path) -> None:
    project.release("0.1.0")
    assert git(project.module, "tag", "--list").split()[0] == f"v{FIRST}" and "v0.1.0" not in git(project.module, "tag", "--list")


# --- consumed from the tag: validate, apply, upgrade to the next release, destroy ----------------


@dataclass(frozen=True)
class Inventory:
    tables: dict[str, Any]
    roles: set[str]
    policies: dict[str, dict[str, Any]]
    functions: dict[str, Any]
    retention: dict[str, int]


def _inventory(deployment: Deployment) -> Inventory:
    dynamodb, iam, lam, logs = (deployment.client(s) for s in ("dynamodb", "iam", "lambda", "logs"))
    tables = {name: dynamodb.describe_table(TableName=name)["Table"] for name in dynamodb.list_tables()["TableNames"]}
    policies = {}
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        policies[policy["PolicyName"]] = version["PolicyVersion"]["Document"]
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    retention = {g["logGroupName"]: g.get("retentionInDays", 0) for g in logs.describe_log_groups()["logGroups"]}
    return Inventory(tables, {r["RoleName"] for r in iam.list_roles()["Roles"]}, policies, functions, retention)


@dataclass(frozen=True)
class Lifecycle:
    validate: subprocess.CompletedProcess[str]
    applied: Inventory
    outputs: dict[str, Any]
    second_release: subprocess.CompletedProcess[str]
    upgrade_plan: dict[str, Any]
    destroyed: Inventory


def _use_tag(root: Path, project: Project, tag: str) -> None:
    text = HCL_ROOT.read_text().replace("MODULE_REPOSITORY", str(project.module)).replace("MODULE_REF", tag)
    (root / "main.tf").write_text(text)


@pytest.fixture(scope="module")
def lifecycle(project: Project, first_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lifecycle]:
    """An HCL root outside the repository calls the module twice from tag v0.2.0: init (offline
    mirror, git getter), validate, apply to an emulator of its own; then v0.2.1 is released and the
    root planned against it; then destroy."""
    from tools import emulator
    from lambda_dynamodb.testing.terraform_cli import terraform_env

    work = tmp_path_factory.mktemp("consumer")
    root = work / "root"
    root.mkdir()
    _use_tag(root, project, f"v{FIRST}")
    shutil.copyfile(archive((PROJECT_DIR / "lambda").resolve()), root / "function.zip")
    running, _ = emulator.start(state_dir=work / "emulator")
    try:
        deployment = Deployment(root, {**terraform_env(work / "terraform.rc"), **running.environment("eu-west-1")})
        init = deployment.terraform("init", "-input=false", "-no-color", check=False)
        assert init.returncode == 0, f"terraform init from the tag failed:\n{init.stdout}{init.stderr}"
        validate = deployment.terraform("validate", "-no-color")
        deployment.terraform("apply", "-auto-approve", "-input=false", "-no-color")
        applied, outputs = _inventory(deployment), deployment.outputs()
        memory_tf = project.root / "tools" / "tf_module.py"
        memory_tf.write_text(memory_tf.read_text().replace(*CHANGE))
        commit_all(project.root, "Describe memory_mb's range")
        second = project.release(SECOND)
        assert second.returncode == 0, f"the second release failed:\n{second.stdout}\n{second.stderr}"
        _use_tag(root, project, f"v{SECOND}")
        deployment.terraform("init", "-input=false", "-no-color")
        deployment.terraform("plan", "-input=false", "-no-color", "-out=upgrade.plan")
        plan = json.loads(deployment.terraform("show", "-json", "upgrade.plan").stdout)
        deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color")
        yield Lifecycle(validate, applied, outputs, second, plan, _inventory(deployment))
    finally:
        emulator.stop(state_dir=work / "emulator")


def test_root_using_the_tag_validates(lifecycle: Lifecycle) -> None:
    output = lifecycle.validate.stdout + lifecycle.validate.stderr
    assert "Success! The configuration is valid." in output and "Warning" not in output


def test_apply_creates_two_of_everything(lifecycle: Lifecycle) -> None:
    applied = lifecycle.applied
    assert (set(applied.tables), applied.roles, set(applied.policies), set(applied.functions)) == (
        {"Orders", "AuditLog"},
        {"orders-api-role", "AuditReaderRole"},
        {"orders-api-policy", "AuditReaderPolicy"},
        {"orders-api", "audit-reader"},
    )


def test_sort_key_defaults_and_can_be_left_out(lifecycle: Lifecycle) -> None:
    schemas = {name: {k["AttributeName"]: k["KeyType"] for k in t["KeySchema"]} for name, t in lifecycle.applied.tables.items()}
    assert schemas == {"Orders": {"pk": "HASH", "sk": "RANGE"}, "AuditLog": {"event_id": "HASH"}}


def test_key_types_are_the_given_ones(lifecycle: Lifecycle) -> None:
    attributes = {a["AttributeName"]: a["AttributeType"] for a in lifecycle.applied.tables["AuditLog"]["AttributeDefinitions"]}
    assert attributes == {"event_id": "N"}


def test_each_policy_grants_its_access_level_on_its_own_table(lifecycle: Lifecycle) -> None:
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/{}"
    table_statements = {
        name: next(s for s in policy_statements(document) if s["Action"][0].startswith("dynamodb:"))
        for name, document in lifecycle.applied.policies.items()
    }
    assert table_statements == {
        "orders-api-policy": {"Effect": "Allow", "Action": sorted(READ_WRITE_ACTIONS), "Resource": [arn.format("Orders")]},
        "AuditReaderPolicy": {"Effect": "Allow", "Action": sorted(READ_ACTIONS), "Resource": [arn.format("AuditLog")]},
    }


def test_only_the_traced_function_may_send_traces(lifecycle: Lifecycle) -> None:
    xray = {
        name: sorted(a for s in policy_statements(document) for a in s["Action"] if a.startswith("xray:"))
        for name, document in lifecycle.applied.policies.items()
    }
    modes = {name: f["TracingConfig"]["Mode"] for name, f in lifecycle.applied.functions.items()}
    assert (xray, modes) == (
        {"orders-api-policy": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "AuditReaderPolicy": []},
        {"orders-api": "Active", "audit-reader": "PassThrough"},
    )


def test_functions_get_their_settings_and_their_table(lifecycle: Lifecycle) -> None:
    audit = lifecycle.applied.functions["audit-reader"]
    assert (audit["MemorySize"], audit["Timeout"], audit["Runtime"], audit["Handler"], audit["Architectures"], audit["Environment"]["Variables"]) == (
        512,
        30,
        "python3.13",
        "handler.handler",
        ["arm64"],
        {"TABLE_NAME": "AuditLog", "TABLE_KEY_NAMES": "event_id"},
    )


def test_functions_get_both_key_names_when_there_is_a_sort_key(lifecycle: Lifecycle) -> None:
    assert lifecycle.applied.functions["orders-api"]["Environment"]["Variables"]["TABLE_KEY_NAMES"] == "pk,sk"


def test_log_retention_is_the_given_one(lifecycle: Lifecycle) -> None:
    assert lifecycle.applied.retention == {"/aws/lambda/orders-api": 365, "/aws/lambda/audit-reader": 30}


def test_outputs_name_what_was_created(lifecycle: Lifecycle) -> None:
    audit = lifecycle.outputs["audit"]
    assert (audit["table_name"], audit["role_arn"], audit["function_name"]) == (
        "AuditLog",
        "arn:aws:iam::123456789012:role/AuditReaderRole",
        "audit-reader",
    )


def test_second_release_keeps_the_history(project: Project, lifecycle: Lifecycle) -> None:
    subjects = git(project.module, "log", "--format=%s").split("\n")
    assert (subjects[:2], git(project.module, "tag", "--list").split()) == ([f"Release v{SECOND}", f"Release v{FIRST}"], [f"v{FIRST}", f"v{SECOND}"])


def test_changelog_lists_the_change_above_the_first_release(project: Project, lifecycle: Lifecycle) -> None:
    changelog = tagged(project, f"v{SECOND}", "CHANGELOG.md")
    assert changelog.index(f"## v{SECOND} (") < changelog.index("- Describe memory_mb's range") < changelog.index(f"## v{FIRST} (")


def test_upgrade_to_a_release_that_keeps_every_address_plans_no_change(lifecycle: Lifecycle) -> None:
    drift = {
        change["address"]: sorted(k for k in change["change"]["after"] if change["change"]["before"].get(k) != change["change"]["after"][k])
        for change in lifecycle.upgrade_plan.get("resource_changes", [])
        if change["change"]["actions"] not in (["no-op"], ["read"])
    }
    # moto 5.2 does not store a function's LoggingConfig (docs/testing.md): that, and nothing else.
    assert set(drift) <= {"module.orders.aws_lambda_function.this", "module.audit.aws_lambda_function.this"}, drift
    assert set().union(*drift.values()) <= {"logging_config"}, drift


def test_destroy_removes_everything(lifecycle: Lifecycle) -> None:
    destroyed = lifecycle.destroyed
    assert (destroyed.tables, destroyed.roles, destroyed.policies, destroyed.functions, destroyed.retention) == ({}, set(), {}, {}, {})
