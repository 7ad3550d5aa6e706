"""Copy plotly.js into the book's static assets, so explorers work offline.

The file comes from the installed ``plotly`` Python package
(``plotly.offline.get_plotlyjs()``, the same plotly.js its figures were made
for), so nothing is downloaded and nothing is committed: the build writes
``assets/plotly/plotly.min.js`` and ``_config.yml`` loads it once per page
(``html_js_files``).

Usage: python tools/copy_plotlyjs.py DEST   (the dev.py build calls this)
"""

from __future__ import annotations

import sys
from pathlib import Path


def copy(dest: Path) -> None:
    try:
        from plotly.offline import get_plotlyjs, get_plotlyjs_version
    except ImportError:
        sys.exit("plotly is missing: pip install plotly (the book extra has it)")
    target = dest / "plotly.min.js"
    marker = dest / ".version"
    if target.exists() and marker.exists() and marker.read_text() == get_plotlyjs_version():
        return
    dest.mkdir(parents=True, exist_ok=True)
    target.write_text(get_plotlyjs(), encoding="utf-8")
    marker.write_text(get_plotlyjs_version())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    copy(Path(sys.argv[1]))
