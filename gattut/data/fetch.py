"""Find, verify and download data files.

One setting decides where data lives: the environment variable
``GATTUT_DATA`` if it is set, then a per-user cache folder
(``$XDG_CACHE_HOME/gattut`` or ``~/.cache/gattut``). :func:`path` looks in
those folders in that order, verifies the file's sha256 against the
registry, and returns it. A file that is missing is downloaded from its
canonical URL into the first folder, atomically (temporary file, verify,
rename), unless downloads are off (``GATTUT_OFFLINE=1``).

Nothing is unpickled or parsed before its digest matches: loaders call
:func:`path` (or :func:`open_text`) and read only what it returns.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import os
import shutil
import tempfile
import time
import urllib.request
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from gattut.data.registry import REGISTRY, RemoteFile

__all__ = [
    "ENV_VAR",
    "OFFLINE_VAR",
    "ChecksumError",
    "DataNotFoundError",
    "data_roots",
    "download",
    "open_text",
    "path",
    "sha256_of",
    "user_cache_dir",
]

ENV_VAR = "GATTUT_DATA"
OFFLINE_VAR = "GATTUT_OFFLINE"
_CHUNK = 1 << 20


class DataNotFoundError(FileNotFoundError):
    """A data file is neither on disk nor downloadable; the message says how to get it."""


class ChecksumError(ValueError):
    """A file's sha256 does not match the registry. The file is left untouched."""


