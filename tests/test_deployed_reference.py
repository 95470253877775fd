"""The walkthrough's exact setup, deployed: the emulator's IAM holds the reference policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import main

from conftest import attached_policy_document, deployed, policy_statements

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]


def test_reference_policy_is_what_iam_stores(tmp_path: Path, blog_policy: dict[str, Any]) -> None:
    # cdktf.json already lists the seven reference actions; the walkthrough's logs are
    # account-wide, and its function is not traced (so its role has no X-Ray grant).
    settings = main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_LOGS": "account_wide", "LAMBDA_DYNAMODB_TRACING": "PassThrough"})
    assert settings.access == tuple(blog_policy["Statement"][0]["Action"])
    main.build_app(settings, tmp_path / "out").synth()
    with deployed(tmp_path / "out" / "stacks" / main.STACK_NAME, tmp_path / "work") as deployment:
        stored = attached_policy_document(deployment, "MyLambdaRole")
        assert policy_statements(stored) == policy_statements(blog_policy)
        deployment.client("dynamodb").update_table(TableName="SampleTable", DeletionProtectionEnabled=False)
        deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color")


@pytest.fixture(autouse=True)
def _no_overrides(clean_env: pytest.MonkeyPatch) -> None:
    """Settings here come from cdktf.json and the test, never from the caller's environment."""
