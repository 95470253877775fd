"""The permissions manifest from a configuration version (tar.gz), and nothing else from it.

For CDKTF's CLI-driven runs the configuration version is the synthesized stack folder
(https://developer.hashicorp.com/terraform/cloud-docs/api-docs/configuration-versions): its
``lambda-dynamodb.permissions.json`` gives the review its why column and the functions' calls.
Only that one file is read, at the archive's root or in exactly one folder of it; it is never
extracted by tarfile (a crafted member could write anywhere), only its bytes copied into a
fresh folder. A manifest member with an absolute path, a ``..`` step, a link or anything but
a regular file is refused, as are an oversized manifest and an archive of too many members.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from lambda_dynamodb.synthesis.manifest_model import FILE_NAME

#: A manifest lists permissions and calls: a few hundred KB for a large stack.
MANIFEST_LIMIT_BYTES = 10 * 1024 * 1024
#: Reading each member's header means decompressing the archive: bound the work.
MEMBER_LIMIT = 20_000


class ArchiveError(ValueError):
    """A configuration version the manifest cannot be read from: the message says why."""


def manifest_folder(archive: bytes, dest: Path) -> Path | None:
    """Write the archive's manifest into the folder ``dest`` (made) and return it; None: it has none."""
    found: list[tuple[tarfile.TarInfo, PurePosixPath]] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MEMBER_LIMIT:
                    raise ArchiveError(f"the configuration version has more than {MEMBER_LIMIT} members: more than the run task reads")
                path = _member_path(member.name)
                if path is None:
                    continue
                _check_member(member, path)
                found.append((member, path))
            if not found:
                return None
            if len(found) > 1:
                places = ", ".join(sorted(str(path) for _, path in found))
                raise ArchiveError(f"the configuration version has {len(found)} manifests ({places}): the planned stack is not known")
            member, _ = found[0]
            source = tar.extractfile(member)
            if source is None:
                raise ArchiveError(f"the manifest {member.name!r} in the configuration version cannot be read")
            data = source.read(MANIFEST_LIMIT_BYTES + 1)
    except (tarfile.TarError, zlib.error, EOFError, OSError) as error:
        raise ArchiveError(f"the configuration version is not a readable tar.gz ({error})") from None
    if len(data) > MANIFEST_LIMIT_BYTES:
        raise ArchiveError(f"the manifest in the configuration version is over {MANIFEST_LIMIT_BYTES} bytes")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / FILE_NAME).write_bytes(data)
    return dest


def _member_path(name: str) -> PurePosixPath | None:
    """The member's path if it names the manifest at the root or one folder down, else None."""
    raw = PurePosixPath(name)
    if raw.name != FILE_NAME:
        return None
    if raw.is_absolute() or name.startswith("/"):
        raise ArchiveError(f"the manifest member {name!r} has an absolute path: refused")
    parts = [part for part in raw.parts if part != "."]
    if ".." in parts:
        raise ArchiveError(f"the manifest member {name!r} has a '..' step: refused")
    return PurePosixPath(*parts) if len(parts) <= 2 else None


def _check_member(member: tarfile.TarInfo, path: PurePosixPath) -> None:
    if member.issym() or member.islnk():
        raise ArchiveError(f"the manifest member {str(path)!r} is a link: refused (it could point at any file)")
    if not member.isreg():
        raise ArchiveError(f"the manifest member {str(path)!r} is not a regular file: refused")
    if member.size > MANIFEST_LIMIT_BYTES:
        raise ArchiveError(f"the manifest member {str(path)!r} is {member.size} bytes, over the {MANIFEST_LIMIT_BYTES} the run task reads")
