"""Django's own error answers (400/403/404/500) in the API's JSON shape under /api/.

Some errors never reach DRF's exception handler: too many multipart fields or files
(Django raises TooManyFieldsSent / TooManyFilesSent while parsing), an unknown URL, or a
bug. Under /api/ they answer ``{"detail": …, "code": …}`` like every other API error; the
pages keep Django's plain responses.
"""

from django.http import JsonResponse
from django.views import defaults

_MESSAGES = {
    400: ("bad_request", "The request could not be read (too many fields or files, or malformed)."),
    403: ("permission_denied", "You do not have permission to do that."),
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong on our side. Please try again."),
}


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _json(status: int) -> JsonResponse:
    code, detail = _MESSAGES[status]
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request, exception):
    return _json(400) if _api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return _json(403) if _api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return _json(404) if _api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    return _json(500) if _api(request) else defaults.server_error(request)
