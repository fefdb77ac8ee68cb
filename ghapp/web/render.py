"""Renders the server-side pages: one Jinja2 environment (autoescaped), the static files, strict response headers."""

from __future__ import annotations

from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

# No inline scripts, no third-party origins; forms may post to GitHub (the manifest flow) and to us.
_CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

# GitHub-flavoured enough for check-run summaries (tables, strikethrough); raw HTML is shown as text, and
# markdown-it refuses javascript:, vbscript: and data: links, so text a pull request put in a summary stays text.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def markdown(text: str) -> Markup:
    """A check-run summary as HTML, the way GitHub shows it on the pull request."""
    return Markup(_markdown.render(text))  # noqa: S704 - markdown-it escapes the text; raw HTML is disabled


_templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.PackageLoader("ghapp.web", "templates"),  # package data, wherever it is installed
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error in tests, not an empty string
    )
)


_templates.env.filters["markdown"] = markdown


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """Render templates/`name` with `context`, with the security headers every page carries."""
    context.setdefault("user", None)
    context.setdefault("csrf_token", "")
    return _templates.TemplateResponse(request, name, context, status_code=status_code, headers=SECURITY_HEADERS)


def message(request: Request, title: str, text: str, status_code: int) -> Response:
    """A plain page saying what happened and what to do next (errors, closed setup, not found)."""
    return page(request, "message.html", status_code=status_code, title=title, text=text)


def static_files() -> StaticFiles:
    return StaticFiles(packages=[("ghapp.web", "static")])
