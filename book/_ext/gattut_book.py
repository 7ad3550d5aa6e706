"""Small fixes to the Jupyter Book 1 theme stack, so pages load with no console error.

- sphinx-thebe adds its inline ``const THEBE_JS_URL = ...`` script twice on
  every page, and the second declaration is a JavaScript error. Keep one.
- pydata-sphinx-theme logs "Got invalid theme mode" when no default mode is
  configured, which Jupyter Book does not do. Set one.
"""

from __future__ import annotations


def _set_default_mode(app, config):
    config.html_context.setdefault("default_mode", "light")


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # The copies differ in priority and in an empty filename given as None or "",
        # so compare the file name (empty or not) and the attributes.
        key = (
            getattr(script, "filename", script) or "",
            tuple(sorted(getattr(script, "attributes", {}).items())),
        )
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("config-inited", _set_default_mode)
    # Run last: other extensions add page scripts in their own html-page-context handlers.
    app.connect("html-page-context", _dedupe_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
