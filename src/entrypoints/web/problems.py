"""What a page shows when something fails: the domain's sentence on an HTML page, with the status code of
the one error table; a form that failed is shown again with the sentence above it."""

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect
from litestar.types import ExceptionHandler

from ios_backup_api.domain.errors import DomainError, RetryLaterError, SessionRequiredError
from ios_backup_api.entrypoints.http.errors import STATUS_OF
from ios_backup_api.entrypoints.web.rendering import page

logger = logging.getLogger("ios_backup_api")
FORM_PAGE = "form_page"
"""A route's `opt` key: the template to show again, with the problem, when the route fails."""


def domain_problem(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    assert isinstance(error, DomainError)
    backup_id = request.path_params.get("backup_id")
    if isinstance(error, SessionRequiredError) and request.method == "GET" and backup_id is not None:
        return Redirect(path=f"/ui/backups/{quote(backup_id, safe='')}", status_code=303)
    status_code = STATUS_OF.get(type(error), 500)
    if status_code == 500:
        logger.error("No status code is mapped for %s", type(error).__name__, exc_info=error)
    retry_after = error.retry_after_seconds if isinstance(error, RetryLaterError) else None
    context = {
        "problem": str(error) if status_code != 500 else "Something went wrong; the log has the details.",
        "retry_after": retry_after,
        "backup_id": backup_id,
    }
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    template = request.route_handler.opt.get(FORM_PAGE, "problem.html")
    shown = page(request, template, context, status_code=status_code)
    shown.headers.update(headers or {})
    return shown


def http_problem(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    assert isinstance(error, HTTPException)
    if isinstance(error, NotAuthorizedException) and request.method in ("GET", "HEAD"):
        return Redirect(path="/ui/sign-in", status_code=303)
    context = {"problem": error.detail, "retry_after": None, "backup_id": None}
    return page(request, "problem.html", context, status_code=error.status_code)


WEB_PROBLEMS: "dict[int | type[Exception], ExceptionHandler[Any]]" = {
    DomainError: domain_problem,
    HTTPException: http_problem,
}
