"""Pages from Jinja2 templates shipped in the package, escaped by default; the filters they format with."""

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from ios_backup_api.entrypoints.web.forgery import CSRF_FIELD, browser_sign_in, sign_in_nonce

TEMPLATE_FOLDER = Path(__file__).with_name("templates")
_UNITS = ("bytes", "KB", "MB", "GB", "TB")


def size(count: int | None) -> str:
    """Decimal units, as Finder shows them."""
    if count is None:
        return "unknown"
    amount = float(count)
    for unit in _UNITS:
        if amount < 1000 or unit == _UNITS[-1]:
            return f"{count:,} bytes" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1000
    raise AssertionError("unreachable")


def when(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def octal(mode: int | None) -> str:
    return "unknown" if mode is None else f"0o{mode:o}"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_FOLDER), autoescape=True, undefined=StrictUndefined
    )
    environment.filters.update(size=size, when=when, octal=octal)
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))


def page(
    request: Request[Any, Any, Any], name: str, context: Mapping[str, Any], status_code: int = 200
) -> Template:
    """`name` with what every page shows: whether someone is signed in, and the forms' CSRF token."""
    nonce = sign_in_nonce(request)
    csrf = None if nonce is None else browser_sign_in(request).csrf_token(nonce)
    return Template(
        template_name=name,
        context={
            "signed_in": nonce is not None,
            "csrf": csrf,
            "csrf_field": CSRF_FIELD,
            "here": request.url.path,
            **context,
        },
        status_code=status_code,
    )
