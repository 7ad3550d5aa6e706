"""Copy MathJax 3 into the book's static assets so pages typeset math offline.

The files come from the PyPI wheel ``django-static-mathjax`` (MathJax 3.2.2's
``es5`` tree; despite the name it is only static files). Only what
``tex-mml-chtml.js`` loads is copied: the combined component, its CHTML
fonts, the TeX extensions it autoloads, and the menu/accessibility pieces it
may request. The speech-rule engine (``sre/``, 3.9 MB) is loaded only when a
reader turns on speech in the menu, so it is left out.

Usage: python tools/copy_mathjax.py DEST   (the dev.py build calls this)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

KEEP = [
    "tex-mml-chtml.js",
    "output/chtml/fonts/woff-v2",
    "input/tex/extensions",
    "ui",
    "a11y",
]


def source_dir() -> Path:
    try:
        import mathjax  # the django-static-mathjax package
    except ImportError:
        sys.exit("MathJax is missing: pip install django-static-mathjax==3.2.2.1")
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").exists():
        sys.exit(f"{es5} holds no tex-mml-chtml.js; is django-static-mathjax 3.2.x installed?")
    return es5


def copy(dest: Path) -> None:
    src = source_dir()
    marker = dest / ".source"
    if marker.exists() and marker.read_text() == str(src):
        return
    shutil.rmtree(dest, ignore_errors=True)
    for rel in KEEP:
        if (src / rel).is_dir():
            shutil.copytree(src / rel, dest / rel)
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dest / rel)
    marker.write_text(str(src))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    copy(Path(sys.argv[1]))
