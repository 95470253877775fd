"""The function's package: dependencies installed for Lambda's platform, reproducible, cached, within limits.

These tests install real wheels from the package index (pip, for another platform than this
machine's): they need the network to PyPI, as `make synth` does the first time.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lambda_dynamodb import Architecture, ConfigurationError, DependencyPackaging, FunctionSettings, Runtime
from lambda_dynamodb.packaging.code_package import MAX_UNZIPPED_BYTES, build
from lambda_dynamodb.packaging.dependencies import Platform

from conftest import PROJECT_DIR, module_settings, only, synth_stack

pytestmark = pytest.mark.packaging

SIX_SHA256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"  # six-1.16.0-py2.py3-none-any.whl


def code_dir(tmp_path: Path, requirements: str, name: str = "code") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    (folder / "requirements.txt").write_text(requirements)
    return folder


def settings_for(folder: Path, **changes: Any) -> FunctionSettings:
    return FunctionSettings(name="fn", source_dir=folder, **changes)


def names(package: Path) -> list[str]:
    with zipfile.ZipFile(package) as bundle:
        return bundle.namelist()


def installs(cache: Path) -> int:
    return len(list((cache / "dependencies").iterdir())) if (cache / "dependencies").exists() else 0


# --- the sample function -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_zip(app_stack: dict[str, Any], app_stack_dir: Path) -> list[str]:
    from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

    return names(app_stack_dir / only(app_stack, LambdaFunction.TF_RESOURCE_TYPE)["filename"])


def test_the_default_apps_zip_holds_powertools(app_zip: list[str]) -> None:
    assert "aws_lambda_powertools/__init__.py" in app_zip and "aws_xray_sdk/__init__.py" in app_zip


def test_the_runtimes_sdk_is_left_out_with_what_only_it_needs(app_zip: list[str]) -> None:
    tops = {name.split("/")[0] for name in app_zip}
    assert not tops & {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six.py"}, sorted(tops)


def test_no_bytecode_or_console_scripts_are_packaged(app_zip: list[str]) -> None:
    assert [n for n in app_zip if "__pycache__" in n or n.endswith(".pyc") or n.startswith("bin/")] == []


def test_the_zip_is_sorted_and_timeless(app_stack: dict[str, Any], app_stack_dir: Path) -> None:
    from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

    with zipfile.ZipFile(app_stack_dir / only(app_stack, LambdaFunction.TF_RESOURCE_TYPE)["filename"]) as bundle:
        infos = bundle.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_the_module_passes_the_key_names_to_the_function(app_stack: dict[str, Any]) -> None:
    from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction

    assert only(app_stack, LambdaFunction.TF_RESOURCE_TYPE)["environment"]["variables"]["TABLE_KEY_NAMES"] == "pk,sk"


# --- reproducible and cached ------------------------------------------------------------------


def test_two_builds_from_empty_caches_give_the_same_bytes(tmp_path: Path) -> None:
    folder = code_dir(tmp_path, "aws-lambda-powertools[tracer]==3.37.0\n")
    first = build(settings_for(folder), tmp_path / "cache-a").function
    second = build(settings_for(folder), tmp_path / "cache-b").function
    assert first.path.read_bytes() == second.path.read_bytes() and first.code_sha256 == second.code_sha256


def test_a_code_change_reuses_the_install(tmp_path: Path) -> None:
    folder, cache = code_dir(tmp_path, "six==1.16.0\n"), tmp_path / "cache"
    before = build(settings_for(folder), cache).function
    with (folder / "handler.py").open("a") as handler:
        handler.write("# changed\n")
    after = build(settings_for(folder), cache).function
    assert installs(cache) == 1 and after.sha256 != before.sha256


def test_a_requirements_change_reinstalls(tmp_path: Path) -> None:
    folder, cache = code_dir(tmp_path, "six==1.16.0\n"), tmp_path / "cache"
    build(settings_for(folder), cache)
    (folder / "requirements.txt").write_text("six==1.17.0\n")
    assert "six-1.17.0.dist-info/METADATA" in names(build(settings_for(folder), cache).function.path)
    assert installs(cache) == 2


# --- built for Lambda's platform, not this machine's ------------------------------------------


def wheel_tags(package: Path, distribution: str) -> list[str]:
    with zipfile.ZipFile(package) as bundle:
        (wheel,) = [n for n in bundle.namelist() if n.startswith(f"{distribution}-") and n.endswith(".dist-info/WHEEL")]
        return [line.split(": ", 1)[1] for line in bundle.read(wheel).decode().splitlines() if line.startswith("Tag: ")]


def test_a_compiled_dependency_is_the_arm64_build_for_cpython_3_13(tmp_path: Path) -> None:
    folder = code_dir(tmp_path, "orjson==3.10.18\n")
    package = build(settings_for(folder, architecture=Architecture.ARM64, runtime=Runtime.PYTHON_3_13), tmp_path / "cache").function.path
    tags = wheel_tags(package, "orjson")
    assert tags and all(tag.startswith("cp313-cp313-manylinux") and tag.endswith("_aarch64") for tag in tags), tags
    assert [n for n in names(package) if n.endswith(".so")] == ["orjson/orjson.cpython-313-aarch64-linux-gnu.so"]


def test_x86_64_gets_the_x86_64_build(tmp_path: Path) -> None:
    folder = code_dir(tmp_path, "orjson==3.10.18\n")
    package = build(settings_for(folder, architecture=Architecture.X86_64, runtime=Runtime.PYTHON_3_12), tmp_path / "cache").function.path
    assert [n for n in names(package) if n.endswith(".so")] == ["orjson/orjson.cpython-312-x86_64-linux-gnu.so"]


def test_platform_tags_follow_the_runtimes_glibc() -> None:
    assert Platform(Runtime.PYTHON_3_11, Architecture.ARM64).tags[0] == "manylinux_2_26_aarch64"
    assert Platform(Runtime.PYTHON_3_13, Architecture.X86_64).tags[0] == "manylinux_2_34_x86_64"
    assert Platform(Runtime.PYTHON_3_13, Architecture.X86_64).tags[-2:] == ("manylinux_2_17_x86_64", "manylinux2014_x86_64")


def test_a_dependency_without_a_wheel_fails_and_writes_nothing(tmp_path: Path) -> None:
    from lambda_dynamodb.synthesis.output import synth_atomically

    folder, cache = code_dir(tmp_path, "numpy==1.21.0\n"), tmp_path / "cache"
    settings = module_settings(check_code=False)
    settings = replace(settings, function=replace(settings.function, source_dir=folder, architecture=Architecture.ARM64))
    out = tmp_path / "out"
    with pytest.raises(ConfigurationError) as error:
        synth_atomically(lambda staging: _app(staging, settings), out)
    (message,) = error.value.problems
    assert message.startswith("function.requirements 'code/requirements.txt' is invalid: numpy==1.21.0 has no wheel for CPython 3.13 on Linux aarch64")
    assert "(Lambda python3.13, arm64)" in message and "Pin a version that publishes a manylinux wheel" in message
    assert not out.exists() and installs(cache) == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["code"]


def _app(staging: Path, settings: Any) -> Any:
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from lambda_dynamodb import LambdaDynamoDb

    app = App(outdir=str(staging))
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region="eu-west-1")
    LambdaDynamoDb(stack, "module", settings)
    return app


def test_a_wrong_pinned_hash_is_refused(tmp_path: Path) -> None:
    folder = code_dir(tmp_path, f"six==1.16.0 --hash=sha256:{'0' * 64}\n")
    with pytest.raises(ConfigurationError, match="a downloaded file does not match its pinned hash"):
        build(settings_for(folder), tmp_path / "cache")


def test_a_pinned_hash_is_honoured(tmp_path: Path) -> None:
    folder = code_dir(tmp_path, f"six==1.16.0 --hash=sha256:{SIX_SHA256}\n")
    assert "six.py" in names(build(settings_for(folder), tmp_path / "cache").function.path)


# --- Lambda's size limits ------------------------------------------------------------------------


def test_an_oversized_zip_fails_naming_its_size_and_biggest_parts(tmp_path: Path) -> None:
    import os

    folder = code_dir(tmp_path, "six==1.16.0\n")
    (folder / "model.bin").write_bytes(os.urandom(52 * 1024 * 1024))  # random bytes do not compress
    cache = tmp_path / "cache"
    with pytest.raises(ConfigurationError) as error:
        build(settings_for(folder), cache)
    (message,) = error.value.problems
    assert message.startswith(f"function.source_dir '{folder}' is invalid: the deployment package is 52.")
    assert "MB zipped, over Lambda's 50.0 MB for a zip uploaded directly; biggest: the code in code/ 52.0 MB, six.py" in message
    assert list((cache / "packages").rglob("*.zip*")) == []


def test_an_oversized_package_unzipped_fails_before_zipping(tmp_path: Path) -> None:
    folder = code_dir(tmp_path, "six==1.16.0\n")
    with (folder / "huge.bin").open("wb") as huge:
        huge.truncate(MAX_UNZIPPED_BYTES + 1)  # sparse: large, but costs no disk
    with pytest.raises(ConfigurationError, match=r"250\.0 MB unzipped, over Lambda's 250\.0 MB for a function and its layers; biggest: the code in code/"):
        build(settings_for(folder), tmp_path / "cache")


# --- dependencies in a layer of their own ----------------------------------------------------------


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    from lambda_dynamodb import LambdaDynamoDb

    tmp = tmp_path_factory.mktemp("layered")
    folder = shutil.copytree(PROJECT_DIR / "lambda", tmp / "lambda", ignore=shutil.ignore_patterns("__pycache__"))
    settings = module_settings()
    settings = replace(settings, function=replace(settings.function, source_dir=folder, dependencies=DependencyPackaging.LAYER, architecture=Architecture.ARM64))
    doc = synth_stack(tmp / "out", lambda stack: LambdaDynamoDb(stack, "module", settings))
    return doc, tmp / "out" / "stacks" / "test"


def test_a_layer_holds_the_dependencies_under_python(layered: tuple[dict[str, Any], Path]) -> None:
    from cdktf_cdktf_provider_aws.lambda_layer_version import LambdaLayerVersion

    doc, stack_dir = layered
    layer = only(doc, LambdaLayerVersion.TF_RESOURCE_TYPE)
    assert (layer["layer_name"], layer["compatible_runtimes"], layer["compatible_architectures"]) == (
        "MyLambdaFunction-dependencies", ["python3.13"], ["arm64"],
    )
    assert "python/aws_lambda_powertools/__init__.py" in names(stack_dir / layer["filename"])


def test_with_a_layer_the_functions_zip_holds_only_the_code(layered: tuple[dict[str, Any], Path]) -> None:
    from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
    from cdktf_cdktf_provider_aws.lambda_layer_version import LambdaLayerVersion

    doc, stack_dir = layered
    function = only(doc, LambdaFunction.TF_RESOURCE_TYPE)
    assert names(stack_dir / function["filename"]) == ["handler.py", "requirements.txt"]
    layer_id = next(iter(doc["resource"][LambdaLayerVersion.TF_RESOURCE_TYPE]))
    assert function["layers"] == [f"${{{LambdaLayerVersion.TF_RESOURCE_TYPE}.{layer_id}.arn}}"]


def test_the_layer_needs_no_permission_of_the_role(layered: tuple[dict[str, Any], Path], synthesized) -> None:
    from conftest import permissions_statements

    assert json.dumps(permissions_statements(layered[0])) == json.dumps(permissions_statements(synthesized("default")))


@pytest.mark.emulator
@pytest.mark.terraform
def test_the_layered_stack_deploys_with_the_function_using_its_layer(layered: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    from conftest import deployed

    with deployed(layered[1], tmp_path) as deployment:
        config = deployment.client("lambda").get_function_configuration(FunctionName="MyLambdaFunction")
        (layer,) = config["Layers"]
        versions = deployment.client("lambda").list_layer_versions(LayerName="MyLambdaFunction-dependencies")["LayerVersions"]
    assert [v["LayerVersionArn"] for v in versions] == [layer["Arn"]]
    assert (versions[0]["CompatibleRuntimes"], versions[0]["CompatibleArchitectures"]) == (["python3.13"], ["arm64"])
