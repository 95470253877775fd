"""`make dist`: the library's wheel and sdist (what they hold, their metadata).

Installing it by name from a package index and synthesizing an outside app with it is
tests/test_release.py (what `make release` publishes)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and sdist, built as `make dist` builds them (python -m build)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), "."], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, f"python -m build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


@pytest.fixture(scope="module")
def wheel_names(built: dict[str, Path]) -> list[str]:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        return wheel.namelist()


def test_wheel_is_named_after_the_distribution(built: dict[str, Path]) -> None:
    assert built["wheel"].name == "cdktf_lambda_dynamodb-0.1.0-py3-none-any.whl"


def test_wheel_holds_the_library_only(wheel_names: list[str]) -> None:
    outside = [n for n in wheel_names if not n.startswith(("lambda_dynamodb/", "cdktf_lambda_dynamodb-0.1.0.dist-info/"))]
    assert outside == []


def test_wheel_ships_no_tests_app_or_function_code(wheel_names: list[str]) -> None:
    leaked = [n for n in wheel_names if any(part in n for part in ("tests/", "main.py", "handler.py", "backends.py", "tf_module.py", "tools/", ".tf"))]
    assert leaked == []


def test_wheel_is_typed(wheel_names: list[str]) -> None:
    assert "lambda_dynamodb/py.typed" in wheel_names


def test_metadata_has_license_and_dependency_ranges(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        metadata = wheel.read("cdktf_lambda_dynamodb-0.1.0.dist-info/METADATA").decode()
    requirements = sorted(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: "))
    assert "License-Expression: Apache-2.0" in metadata
    assert requirements == [
        "boto3<2,>=1.34", "cdktf-cdktf-provider-aws<21,>=20.1.0", "cdktf<0.22,>=0.21.0", "constructs<11,>=10.0.0", "packaging>=21",
    ]
