"""Fast provider loading: same JSON as stock loading, and a safe fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambda_dynamodb import fast_provider

from conftest import PROJECT_DIR

STACK_JSON = Path("stacks") / "lambda-dynamodb" / "cdk.tf.json"


def synth(outdir: Path, *, extra_env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """`python main.py` in a fresh process (optionally after ``prelude``), into ``outdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")}
    env.update(CDKTF_OUTDIR=str(outdir), **(extra_env or {}))
    code = f"{prelude}\nimport runpy, sys\nsys.argv = ['main.py']\nrunpy.run_path('main.py', run_name='__main__')"
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stock_json(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("stock")
    result = synth(out, extra_env={fast_provider.DISABLE_VARIABLE: "1"})
    assert result.returncode == 0, result.stderr
    return (out / STACK_JSON).read_bytes()


@pytest.mark.stock_provider
def test_fast_loading_synthesizes_byte_identical_json(app_stack_dir: Path, stock_json: bytes) -> None:
    # app_stack_dir was synthesized by `python main.py`, which loads the provider lazily.
    assert (app_stack_dir / "cdk.tf.json").read_bytes() == stock_json


def test_the_session_loads_the_provider_lazily() -> None:
    import cdktf_cdktf_provider_aws

    loaded = [name for name in sys.modules if name.startswith("cdktf_cdktf_provider_aws.")]
    assert any(isinstance(finder, fast_provider._LazyProviderFinder) for finder in sys.meta_path)
    assert 0 < len(loaded) < 100, f"{len(loaded)} provider submodules imported: loading is not lazy"
    assert cdktf_cdktf_provider_aws.s3_bucket.S3Bucket.TF_RESOURCE_TYPE == "aws_s3_bucket"  # on first access


@pytest.mark.stock_provider
def test_other_provider_version_falls_back_with_one_warning(tmp_path: Path, stock_json: bytes) -> None:
    prelude = (
        "import importlib.metadata as m\n"
        "real = m.version\n"
        "m.version = lambda name: '20.2.0' if name == 'cdktf-cdktf-provider-aws' else real(name)\n"
    )
    result = synth(tmp_path, prelude=prelude)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "fast provider" in line]
    assert warnings == [
        "warning: lambda_dynamodb: fast provider loading is off (cdktf-cdktf-provider-aws is 20.2.0, "
        "verified with 20.1.0); using stock loading (slower synth)"
    ]
    assert (tmp_path / STACK_JSON).read_bytes() == stock_json


def test_changed_package_source_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_provider, "VERIFIED_ROOT_SHA256", "0" * 64)
    with pytest.raises(fast_provider.FastLoadingUnavailable, match="differs from the verified one"):
        fast_provider._verified_root()


def test_missing_tarball_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_provider, "TARBALL", "missing.jsii.tgz")
    with pytest.raises(fast_provider.FastLoadingUnavailable, match="missing.jsii.tgz is missing"):
        fast_provider._verified_root()


def test_lazy_index_turns_exports_into_getters() -> None:
    source = "\n".join(f'exports.mod{i} = require("./mod-{i}");' for i in range(2135))
    lazy = fast_provider.lazy_index(source).decode()
    assert lazy.splitlines()[0] == fast_provider.LAZY_MARKER
    assert 'Object.defineProperty(exports, "mod7", { enumerable: true, configurable: true, get: () => require("./mod-7") });' in lazy
    assert "= require(" not in lazy


def test_lazy_index_refuses_an_unexpected_layout() -> None:
    with pytest.raises(fast_provider.FastLoadingUnavailable, match="expected 2,135"):
        fast_provider.lazy_index('module.exports = require("./all");')


def test_stock_switch_disables_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fast_provider.DISABLE_VARIABLE, "1")
    assert fast_provider.install() is False


# --- turned on by `import lambda_dynamodb`, each case in a fresh process -----------------------

#: Prints, as JSON, whether the lazy loader is in place and every SlowProviderWarning raised
#: (each one: the filter is "always", so a second warning could not hide behind the first).
REPORT = """
import json, sys
from lambda_dynamodb import SlowProviderWarning, fast_provider
slow = [w for w in caught if issubclass(w.category, SlowProviderWarning)]
print(json.dumps({
    "lazy": any(isinstance(f, fast_provider._LazyProviderFinder) for f in sys.meta_path),
    "submodules": sum(name.startswith("cdktf_cdktf_provider_aws.") for name in sys.modules),
    "warnings": [[w.filename, w.lineno, str(w.message)] for w in slow],
}))
"""


