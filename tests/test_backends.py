"""The stack's backend setting: local (default), S3, or Terraform Cloud."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import main
from lambda_dynamodb import ConfigurationError

from test_terraform import init_and_validate

S3 = {"type": "s3", "bucket": "team-state", "key": "lambda-dynamodb.tfstate", "region": "eu-west-1", "dynamodbTable": "tf-locks"}
S3_LOCKFILE = {"type": "s3", "bucket": "team-state", "key": "lambda-dynamodb.tfstate", "region": "eu-west-1", "useLockfile": True}
CLOUD = {"type": "cloud", "organization": "platform-team", "workspace": "lambda-dynamodb"}
CLOUD_TAGS = {"type": "cloud", "organization": "platform-team", "workspaceTags": ["lambda", "dynamodb"], "hostname": "tfe.example.com"}
VARIANTS = {"s3": S3, "s3_lockfile": S3_LOCKFILE, "cloud": CLOUD, "cloud_tags": CLOUD_TAGS}


@pytest.fixture(scope="module")
def synthesized_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    stacks = {}
    for name, backend in VARIANTS.items():
        out = tmp_path_factory.mktemp(f"backend-{name}")
        settings = main.app_settings({**main.load_context(), "backend": backend}, {})
        main.build_app(settings, out).synth()
        stacks[name] = out / "stacks" / main.STACK_NAME
    return stacks


def terraform_block(stack_dir: Path) -> dict[str, Any]:
    return json.loads((stack_dir / "cdk.tf.json").read_text())["terraform"]


def test_default_backend_is_local(app_stack: dict[str, Any]) -> None:
    assert app_stack["terraform"]["backend"] == {"local": {"path": "../../../terraform.lambda-dynamodb.tfstate"}}


def test_s3_backend_is_encrypted_and_locked(synthesized_variants: dict[str, Path]) -> None:
    assert terraform_block(synthesized_variants["s3"])["backend"] == {
        "s3": {"bucket": "team-state", "key": "lambda-dynamodb.tfstate", "region": "eu-west-1", "dynamodb_table": "tf-locks", "encrypt": True}
    }


def test_s3_backend_can_lock_with_a_lockfile(synthesized_variants: dict[str, Path]) -> None:
    assert terraform_block(synthesized_variants["s3_lockfile"])["backend"]["s3"]["use_lockfile"] is True


def test_cloud_backend_with_a_named_workspace(synthesized_variants: dict[str, Path]) -> None:
    block = terraform_block(synthesized_variants["cloud"])
    assert "backend" not in block
    assert block["cloud"] == {"organization": "platform-team", "workspaces": {"name": "lambda-dynamodb"}}


def test_cloud_backend_with_workspace_tags_and_hostname(synthesized_variants: dict[str, Path]) -> None:
    assert terraform_block(synthesized_variants["cloud_tags"])["cloud"] == {
        "hostname": "tfe.example.com",
        "organization": "platform-team",
        "workspaces": {"tags": ["lambda", "dynamodb"]},
    }


@pytest.mark.terraform
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_backend_variant_validates(variant: str, synthesized_variants: dict[str, Path], tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    shutil.copytree(synthesized_variants[variant], stack)
    result = init_and_validate(stack, tmp_path / "terraform.rc")
    assert result.returncode == 0 and '"valid": true' in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ({"type": "cloud", "workspace": "w"}, "context.backend.organization None is invalid: a Terraform Cloud organization name (required for the cloud backend)"),
        ({"type": "cloud", "organization": "o"}, "context.backend.workspace None is invalid: exactly one of workspace (a name) or workspaceTags (a list)"),
        ({**S3, "bucket": None}, "context.backend.bucket None is invalid: an S3 bucket name (required for the s3 backend)"),
        ({k: v for k, v in S3.items() if k != "dynamodbTable"}, "context.backend.dynamodbTable None is invalid: a lock table, or useLockfile: true (state must be locked)"),
        ({"type": "gcs"}, "context.backend {'type': 'gcs'} is invalid: an object whose type is one of local, s3, cloud"),
        ({"type": "local", "path": "x"}, "context.backend.path 'x' is invalid: nothing: the local backend takes no settings (its state file sits beside cdktf.out/)"),
    ],
    ids=["cloud without organization", "cloud without workspace", "s3 without bucket", "s3 without locking", "unknown type", "unknown field"],
)
def test_missing_or_bad_backend_fields_fail_before_synthesis(backend: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings({**main.load_context(), "backend": backend}, {})
    assert message in caught.value.problems


SHAPES = {
    "local": '{"type": "local"}',
    "s3": '{"type": "s3", "bucket": ..., "key": ..., "region": ..., "dynamodbTable": ...}',
    "cloud": '{"type": "cloud", "organization": ..., "workspace": ...}',
}


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("cloud", f"context.backend 'cloud' is invalid: an object such as {SHAPES['cloud']}"),
        ("s3", f"context.backend 's3' is invalid: an object such as {SHAPES['s3']}"),
        ("local", f"context.backend 'local' is invalid: an object such as {SHAPES['local']}"),
        ("gcs", f"context.backend 'gcs' is invalid: an object such as {SHAPES['local']} or {SHAPES['s3']} or {SHAPES['cloud']}"),
        (["s3"], f"context.backend ['s3'] is invalid: an object such as {SHAPES['local']} or {SHAPES['s3']} or {SHAPES['cloud']}"),
    ],
    ids=["cloud", "s3", "local", "unknown string", "not an object"],
)
def test_a_backend_that_is_not_an_object_shows_the_shape_to_write(backend: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings({**main.load_context(), "backend": backend}, {})
    assert caught.value.problems == (message,)


def test_a_backend_type_name_from_the_environment_shows_its_shape_and_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_BACKEND": "cloud"})
    assert caught.value.problems == (f"context.backend (set by LAMBDA_DYNAMODB_BACKEND) 'cloud' is invalid: an object such as {SHAPES['cloud']}",)


def test_a_backend_field_from_the_environment_names_the_field_and_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_BACKEND": json.dumps({**S3, "bucket": None})})
    assert caught.value.problems == (
        "context.backend.bucket (set by LAMBDA_DYNAMODB_BACKEND) None is invalid: an S3 bucket name (required for the s3 backend)",
    )


def test_backend_from_the_environment() -> None:
    settings = main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_BACKEND": json.dumps(CLOUD)})
    assert (settings.backend.type, settings.backend.get("workspace")) == ("cloud", "lambda-dynamodb")
