"""A deployment whose policy lacks what the handler calls: the smoke test refuses it as AWS would."""

from __future__ import annotations

from pathlib import Path

import pytest

import main
from tools.smoke import SmokeTestFailed, smoke_test

from conftest import deployed

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

DENIED_PUT = (
    "User: arn:aws:sts::123456789012:assumed-role/MyLambdaRole/MyLambdaFunction is not authorized to perform: "
    "dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/SampleTable "
    "because no identity-based policy allows the dynamodb:PutItem action"
)


def test_smoke_test_fails_on_a_call_the_deployed_policy_does_not_allow(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The code check is off, so synthesis lets the read-only grant through: the smoke test must catch it.
    settings = main.app_settings(main.load_context(), {"LAMBDA_DYNAMODB_ACCESS": "read", "LAMBDA_DYNAMODB_CHECK_CODE": "false"})
    main.build_app(settings, tmp_path / "out").synth()
    with deployed(tmp_path / "out" / "stacks" / main.STACK_NAME, tmp_path / "work") as deployment:
        for name, value in deployment.env.items():
            if name.startswith("AWS_"):
                monkeypatch.setenv(name, value)
        with pytest.raises(SmokeTestFailed) as failure:
            smoke_test("MyLambdaFunction", deployment.stack_dir, report=lambda line: None)
    message = str(failure.value)
    assert message.startswith("put a new item: unexpected answer {'ok': False, 'action': 'put', 'error': {'type': 'AccessDeniedException'")
    assert DENIED_PUT in message