def imports(first: str, *, extra_env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``first`` (the imports under test, warnings recorded) then REPORT in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDA_DYNAMODB_")} | (extra_env or {})
    code = "import warnings\nwith warnings.catch_warnings(record=True) as caught:\n    warnings.simplefilter('always')\n"
    # Then a second install (as an app's own call would be): it must not warn again.
    second = "from lambda_dynamodb import fast_provider\nfast_provider.install()"
    code += "".join(f"    {line}\n" for line in [*first.splitlines(), *second.splitlines()]) + REPORT
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_lambda_dynamodb_first_loads_the_provider_lazily_without_a_warning() -> None:
    report = imports("import lambda_dynamodb\nimport cdktf_cdktf_provider_aws")
    assert report["lazy"] is True
    assert 0 < report["submodules"] < 100  # type: ignore[operator]
    assert report["warnings"] == []


@pytest.mark.stock_provider
def test_a_provider_imported_first_gives_one_warning_with_the_cost_and_the_fix() -> None:
    report = imports("import cdktf_cdktf_provider_aws\nimport lambda_dynamodb")
    assert (report["lazy"], report["submodules"] > 2000) == (False, True)  # type: ignore[operator]
    # Attributed to the line that imported lambda_dynamodb (line 5 of the generated code).
    assert report["warnings"] == [
        [
            "<string>",
            5,
            "lambda_dynamodb: fast provider loading is off: cdktf_cdktf_provider_aws was imported before "
            "lambda_dynamodb, so it loads all its 2,135 submodules (~13 s and ~580 MiB per synth instead of "
            "~1.3 s and ~130 MiB); import lambda_dynamodb before cdktf_cdktf_provider_aws (or set "
            "LAMBDA_DYNAMODB_STOCK_PROVIDER=1 to keep stock loading without this warning)",
        ]
    ]


def test_the_stock_switch_keeps_a_provider_imported_first_silent() -> None:
    # A stand-in for the imported provider: install() only asks whether it is in sys.modules (the
    # test above imports the real one, ~10 s of stock loading that this case does not need).
    first = "import sys, types\nsys.modules['cdktf_cdktf_provider_aws'] = types.ModuleType('cdktf_cdktf_provider_aws')\nimport lambda_dynamodb"
    report = imports(first, extra_env={fast_provider.DISABLE_VARIABLE: "1"})
    assert (report["lazy"], report["warnings"]) == (False, [])


def test_the_stand_in_provider_does_warn_without_the_switch() -> None:
    # The silence above is the switch's, not the stand-in's.
    first = "import sys, types\nsys.modules['cdktf_cdktf_provider_aws'] = types.ModuleType('cdktf_cdktf_provider_aws')\nimport lambda_dynamodb"
    report = imports(first)
    assert [message for _, _, message in report["warnings"]] == [fast_provider.TOO_LATE]  # type: ignore[union-attr]


def test_the_warning_is_not_a_deprecation() -> None:
    # The suite turns DeprecationWarnings from lambda_dynamodb into errors (pyproject.toml).
    assert issubclass(fast_provider.SlowProviderWarning, UserWarning)
    assert not issubclass(fast_provider.SlowProviderWarning, DeprecationWarning)


def _fake_provider_tarball(path: Path) -> Path:
    import io
    import tarfile

    index = "\n".join(f'exports.mod{i} = require("./mod-{i}");' for i in range(2135))
    files = {
        "package/lib/index.js": index + "\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==\n",
        "package/lib/index.d.ts": "export declare const x: number;\n",
        "package/.jsii": '{"name": "@cdktf/provider-aws"}',
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 500000000
            archive.addfile(info, io.BytesIO(data))
    return path


def test_lazy_tarball_is_reproducible_and_slim(tmp_path: Path) -> None:
    import tarfile

    original = _fake_provider_tarball(tmp_path / "provider.tgz")
    first, second = tmp_path / "a.tgz", tmp_path / "b.tgz"
    fast_provider._build_lazy_tarball(original, first)
    fast_provider._build_lazy_tarball(original, second)
    # Same bytes each time: jsii keys its cache (and its runtime index) by the tarball's digest.
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as archive:
        assert sorted(archive.getnames()) == ["package/.jsii", "package/lib/index.js"]
        index = archive.extractfile("package/lib/index.js").read().decode()  # type: ignore[union-attr]
    assert index.startswith(fast_provider.LAZY_MARKER) and "sourceMappingURL" not in index
