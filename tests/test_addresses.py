"""No accidental data loss: resource addresses are identity.

Terraform turns a renamed address into destroy + create: for the table, a new, empty table. The
default app's addresses are snapshotted; a refactor that changes one fails here until the
snapshot is updated on purpose (UPDATE_SNAPSHOT=1 make test, then review the diff).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import main
from lambda_dynamodb import Access, LambdaDynamoDb

from conftest import module_settings, synth_stack

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "default-app-addresses.txt"


def addresses(doc: dict[str, Any]) -> list[str]:
    return sorted(f"{kind}.{name}" for kind, blocks in doc.get("resource", {}).items() for name in blocks)


def test_default_app_addresses_match_the_snapshot(app_stack: dict[str, Any]) -> None:
    current = "\n".join(addresses(app_stack)) + "\n"
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text(), (
        "a resource address changed: Terraform would destroy and re-create it (a table loses its data). "
        "If that is intended (with a `moved` block or a migration), run UPDATE_SNAPSHOT=1 make test and commit the diff."
    )


def test_snapshot_names_every_resource_kind(app_stack: dict[str, Any]) -> None:
    kinds = {line.split(".")[0] for line in SNAPSHOT.read_text().split()}
    assert kinds == {
        "aws_dynamodb_table",
        "aws_iam_role",
        "aws_iam_policy",
        "aws_iam_role_policy_attachment",
        "aws_cloudwatch_log_group",
        "aws_lambda_function",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"access": Access.READ, "check_code": False},
        {"function": {"memory_mb": 1024}},
        {"function": {"log_retention_days": 731}},
        {"function": {"timeout_seconds": 60}},
    ],
    ids=["access", "memory", "retention", "timeout"],
)
def test_non_identity_settings_keep_every_address(change: dict[str, Any], synthesized, tmp_path: Path) -> None:
    base = module_settings()
    settings = replace(base, **{k: (replace(getattr(base, k), **v) if isinstance(v, dict) else v) for k, v in change.items()})
    changed = synth_stack(tmp_path, lambda stack: LambdaDynamoDb(stack, "module", settings))
    assert addresses(changed) == addresses(synthesized("default"))


def test_app_access_and_retention_changes_keep_every_address(app_stack: dict[str, Any], tmp_path: Path) -> None:
    settings = main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_ACCESS": "read", "LAMBDA_DYNAMODB_CHECK_CODE": "false", "LAMBDA_DYNAMODB_LOG_RETENTION_DAYS": "731"})
    main.build_app(settings, tmp_path).synth()
    import json

    changed = json.loads((tmp_path / "stacks" / main.STACK_NAME / "cdk.tf.json").read_text())
    assert addresses(changed) == addresses(app_stack)
