#!/usr/bin/env python3
"""The project's commands, with nothing but Python needed to run them.

    python3 dev.py book    build the book (creates .venv if missing), print where index.html is
    python3 dev.py test    run every check: ruff, the book build with -W, unit tests,
                           every notebook under nbval, and the browser test of the built pages
                           (installs Debian's chromium when missing and run as root)
    python3 dev.py pdf     build the book, then print it to one PDF (_build/pdf/gattut.pdf)
                           with Debian's Chromium (installed when missing and run as root)
    python3 dev.py serve   serve the built book on http://127.0.0.1:8000
    python3 dev.py env     only create/update the environment

``make book``, ``make test`` and ``make serve`` call these. The environment is
``.venv`` in the repository, built from ``requirements/lock.txt`` (exact pins)
and re-built only when that file or ``pyproject.toml`` changes (a stamp holds
their digest). The book build uses Jupyter Book's execution cache, so a second
run only re-executes notebooks that changed.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCK = ROOT / "requirements" / "lock.txt"
STAMP = VENV / ".gattut-stamp"
HTML = ROOT / "_build" / "html"
SINGLE = ROOT / "_build" / "singlehtml"
PDF = ROOT / "_build" / "pdf" / "gattut.pdf"
# The browser test and the PDF need a browser, and a CJK font for the glossary.
APT_PACKAGES = {"chromium": "/usr/bin/chromium", "fonts-wqy-zenhei": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"}


def _say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def _run(*args: str | os.PathLike, env: dict | None = None) -> None:
    cmd = [str(a) for a in args]
    print("$ " + " ".join(cmd), flush=True)
    full_env = {**os.environ, **(env or {})}
    # Never pass MPLBACKEND on: a notebook kernel whose MPLBACKEND is the Agg backend shows no
    # figure for plt.show(), and the book would build green with no figures in it.
    full_env.pop("MPLBACKEND", None)
    result = subprocess.run(cmd, cwd=ROOT, env=full_env)
    if result.returncode != 0:
        sys.exit(f"command failed with exit code {result.returncode}: {' '.join(cmd)}")


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for file in (LOCK, ROOT / "pyproject.toml"):
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _torch_pin() -> str:
    for line in LOCK.read_text().splitlines():
        if line.strip().startswith("torch=="):
            return line.strip()
    sys.exit(f"{LOCK} has no torch== pin")


def ensure_env() -> None:
    """Create .venv and install the locked set, unless the stamp says it is current."""
    if STAMP.exists() and PY.exists() and STAMP.read_text().strip() == _lock_digest():
        return
    _say(f"creating the environment in {VENV} (a few minutes, once)")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [PY, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(*pip, "--upgrade", "pip")
    # torch first and pinned: an unpinned torch pulls a CUDA build of several GB.
    _run(*pip, _torch_pin())
    _run(*pip, "-r", LOCK)
    _run(*pip, "--no-deps", "-e", ".")
    _run(PY, "-m", "pip", "check")
    STAMP.write_text(_lock_digest() + "\n")


def _tool_env() -> dict:
    env = {
        # Quiet TensorFlow in notebooks; the oneDNN notice would land in the book.
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    path = os.environ.get("PATH", "")
    env["PATH"] = f"{BIN}{os.pathsep}{path}"
    return env


def prepare_assets() -> None:
    """Copy MathJax and plotly.js from the installed packages so pages work offline."""
    _run(PY, ROOT / "tools" / "copy_mathjax.py", ROOT / "assets" / "mathjax")
    _run(PY, ROOT / "tools" / "copy_plotlyjs.py", ROOT / "assets" / "plotly")


def build_book(strict: bool = True) -> None:
    ensure_env()
    prepare_assets()
    _say("building the book (executes every notebook; cached after the first run)")
    args = [BIN / "jupyter-book", "build", ".", "--keep-going"]
    if strict:
        args += ["-W", "-n"]
    _run(*args, env=_tool_env())
    index = HTML / "index.html"
    if not index.exists():
        sys.exit(f"the build finished but {index} is missing")
    print(f"\nThe book is at {index}\nRead it with: python3 dev.py serve", flush=True)


def ensure_browser() -> None:
    """Install Debian's Chromium and a CJK font when missing (needs root and apt)."""
    missing = [name for name, path in APT_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print(
            f"missing and not installable here (needs root and apt-get): {', '.join(missing)}. "
            "The browser test and the PDF need them (the browser test fails under CI=true); "
            f"install the Debian packages {' '.join(missing)}.",
            flush=True,
        )
        return
    _say(f"installing {', '.join(missing)} for the browser test and the PDF")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    _run(apt, "-qq", "update", env=env)
    _run(apt, "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def build_pdf() -> None:
    """The whole book as one PDF: the single-page build printed by Chromium."""
    build_book(strict=True)
    ensure_browser()
    _say("building the single-page book and printing it to PDF")
    _run(BIN / "jupyter-book", "build", ".", "--builder", "singlehtml", "-W", "-n", "--keep-going",
         env=_tool_env())  # fmt: skip
    _run(PY, ROOT / "tools" / "print_pdf.py", SINGLE / "book" / "intro.html", PDF)
    print(f"\nThe PDF is at {PDF}", flush=True)


def run_tests(extra: list[str]) -> None:
    ensure_env()
    ensure_browser()
    _say("ruff check")
    _run(BIN / "ruff", "check", ".")
    # No test and no notebook reaches the network.
    os.environ["GATTUT_OFFLINE"] = "1"
    # One torch thread per process: timings that do not depend on what else the
    # machine runs (two threads fighting a busy second core ran several times slower).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    build_pdf()
    _say("unit tests, notebooks under nbval, browser test of the built book and the PDF")
    workers = os.environ.get("GATTUT_TEST_WORKERS", "2")
    _run(
        PY, "-m", "pytest", "tests", "notebooks",
        "--nbval", "--nbval-current-env", "--nbval-cell-timeout=300",
        "-n", workers, "--dist", "loadfile",
        *extra,
        env=_tool_env(),
    )


def serve(port: int = 8000) -> None:
    if not (HTML / "index.html").exists():
        sys.exit("no built book yet: run `python3 dev.py book` first")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(HTML), **k)  # noqa: E731
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        print(f"Serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def clean() -> None:
    # _build holds html, singlehtml, pdf; assets/ the copied MathJax and plotly.js.
    for path in (ROOT / "_build", ROOT / "assets" / "mathjax", ROOT / "assets" / "plotly"):
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str]) -> None:
    command = argv[0] if argv else "help"
    if command == "env":
        ensure_env()
    elif command == "book":
        build_book(strict=True)
    elif command == "test":
        run_tests(argv[1:])
    elif command == "pdf":
        build_pdf()
    elif command == "serve":
        serve(int(argv[1]) if len(argv) > 1 else 8000)
    elif command == "clean":
        clean()
    else:
        print(__doc__)
        sys.exit(0 if command in {"help", "-h", "--help"} else 2)


if __name__ == "__main__":
    main(sys.argv[1:])
