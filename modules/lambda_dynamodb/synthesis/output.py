"""Synthesis that never leaves half-written output behind, and never replaces a folder it did not make.

Every folder the project writes whole (``cdktf.out``, ``make plan``'s folder, ``python -m tools.tf_module
--outdir``) is staged beside its target and swapped in by :func:`replace_folder`, which writes a
marker file (:data:`MARKER`) inside it. A folder is replaced only when it holds that marker (or is
empty): a user's folder named by mistake (``CDKTF_OUTDIR=~/work``, ``PLAN_DIR=.``) is refused by
name, whatever it holds. The file system's root, the home folder, the working directory and their
parents, and a project's root (a folder holding ``cdktf.json``) are always refused.

Several processes may write the same folder at once (two ``make synth``): each stages in a folder
of its own, and the swap itself is done under an exclusive lock on the parent folder, so one swap
completes before the next starts; each retires the previous output under a name of its own.
Readers see the old folder or the new one, never a mix of both.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from lambda_dynamodb.config.errors import ConfigurationError

if TYPE_CHECKING:
    from cdktf import App

#: Written inside every folder the project makes; its presence is what allows a replacement.
MARKER = ".lambda-dynamodb-output"
MARKER_TEXT = (
    "This folder is written by cdktf-lambda-dynamodb and replaced whole each time it is written again.\n"
    "Delete this file to keep the project from ever replacing the folder.\n"
)


class FolderError(ConfigurationError):
    """A folder the project was asked to replace but must not (its problem names the folder)."""

    def __init__(self, folder: Path, rule: str) -> None:
        self.folder = folder
        # The whole path, never cut: naming the folder is the point.
        super().__init__([f"output folder {str(folder)!r} is invalid: {rule}"])


def synth_atomically(build: Callable[[Path], App], outdir: Path) -> Path:
    """Build and synthesize into a staging folder, then swap it in place of ``outdir``.

    ``build`` gets the staging folder to use as the App's ``outdir``. If building or
    synthesizing fails, ``outdir`` keeps what it had and the staging folder is removed.
    An ``outdir`` the project did not make is refused (:class:`FolderError`) before building.
    """
    outdir = outdir.resolve()
    check_replaceable(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.staging-", dir=outdir.parent))
    try:
        build(staging).synth()
        replace_folder(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outdir


def replace_folder(new: Path, target: Path) -> None:
    """Put the folder ``new`` in place of ``target`` (removing what ``target`` held).

    ``new`` gets the marker; ``target`` must be absent, empty, or hold the marker (else
    :class:`FolderError`, and nothing changes). ``new`` must be in ``target``'s parent folder.
    """
    target = Path(os.path.abspath(target))
    new = Path(new)
    (new / MARKER).write_text(MARKER_TEXT)
    with _locked(target.parent):
        check_replaceable(target)
        if not os.path.lexists(target):
            new.rename(target)
            return
        if target.is_symlink():
            raise FolderError(target, "is a symbolic link: name the folder it points to")
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.retired-", dir=target.parent))
        try:
            if _exchange(new, target):
                new.rename(retired / "old")  # ``new`` (the name) now holds the previous output
            else:
                target.rename(retired / "old")
                try:
                    new.rename(target)
                except BaseException:
                    (retired / "old").rename(target)  # the previous output back in place
                    raise
        except BaseException:
            if not (retired / "old").exists():
                retired.rmdir()
            raise
    shutil.rmtree(retired, ignore_errors=True)


def check_replaceable(target: Path) -> None:
    """Raise :class:`FolderError` unless the project may replace ``target`` whole."""
    target = Path(os.path.abspath(target))
    resolved = target.resolve()
    for protected, why in _protected():
        if resolved == protected:
            raise FolderError(target, f"is {why}: the project never replaces it; name a folder of its own")
        if protected.is_relative_to(resolved):
            raise FolderError(target, f"holds {why} ({protected}): the project never replaces it; name a folder of its own")
    if (resolved / "cdktf.json").exists():
        raise FolderError(target, "is a project's root (it holds cdktf.json): name a folder of its own, e.g. cdktf.out")
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise FolderError(target, "is a file, not a folder the project made: remove it or name another folder")
    if (target / MARKER).is_file():
        return
    if not any(target.iterdir()):
        return  # empty: nothing to lose
    raise FolderError(
        target,
        f"exists and was not made by the project (no {MARKER} file inside), so replacing it could delete "
        "files of yours: remove or rename it yourself, or name another folder",
    )


def _protected() -> Iterator[tuple[Path, str]]:
    yield Path("/").resolve(), "the file system's root"
    yield Path.home().resolve(), "the home folder"
    yield Path.cwd().resolve(), "the working directory"
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main:
        yield Path(main).resolve().parent, "the running program's folder"
    yield Path(__file__).resolve().parent, "this library's folder"


# --- locking and swapping ------------------------------------------------------------------------


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (its directory entry): one swap in it at a time."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, renames only
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # an older kernel or a file system without it
    raise OSError(code, os.strerror(code), str(second))
