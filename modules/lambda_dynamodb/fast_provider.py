"""Fast loading of the prebuilt AWS provider bindings (``cdktf-cdktf-provider-aws`` 20.1.0).

Stock loading imports all 2,135 submodules of the package in Python, and ``require``s all of
them in Node, whichever resources an app uses: for every synth of the sample app (``python
main.py``, measured on a 2-core machine) ~13 s and ~580 MiB instead of ~1.3 s and ~130 MiB
(hashicorp/terraform-cdk#3753). :func:`install` makes both sides load a submodule only when it
is first used:

- Python: the package root is executed without its trailing ``from . import <submodule>``
  lines, and gets a PEP 562 ``__getattr__`` that imports a submodule on first access. The jsii
  runtime (1.142) already resolves types of not-yet-imported submodules by importing them.
- Node: the assembly is loaded from a copy of the package tarball whose ``lib/index.js``
  defines each submodule export as a getter that ``require``s it on first access. The copy is
  built once (a few seconds) into a user cache folder, keyed by the original's version and size.

It is pinned to the exact files it was verified with (package version, root source hash, jsii
version). With anything else, or if something it relies on is missing, it prints one warning
line and leaves stock loading in place: synth still works, only slower. The synthesized JSON is
the same either way (tests/test_fast_provider.py compares them byte for byte).

``import lambda_dynamodb`` installs it (the package's first statement), so it is on whenever
the library is imported before the provider. A provider imported first has already loaded
stock, and nothing can make it lazy then: :func:`install` says so once, with a
:class:`SlowProviderWarning` naming the cost and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import io
import os
import re
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from lambda_dynamodb.packaging.cache import cache_dir

PACKAGE = "cdktf_cdktf_provider_aws"
DISTRIBUTION = "cdktf-cdktf-provider-aws"
ASSEMBLY = "@cdktf/provider-aws"
#: What this was verified with: distribution versions and the root module's source.
VERIFIED_VERSIONS = {DISTRIBUTION: "20.1.0", "jsii": "1.142.0"}
VERIFIED_ROOT_SHA256 = "b572adc0d5678ee04026e6947059edbfd0011fa7e5da99ab61428e0c401d7414"
TARBALL = "provider-aws@20.1.0.jsii.tgz"
#: Set to 1 to keep stock loading (the benchmark's baseline does).
DISABLE_VARIABLE = "LAMBDA_DYNAMODB_STOCK_PROVIDER"
#: What stock loading costs (``python main.py``, the sample app, on this project's 2-core machine).
STOCK_COST = "~13 s and ~580 MiB per synth instead of ~1.3 s and ~130 MiB"
TOO_LATE = (
    f"lambda_dynamodb: fast provider loading is off: {PACKAGE} was imported before lambda_dynamodb, so it "
    f"loads all its 2,135 submodules ({STOCK_COST}); import lambda_dynamodb before {PACKAGE} "
    f"(or set {DISABLE_VARIABLE}=1 to keep stock loading without this warning)"
)

_SUBMODULE_IMPORT = re.compile(r"^from \. import (\w+)\n", re.MULTILINE)
_EAGER_EXPORT = re.compile(r'^exports\.(\w+) = require\("(\./[\w-]+)"\);$', re.MULTILINE)
_LAZY_EXPORT = r'Object.defineProperty(exports, "\1", { enumerable: true, configurable: true, get: () => require("\2") });'
_INLINE_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=data:application/json;base64,[A-Za-z0-9+/=]*\s*\Z", re.MULTILINE)
#: Version of what _build_lazy_tarball writes: a change to it must not reuse older copies.
_FORMAT = 2
#: First line of the lazy lib/index.js: how its extracted copy is recognised in jsii's cache.
LAZY_MARKER = "// lazy submodule exports: lambda_dynamodb.fast_provider"
#: The jsii runtime's per-type index of an extracted package (built by a worker thread).
RUNTIME_INDEX = ".jsii.runtime.v1.json"


class FastLoadingUnavailable(RuntimeError):
    pass


class SlowProviderWarning(UserWarning):
    """The AWS provider was imported before lambda_dynamodb: it loaded stock, every synth is slow.

    A :class:`UserWarning` (shown once by default, never an error under the project's
    ``error::DeprecationWarning`` filter); silence it with ``LAMBDA_DYNAMODB_STOCK_PROVIDER=1``
    or ``warnings.filterwarnings("ignore", category=SlowProviderWarning)``.
    """


#: Whether this process was told that the provider loaded too early (once is enough).
_warned_too_late = False
#: Why the installed files cannot be loaded lazily, once found: said once, later installs return False.
_unavailable: FastLoadingUnavailable | None = None


def install(warn: Callable[[str], None] | None = None, *, stacklevel: int = 2) -> bool:
    """Make the next ``import cdktf_cdktf_provider_aws`` lazy. True when active.

    Falls back to stock loading, with one warning line per process, when the installed files are
    not the verified ones. Does nothing (and returns False) with ``LAMBDA_DYNAMODB_STOCK_PROVIDER=1``.
    If the package was already imported without it, returns False and warns once per process
    (:class:`SlowProviderWarning`, attributed ``stacklevel`` frames up: the caller's import).
    """
    global _unavailable
    if os.environ.get(DISABLE_VARIABLE) == "1":
        return False
    if any(isinstance(finder, _LazyProviderFinder) for finder in sys.meta_path):
        return True
    if _unavailable is not None:
        return False  # already said why, and the provider then loads stock whenever it is imported
    if PACKAGE in sys.modules:
        _warn_too_late(stacklevel)
        return False
    if importlib.machinery.PathFinder.find_spec(PACKAGE) is None:
        # No provider bindings at all (the run task's Lambda package, say): nothing to load, so
        # nothing to warn about; the constructs would fail on import anyway, naming the package.
        return False
    try:
        root = _verified_root()
    except FastLoadingUnavailable as reason:
        _unavailable = reason
        (warn or _warn)(f"lambda_dynamodb: fast provider loading is off ({reason}); using stock loading (slower synth)")
        return False
    sys.meta_path.insert(0, _LazyProviderFinder(root, warn or _warn))
    return True


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _warn_too_late(stacklevel: int) -> None:
    """One :class:`SlowProviderWarning` per process, ``stacklevel`` frames above :func:`install`."""
    global _warned_too_late
    if not _warned_too_late:
        _warned_too_late = True
        warnings.warn(TOO_LATE, SlowProviderWarning, stacklevel=stacklevel + 1)


def _verified_root() -> Path:
    for distribution, expected in VERIFIED_VERSIONS.items():
        try:
            found = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            raise FastLoadingUnavailable(f"{distribution} is not installed") from None
        if found != expected:
            raise FastLoadingUnavailable(f"{distribution} is {found}, verified with {expected}")
    spec = importlib.machinery.PathFinder.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise FastLoadingUnavailable(f"{PACKAGE} cannot be found")
    root = Path(spec.origin).parent
    if hashlib.sha256((root / "__init__.py").read_bytes()).hexdigest() != VERIFIED_ROOT_SHA256:
        raise FastLoadingUnavailable(f"{root / '__init__.py'} differs from the verified one")
    if not (root / "_jsii" / TARBALL).is_file():
        raise FastLoadingUnavailable(f"{root / '_jsii' / TARBALL} is missing")
    return root


class _LazyProviderFinder(importlib.abc.MetaPathFinder):
    def __init__(self, root: Path, warn: Callable[[str], None]) -> None:
        self._root = root
        self._warn = warn

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name != PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None:
            return None
        spec.loader = _LazyRootLoader(self._root, self._warn)
        return spec


class _LazyRootLoader(importlib.abc.Loader):
    def __init__(self, root: Path, warn: Callable[[str], None]) -> None:
        self._root = root
        self._warn = warn

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        origin = self._root / "__init__.py"
        source = origin.read_text()
        submodules = _SUBMODULE_IMPORT.findall(source)
        code = compile(_SUBMODULE_IMPORT.sub("", source), str(origin), "exec")
        with _assembly_from(self._lazy_tarball()):
            exec(code, module.__dict__)
        # publication.publish() (at the end of the source) replaced the module object.
        public = sys.modules[module.__name__]
        public.__getattr__ = _submodule_importer(module.__name__, frozenset(submodules))  # type: ignore[attr-defined]

    def _lazy_tarball(self) -> Path:
        original = self._root / "_jsii" / TARBALL
        try:
            return lazy_tarball(original)
        except (OSError, tarfile.TarError, FastLoadingUnavailable) as error:
            self._warn(f"lambda_dynamodb: lazy Node loading is off ({error}); Python-side lazy loading only")
            return original


def _submodule_importer(package: str, submodules: frozenset[str]) -> Callable[[str], ModuleType]:
    def __getattr__(name: str) -> ModuleType:
        if name not in submodules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return importlib.import_module(f"{package}.{name}")

    return __getattr__


@contextmanager
def _assembly_from(tarball: Path) -> Iterator[None]:
    """Have jsii load the provider's assembly from ``tarball`` instead of the packaged one."""
    import jsii
    from jsii._runtime import kernel

    original = jsii.JSIIAssembly.__dict__["load"]

    class _Swap:
        def load(self, name: str, version: str, path: str) -> Any:
            return kernel.load(name, version, str(tarball) if name == ASSEMBLY else path)

    def load(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if args and args[0] == ASSEMBLY:
            kwargs["_kernel"] = _Swap()
        return original.__func__(cls, *args, **kwargs)

    jsii.JSIIAssembly.load = classmethod(load)  # type: ignore[method-assign]
    try:
        yield
    finally:
        jsii.JSIIAssembly.load = original  # type: ignore[method-assign]


def lazy_tarball(original: Path) -> Path:
    """The package tarball with a lazy ``lib/index.js``: built once, then reused."""
    target = cache_dir() / f"{original.stem}-{original.stat().st_size}-lazy-v{_FORMAT}.tgz"
    if not target.exists():
        _build_lazy_tarball(original, target)
    return target


def _build_lazy_tarball(original: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=".building-", suffix=".tgz")
    os.close(handle)
    try:
        # mtime=0 and the members' own times: the same input gives the same bytes, so jsii's
        # cache (keyed by the tarball's digest) keeps its extraction and runtime index.
        with tarfile.open(original, "r:gz") as source, open(staging, "wb") as file, gzip.GzipFile(
            filename="", mode="wb", fileobj=file, compresslevel=6, mtime=0
        ) as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as copy:  # type: ignore[call-overload]
                replaced = sum(_copy_member(source, copy, member) for member in source)
        if replaced != 1:
            raise FastLoadingUnavailable("package/lib/index.js not found in the provider tarball")
        os.replace(staging, target)
    finally:
        Path(staging).unlink(missing_ok=True)


def _copy_member(source: tarfile.TarFile, copy: tarfile.TarFile, member: tarfile.TarInfo) -> int:
    """Copy one member, slimmed for the runtime; 1 when it was the rewritten lib/index.js."""
    if member.name.startswith("package/lib/") and member.name.endswith(".d.ts"):
        return 0  # TypeScript declarations: never read at run time
    data = source.extractfile(member) if member.isfile() else None
    if data is None or not member.name.startswith("package/lib/") or not member.name.endswith(".js"):
        copy.addfile(member, data)
        return 0
    content = data.read().decode()
    is_index = member.name == "package/lib/index.js"
    if is_index:
        content = lazy_index(content).decode()
    # Inline source maps (base64 in a trailing comment) are most of each file's bytes and are
    # only read by debuggers; dropping them makes the tarball (hashed on every load) smaller.
    slim = _INLINE_SOURCE_MAP.sub("", content).encode()
    member.size = len(slim)
    copy.addfile(member, io.BytesIO(slim))
    return int(is_index)


def lazy_index(source: str) -> bytes:
    """``exports.x = require("./x");`` becomes a getter that requires on first access."""
    lazy, count = _EAGER_EXPORT.subn(_LAZY_EXPORT, source)
    if count < 2000:
        raise FastLoadingUnavailable(f"lib/index.js has {count} submodule exports, expected 2,135")
    return f"{LAZY_MARKER}\n{lazy}".encode()


def extracted_lazy_package() -> Path | None:
    """jsii's cached extraction of the lazy tarball, if it has been loaded once."""
    root = Path(os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT") or Path.home() / ".cache" / "aws" / "jsii" / "package-cache")
    lazy = []
    for candidate in (root / ASSEMBLY / VERIFIED_VERSIONS[DISTRIBUTION]).glob("*/lib/index.js"):
        with candidate.open() as index:
            if index.readline().rstrip("\n") == LAZY_MARKER:
                lazy.append(candidate.parent.parent)
    # jsii touches this marker whenever it uses an extraction: the newest is the one in use.
    return max(lazy, key=lambda package: _mtime(package / ".jsii-runtime-package-cache"), default=None)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def prepare(timeout: float = 300.0, report: Callable[[str], None] = print) -> bool:
    """Build the lazy tarball and have jsii index it, so that every later synth is fast.

    jsii builds its per-type runtime index in a worker thread after a first load; a short
    synth exits before it is done, and without the index Node parses the whole 120 MB
    assembly on every run. This loads the provider once and waits for the index.
    """
    if not install(warn=report):
        return False
    import time

    importlib.import_module(PACKAGE)  # loads the assembly: starts jsii's index worker

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        package = extracted_lazy_package()
        if package is not None and (package / RUNTIME_INDEX).exists():
            report(f"fast provider loading ready: {package}")
            return True
        time.sleep(0.5)
    report("warning: jsii did not finish its runtime index in time; synth works, but is slower until it does")
    return False


if __name__ == "__main__":
    # `python -m lambda_dynamodb.fast_provider` prepares everything once (make install runs it).
    # Never fatal: without it, synth still works with stock loading.
    prepare()