def user_cache_dir() -> Path:
    """The per-user cache folder: ``$XDG_CACHE_HOME/gattut`` or ``~/.cache/gattut``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gattut"


def data_roots() -> list[Path]:
    """The folders searched for data, in order: ``$GATTUT_DATA``, then the user cache."""
    roots = []
    env = os.environ.get(ENV_VAR)
    if env:
        roots.append(Path(env).expanduser().resolve())
    cache = user_cache_dir()
    if cache not in roots:
        roots.append(cache)
    return roots


def _offline() -> bool:
    return os.environ.get(OFFLINE_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def _resolve(key: str | RemoteFile) -> RemoteFile:
    if isinstance(key, RemoteFile):
        return key
    try:
        return REGISTRY[key]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"unknown data file {key!r}; known files: {known}") from None


def sha256_of(file: str | Path, *, gunzip: bool = False) -> str:
    """Hex sha256 of a file's bytes (of its decompressed bytes when ``gunzip``)."""
    digest = hashlib.sha256()
    opener = gzip.open if gunzip else open
    with opener(file, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _candidates(remote: RemoteFile, roots: Iterable[Path]) -> list[tuple[Path, bool]]:
    """Every place the file may be, as ``(path, is_gzip)``, in search order."""
    places = []
    for root in roots:
        plain = root.joinpath(*remote.name.split("/"))
        places.append((plain, False))
        if remote.gzip_ok:
            places.append((plain.with_name(plain.name + ".gz"), True))
    return places


def _verify(file: Path, remote: RemoteFile, gunzip: bool, *, downloaded: bool = False) -> None:
    try:
        actual = sha256_of(file, gunzip=gunzip)
    except (OSError, EOFError, zlib.error) as exc:
        if not gunzip:
            raise
        # A damaged .gz fails while it is decompressed for its digest: say which file.
        raise ChecksumError(
            f"checksum mismatch for {remote.name}: {file} is not a valid gzip file "
            f"({type(exc).__name__}: {exc}), so its content cannot match sha256 "
            f"{remote.sha256}. The file was not loaded and has not been changed. Delete it "
            f"and fetch it again from {remote.url}."
        ) from None
    if actual == remote.sha256:
        return
    if downloaded:
        raise ChecksumError(
            f"checksum mismatch for {remote.name}: the download from {remote.url}"
            + (f" (member {remote.member})" if remote.member else "")
            + f" has sha256 {actual}, expected {remote.sha256}. Nothing was saved."
        )
    what = "decompressed content of " if gunzip else ""
    raise ChecksumError(
        f"checksum mismatch for {remote.name}: the {what}{file} has sha256 {actual}, "
        f"expected {remote.sha256}. The file was not loaded and has not been changed. "
        f"Delete it and fetch it again from {remote.url}"
        + (f" (member {remote.member} of that archive)" if remote.member else "")
        + "."
    )


def _what_is(place: Path) -> str:
    return "a directory" if place.is_dir() else "not a regular file (a socket, device or pipe)"


def _check_env_root(roots: list[Path]) -> None:
    """``$GATTUT_DATA`` must name a folder (or nothing yet): say so if it names a file."""
    env = os.environ.get(ENV_VAR)
    if env and roots[0].exists() and not roots[0].is_dir():
        raise DataNotFoundError(
            f"{ENV_VAR}={env} names a file, not a folder: set {ENV_VAR} to the folder that "
            f"holds the data files (for example {roots[0].parent}), or unset it to use "
            f"{user_cache_dir()}."
        )


def path(key: str | RemoteFile, *, download: bool | None = None) -> Path:
    """Return the local, verified path of a registered data file.

    Args:
        key: a registry name such as ``"planetoid/ind.cora.x"``, or a
            :class:`RemoteFile`.
        download: fetch the file from its URL when it is missing. ``None``
            (the default) downloads unless ``GATTUT_OFFLINE`` is set.

    Raises:
        ChecksumError: a copy exists but its sha256 is wrong (it is left as is).
        DataNotFoundError: no copy exists and it could not be downloaded; the
            message names the file, every place looked, the URL and the
            variable to set. Also when the place of the file is a directory,
            or ``GATTUT_DATA`` names a file (the message says which).
    """
    remote = _resolve(key)
    roots = data_roots()
    _check_env_root(roots)
    places = _candidates(remote, roots)
    for place, gunzip in places:
        if place.is_file():
            _verify(place, remote, gunzip)
            return place
        if place.exists():
            raise DataNotFoundError(
                f"data file {remote.name!r} cannot be read: {place} exists but is "
                f"{_what_is(place)}, not a file. Remove or rename it, then put the file "
                f"{remote.name} there (from {remote.url})."
            )

    if download is None:
        download = not _offline()
    reason = f"downloads are off ({OFFLINE_VAR} is set)" if not download else ""
    if download:
        try:
            return _download(remote, roots[0])
        except ChecksumError:
            raise
        except (OSError, http.client.HTTPException, zipfile.BadZipFile, KeyError) as exc:
            reason = f"the download from {remote.url} failed ({exc})"

    looked = "\n".join(f"  - {p}" for p, _ in places)
    member = f" (the file {remote.member} inside that archive)" if remote.member else ""
    raise DataNotFoundError(
        f"data file {remote.name!r} is missing: {reason}.\n"
        f"Looked in:\n{looked}\n"
        f"Get it from {remote.url}{member}, check its sha256 is {remote.sha256}, and put it at "
        f"{roots[0].joinpath(*remote.name.split('/'))}; or set {ENV_VAR} to a folder that holds "
        f"{remote.name}."
    )


def download(remote: str | RemoteFile, root: str | Path, *, timeout: float = 60.0) -> Path:
    """Download ``remote`` into ``root``, verify it, and move it into place.

    The bytes go to a hidden temporary file in the destination folder; only a
    file whose sha256 matches is renamed to its final name (an atomic
    ``os.replace``). An interrupted or corrupt download leaves nothing under
    the final name, and its temporary file is removed; one left behind by a
    killed process is removed by the next download of the same file.
    """
    remote = _resolve(remote)
    for folder in (Path(root), *Path(root).parents):
        if folder.exists():
            if not folder.is_dir():
                raise DataNotFoundError(
                    f"cannot download {remote.name} into {root}: {folder} is a file, not a folder"
                )
            break
    final = Path(root).joinpath(*remote.name.split("/"))
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(final)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.name}.{os.getpid()}.", suffix=".part", dir=final.parent
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(remote.url, headers={"User-Agent": "gattut"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                expected = response.headers.get("Content-Length")
                if remote.member is None:
                    shutil.copyfileobj(response, out, _CHUNK)
                    received = out.tell()
                    if expected is not None and received != int(expected):
                        # The connection closed early: say so, rather than report a bad digest.
                        raise OSError(
                            f"incomplete download: received {received} of {expected} bytes"
                        )
                else:
                    # Archives are small enough to hold in memory; extract the one member.
                    archive = zipfile.ZipFile(io.BytesIO(response.read()))
                    with archive.open(remote.member) as member:
                        shutil.copyfileobj(member, out, _CHUNK)
        _verify(tmp, remote, gunzip=False, downloaded=True)
        os.replace(tmp, final)
        return final
    finally:
        tmp.unlink(missing_ok=True)


# A temporary file untouched this long belongs to a download that is no longer running
# (a live one writes a chunk at least every few seconds).
_STALE_PART_SECONDS = 600


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _remove_stale_parts(final: Path) -> None:
    """Remove the temporary files of earlier downloads of ``final`` that were killed.

    A download's temporary file is ``.<name>.<pid>.<random>.part``. It is left
    behind only when its process was killed outright (``finally`` never ran).
    One whose process no longer runs, or that nobody has written to for ten
    minutes, is removed; a download running in another process is left alone.
    """
    now = time.time()
    for part in final.parent.glob(f".{final.name}.*.part"):
        pid_text = part.name[len(final.name) + 2 :].split(".")[0]
        try:
            dead = pid_text.isdigit() and int(pid_text) != os.getpid() and not _pid_alive(
                int(pid_text)
            )
            if dead or now - part.stat().st_mtime > _STALE_PART_SECONDS:
                part.unlink(missing_ok=True)
        except OSError:
            pass  # gone already, or not ours to remove: it does not block this download


# ``path`` takes a ``download=`` flag, which hides this function's name inside it.
_download = download


def open_text(key: str | RemoteFile, *, encoding: str = "utf-8") -> io.TextIOBase:
    """Open a verified text file for reading, decompressing a ``.gz`` copy."""
    file = path(key)
    if file.suffix == ".gz":
        return gzip.open(file, "rt", encoding=encoding)
    return open(file, encoding=encoding)
