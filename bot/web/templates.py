"""The web pages' templates and static files: one Jinja2 environment for every page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


@cache
def templates() -> jinja2.Environment:
    """The environment every page renders with: autoescaped, and an unknown variable is an error.

    Words on a page are `{{ _("Claim") }}` (or `{% trans %}`): each render passes `_`, `gettext` and
    `ngettext` for the reader's locale in its context (bot/console/render.py), so one shared environment
    serves every language; `make messages` extracts them from the templates (babel.cfg).
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
