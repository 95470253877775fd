"""Secure by default, proven by checkov (the scanner platform teams run) on the synthesized JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import LambdaDynamoDb

from conftest import PROJECT_DIR, STACK, module_settings, synth_stack
from lambda_dynamodb.packaging.code_package import archive

pytestmark = pytest.mark.scan

CONFIG = PROJECT_DIR / ".checkov.yaml"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def checkov(stack_dir: Path, *options: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "checkov.main", "-d", str(stack_dir), "-o", "json", *options]
    # Run outside the project: checkov reads a .checkov.yaml in its working folder by itself.
    result = subprocess.run(command, cwd=stack_dir, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr}"
    report = json.loads(result.stdout)
    assert report["summary"]["parsing_errors"] == 0
    return report


def failed(report: dict[str, Any]) -> set[str]:
    return {check["check_id"] for check in report.get("results", {}).get("failed_checks", [])}


def documented_skips() -> set[str]:
    return set(re.findall(r"^\s*- (CKV2?_AWS_\d+)\s+#", CONFIG.read_text(), re.MULTILINE))


def test_default_stack_has_no_failed_check(app_stack_dir: Path) -> None:
    report = checkov(app_stack_dir, "--config-file", str(CONFIG))
    assert failed(report) == set()
    assert report["summary"]["passed"] >= 30


def test_every_skip_is_needed_and_documented(app_stack_dir: Path) -> None:
    # Without the config, exactly the documented opt-in checks fail: no skip hides anything else.
    report = checkov(app_stack_dir, "--framework", "terraform_json", "--skip-download")
    assert failed(report) == documented_skips()


def test_the_security_docs_name_every_skipped_check() -> None:
    docs = (PROJECT_DIR / "docs" / "security.md").read_text()
    assert {check for check in documented_skips() if check not in docs} == set()


def test_opt_in_settings_pass_the_skipped_checks_too(tmp_path: Path) -> None:
    base = module_settings()
    hardened = replace(
        base,
        table=replace(base.table, kms_key_arn=KEY),
        function=replace(
            base.function,
            reserved_concurrency=5,
            dead_letter_target_arn="arn:aws:sqs:eu-west-1:123456789012:orders-dlq",
            environment_kms_key_arn=KEY,
            log_kms_key_arn=KEY,
            subnet_ids=("subnet-0123456789abcdef0",),
            security_group_ids=("sg-0123456789abcdef0",),
            code_signing_config_arn="arn:aws:lambda:eu-west-1:123456789012:code-signing-config:csc-0123456789abcdefg",
            # Code signing needs the user's signed zip: the module's own zip is unsigned.
            package=archive((PROJECT_DIR / "lambda").resolve()),
            package_signed=True,
        ),
        check_code=False,
    )
    synth_stack(tmp_path, lambda stack: LambdaDynamoDb(stack, "module", hardened))
    report = checkov(tmp_path / "stacks" / STACK, "--framework", "terraform_json", "--skip-download")
    assert failed(report) == set()


@pytest.mark.parametrize("target", ["scan"])
def test_make_scan_uses_the_config(target: str) -> None:
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert re.search(rf"^{target}:.*\n(\t.*\n)*\t.*checkov --config-file \.checkov\.yaml", makefile, re.MULTILINE)
