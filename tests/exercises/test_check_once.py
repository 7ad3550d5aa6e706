"""An exercise checker's message shows once in a notebook, not twice."""

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


def _shown(code: str) -> str:
    shell = InteractiveShell.instance()
    with capture_output() as captured:
        shell.run_cell(code, store_history=False)
    return captured.stdout


def test_checker_message_prints_once():
    out = _shown("from gattut.exercises._check import passed\npassed('fine.')")
    assert out.count("All checks passed: fine.") == 1, out


def test_a_plain_string_result_would_print_twice():
    """The check above can fail: a checker returning a plain str shows its message twice."""
    code = "def plain(m):\n    t = 'All checks passed: ' + m\n    print(t)\n    return t\nplain('fine.')"
    assert _shown(code).count("All checks passed: fine.") == 2
