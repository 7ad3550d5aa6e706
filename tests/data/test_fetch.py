"""The data layer, for real: downloads from a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import threading
import zipfile
from pathlib import Path

import pytest

import gattut.data as data
from gattut.data import ChecksumError, DataNotFoundError, RemoteFile

CONTENT = b"node features, one row per line\n" * 100
DIGEST = hashlib.sha256(CONTENT).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves a few fixed routes, including a download that breaks off half-way."""

    routes: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (the name http.server requires)
        if self.path == "/truncated":
            # Promise the whole file, send half of it, and close the connection.
            self.send_response(200)
            self.send_header("Content-Length", str(len(CONTENT)))
            self.end_headers()
            self.wfile.write(CONTENT[: len(CONTENT) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/file.txt", CONTENT)
        zf.writestr("data/other.txt", b"something else")
    _Handler.routes = {
        "/file.txt": CONTENT,
        "/corrupt.txt": CONTENT[:-1] + b"!",
        "/archive.zip": archive.getvalue(),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def root(tmp_path, monkeypatch):
    """An empty data root in GATTUT_DATA and an empty user cache."""
    monkeypatch.setenv("GATTUT_DATA", str(tmp_path / "root"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "root"


def _remote(url: str, name: str = "test/file.txt", **kw) -> RemoteFile:
    return RemoteFile(name=name, sha256=DIGEST, url=url, size=len(CONTENT), **kw)


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.name != "file.txt"]


def test_roots_are_env_then_user_cache(root, tmp_path):
    assert data.data_roots() == [root.resolve(), tmp_path / "cache" / "gattut"]


def test_roots_without_env_is_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("GATTUT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data.data_roots() == [tmp_path / "gattut"]


def test_download_verifies_and_places_atomically(server, root, monkeypatch):
    monkeypatch.delenv("GATTUT_OFFLINE")
    found = data.path(_remote(f"{server}/file.txt"))
    assert found == root / "test" / "file.txt"
    assert found.read_bytes() == CONTENT
    assert _leftovers(root) == []
    # The second call finds the verified file and does not download again.
    _Handler.routes.pop("/file.txt")
    try:
        assert data.path(_remote(f"{server}/file.txt")) == found
    finally:
        _Handler.routes["/file.txt"] = CONTENT


def test_download_of_zip_member(server, root, monkeypatch):
    monkeypatch.delenv("GATTUT_OFFLINE")
    found = data.path(_remote(f"{server}/archive.zip", member="data/file.txt"))
    assert found.read_bytes() == CONTENT
    assert _leftovers(root) == []


def test_corrupt_download_raises_and_leaves_nothing(server, root, monkeypatch):
    monkeypatch.delenv("GATTUT_OFFLINE")
    with pytest.raises(ChecksumError) as info:
        data.path(_remote(f"{server}/corrupt.txt"))
    message = str(info.value)
    assert DIGEST in message and hashlib.sha256(CONTENT[:-1] + b"!").hexdigest() in message
    assert not (root / "test" / "file.txt").exists()
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_interrupted_download_leaves_no_partial_file(server, root, monkeypatch):
    monkeypatch.delenv("GATTUT_OFFLINE")
    with pytest.raises(DataNotFoundError) as info:
        data.path(_remote(f"{server}/truncated"))
    assert "download" in str(info.value) and "failed" in str(info.value)
    assert not (root / "test" / "file.txt").exists()
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_http_error_is_reported(server, root, monkeypatch):
    monkeypatch.delenv("GATTUT_OFFLINE")
    with pytest.raises(DataNotFoundError, match="404"):
        data.path(_remote(f"{server}/nowhere.txt"))


def test_corrupt_local_file_raises_and_is_untouched(root):
    target = root / "test" / "file.txt"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the right bytes")
    before = (target.read_bytes(), target.stat().st_mtime_ns)
    with pytest.raises(ChecksumError) as info:
        data.path(_remote("http://127.0.0.1:9/never-called"))
    assert DIGEST in str(info.value)
    assert hashlib.sha256(b"not the right bytes").hexdigest() in str(info.value)
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before


def test_missing_file_offline_says_what_where_and_how(root, tmp_path):
    remote = _remote("https://example.org/file.txt")
    with pytest.raises(DataNotFoundError) as info:
        data.path(remote)
    message = str(info.value)
    assert "test/file.txt" in message
    assert str(root.resolve() / "test" / "file.txt") in message
    assert str(tmp_path / "cache" / "gattut" / "test" / "file.txt") in message
    assert "https://example.org/file.txt" in message
    assert "GATTUT_DATA" in message and "GATTUT_OFFLINE" in message


def test_download_false_never_downloads(server, root, monkeypatch):
    monkeypatch.delenv("GATTUT_OFFLINE")
    with pytest.raises(DataNotFoundError):
        data.path(_remote(f"{server}/file.txt"), download=False)


def test_gzip_copy_is_verified_by_its_content(root):
    target = root / "test" / "file.txt.gz"
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress(CONTENT))
    remote = _remote("https://example.org/x", gzip_ok=True)
    assert data.path(remote) == target
    with data.open_text(remote) as f:
        assert f.read() == CONTENT.decode()
    target.write_bytes(gzip.compress(CONTENT + b"extra"))
    with pytest.raises(ChecksumError, match="decompressed"):
        data.path(remote)


def test_found_in_user_cache_when_not_in_env_root(root, tmp_path):
    cached = tmp_path / "cache" / "gattut" / "test" / "file.txt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(CONTENT)
    assert data.path(_remote("https://example.org/x")) == cached


def test_unknown_name_lists_known_files():
    with pytest.raises(KeyError, match="planetoid/ind.cora.x"):
        data.path("planetoid/ind.nothing.x")


def test_registry_entries_are_well_formed():
    for name, remote in data.REGISTRY.items():
        assert name == remote.name
        assert len(remote.sha256) == 64
        assert remote.url.startswith("https://")
    with pytest.raises(ValueError, match="sha256"):
        data.register(RemoteFile(name="x", sha256="abc", url="https://example.org"))


def test_real_files_match_the_registry(require_data):
    """The shared copies of the real datasets verify (skips locally without them, fails in CI)."""
    cora = require_data("planetoid/ind.cora.x", "planetoid/ind.citeseer.graph", "translation/eng-fra.txt")
    assert all(os.path.getsize(p) > 0 for p in cora)


def test_damaged_gzip_is_a_checksum_error_naming_the_file(root):
    # A truncated or garbled .gz used to escape as a raw BadGzipFile/EOFError.
    target = root / "test" / "file.txt.gz"
    target.parent.mkdir(parents=True)
    remote = _remote("https://example.org/x", gzip_ok=True)
    whole = gzip.compress(CONTENT)
    for damaged in (whole[: len(whole) // 2], b"not gzip at all", whole[:10] + b"\0" * 40):
        target.write_bytes(damaged)
        with pytest.raises(ChecksumError, match="not a valid gzip file") as info:
            data.path(remote)
        assert str(target) in str(info.value) and remote.sha256 in str(info.value)
        assert target.read_bytes() == damaged  # left as it was


def test_a_directory_where_the_file_should_be_is_named(root):
    (root / "test" / "file.txt").mkdir(parents=True)
    with pytest.raises(DataNotFoundError, match=r"exists but is a directory, not a file") as info:
        data.path(_remote("https://example.org/x"))
    assert "missing" not in str(info.value)
    assert (root / "test" / "file.txt").is_dir()


def test_env_naming_a_file_is_named(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "data.txt"
    not_a_folder.write_text("I am a file")
    monkeypatch.setenv("GATTUT_DATA", str(not_a_folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError, match=r"GATTUT_DATA=.*data.txt names a file, not a folder"):
        data.path(_remote("https://example.org/x"))
    assert not_a_folder.read_text() == "I am a file"


def test_killed_download_part_file_is_removed_next_time(server, root, monkeypatch):
    import subprocess
    import sys
    import time

    monkeypatch.delenv("GATTUT_OFFLINE")
    folder = root / "test"
    folder.mkdir(parents=True)
    # What a download killed by SIGKILL leaves behind: its pid is no longer running.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = folder / f".file.txt.{dead.pid}.abc123.part"
    left.write_bytes(b"half")
    # An old-style name without a pid, untouched for an hour.
    old = folder / ".file.txt.xyz.part"
    old.write_bytes(b"half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    # A download of the same file running now in this process's parent is left alone.
    live = folder / f".file.txt.{os.getppid()}.def456.part"
    live.write_bytes(b"in progress")
    found = data.path(_remote(f"{server}/file.txt"))
    assert found.read_bytes() == CONTENT
    assert not left.exists() and not old.exists() and live.exists()
