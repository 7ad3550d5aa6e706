"""The book's sources: every notebook listed, stored without outputs, with the one Colab install cell."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        if "file" in node:
            files.append(node["file"])
        if "root" in node:
            files.append(node["root"])
        for value in node.values():
            files += _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files += _toc_files(item)
    return files


def test_every_toc_entry_exists():
    for entry in _toc_files(TOC):
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".md", ".ipynb")), entry


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_in_toc_and_stripped(notebook):
    assert f"notebooks/{notebook.stem}" in _toc_files(TOC)
    cells = json.loads(notebook.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, (
                f"{notebook.name} has stored outputs; strip them"
            )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_cell_uses_the_one_repository_url(notebook):
    """The first code cell installs gattut in Colab only, from the URL in _config.yml."""
    url = CONFIG["repository"]["url"]
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    source = "".join(cells[0]["source"])
    assert '"google.colab" in sys.modules' in source, f"{notebook.name}: first code cell is not the Colab cell"
    urls = re.findall(r"git\+(https://[^\s\"']+)", source)
    assert urls == [url], f"{notebook.name}: installs from {urls}, _config.yml says {url}"
    # No other cell names a repository URL of its own.
    rest = "".join("".join(c["source"]) for c in cells[1:])
    assert "git+https://" not in rest


def test_launch_buttons_configured():
    assert CONFIG["repository"]["path_to_book"] == ""
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


# What a notebook uses -> the extra of pyproject.toml that installs it.
_EXTRA_NEEDED = {
    "tf": re.compile(r"^\s*(import|from)\s+(tensorflow|keras|gattut\.tf)\b", re.MULTILINE),
    "pyg": re.compile(r"^\s*(import|from)\s+torch_geometric\b", re.MULTILINE),
    "nlp": re.compile(r"\b(corpus_bleu|sacrebleu)\b"),
    "interactive": re.compile(r"\b(plotly|explore_\w+)\b"),
    "scale": re.compile(r"\b(pymetis|metis_partition)\b"),
}


def _extras_needed(code: str) -> set[str]:
    return {extra for extra, pattern in _EXTRA_NEEDED.items() if pattern.search(code)}


def _extras_installed(install_cell: str) -> set[str]:
    match = re.search(r"gattut\[([^\]]*)\]", install_cell)
    return {e.strip() for e in match.group(1).split(",")} if match else set()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_install_brings_every_extra_used(notebook):
    """In Colab, the notebook's own install line brings everything it imports."""
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    install = "".join(cells[0]["source"])
    code = "\n".join("".join(c["source"]) for c in cells[1:])
    missing = _extras_needed(code) - _extras_installed(install)
    assert not missing, f"{notebook.name}: the Colab install line lacks the extras {sorted(missing)}"


def test_extras_check_can_fail():
    code = "import gattut.tf.attention as tfa\nscore = corpus_bleu(h, r)\n"
    assert _extras_needed(code) == {"tf", "nlp"}
    assert _extras_needed("fig = explore_heads(w, tokens)\nparts = metis_partition(e, n, 4)") == {
        "interactive", "scale"}
    assert _extras_needed(code) - _extras_installed('%pip install "gattut[tf,pyg] @ git+x"') == {"nlp"}
    assert _extras_installed("%pip install gattut") == set()


def test_extras_exist_in_pyproject():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(_EXTRA_NEEDED) <= set(extras)
    assert "sacrebleu" in " ".join(extras["nlp"])


def _keras_link_problems(name: str, cells: list[dict]) -> list[str]:
    """A chapter with a Keras section links to it near the top (one click away)."""
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    sections = [m for m in markdown if re.search(r"^#+ .*The same in Keras 3", m, re.MULTILINE)]
    if not sections:
        return []
    label = re.search(r"^\((ch(?:\d\d|A\d)-keras)\)=\s*$", sections[0], re.MULTILINE)
    if label is None:
        return [f"{name}: its Keras section has no (chNN-keras)= or (chAN-keras)= label"]
    top = "\n".join(markdown[:2])
    if f"<{label.group(1)}>`" not in top:
        return [f"{name}: no link to its Keras section ({label.group(1)}) near the top"]
    return []


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_keras_section_is_one_click_away(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    assert _keras_link_problems(notebook.name, cells) == []


def test_keras_link_check_can_fail():
    def md(text):
        return {"cell_type": "markdown", "source": text}

    section = md("(ch99-keras)=\n## The same in Keras 3\n")
    linked = [md("# 99. X\n\nKeras: {ref}`The same in Keras 3 <ch99-keras>`."), section]
    assert _keras_link_problems("x", linked) == []
    assert _keras_link_problems("x", [md("# 99. X"), section]) != []
    assert _keras_link_problems("x", [md("# 99. X"), md("## The same in Keras 3\n")]) != []
    appendix = md("(chA1-keras)=\n## The same in Keras 3\n")
    assert _keras_link_problems("x", [md("# A1. X\n\n{ref}`Keras <chA1-keras>`"), appendix]) == []
    assert _keras_link_problems("x", [md("# A1. X"), appendix]) != []
