"""Django's own error answers (400/403/404/500), and the faults behind a 500 that are not bugs.

Some errors never reach DRF's exception handler: too many multipart fields or files
(Django raises TooManyFieldsSent / TooManyFilesSent while parsing), an unknown URL, or an
exception from anywhere in the stack. Under /api/ they answer ``{"detail": …, "code": …}``
like every other API error; the pages keep Django's plain responses.

Two faults are the server's state, not a bug, and say so: the database cannot be reached
(503, with Retry-After) and the disk is full (507). Their pages are self-contained HTML that
touches neither the database nor a template, so they work while the database is down.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.views import defaults

from gallery.errors import DATABASE_UNAVAILABLE, OUT_OF_STORAGE, is_out_of_storage

log = logging.getLogger(__name__)

_MESSAGES = {
    400: ("bad_request", "The request could not be read (too many fields or files, or malformed)."),
    403: ("permission_denied", "You do not have permission to do that."),
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong on our side. Please try again."),
    503: ("unavailable", DATABASE_UNAVAILABLE),
    507: ("out_of_storage", OUT_OF_STORAGE),
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · nstsite</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1><p>{message}</p><p><a href="/">Back to the home page</a></p></main>
</body></html>
"""


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _json(status: int) -> JsonResponse:
    code, detail = _MESSAGES[status]
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _answer(request, status: int, title: str):
    if _api(request):
        response = _json(status)
    else:
        response = HttpResponse(_PAGE.format(title=title, message=escape(_MESSAGES[status][1])),
                                status=status, content_type="text/html; charset=utf-8")
    if status == 503:
        response["Retry-After"] = "60"
    return response


def bad_request(request, exception):
    return _json(400) if _api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return _json(403) if _api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return _json(404) if _api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    # Django calls this while handling the exception, so it is still the current one.
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):  # not reachable (not a bug)
        log.error("database unavailable: %s", exc)
        return _answer(request, 503, "Temporarily unavailable")
    if is_out_of_storage(exc):
        return _answer(request, 507, "Out of storage")
    return _json(500) if _api(request) else defaults.server_error(request)
