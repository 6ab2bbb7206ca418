"""One JSON error shape for every failure: ``{"detail": ..., "code": ..., "errors": {...}}``.

Services raise ``ServiceError`` with a ``Code`` (gallery/errors.py gives each code its HTTP
status, the same for the pages and the API); this module turns every error into that shape.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from gallery.errors import Code, ServiceError


class ServiceFailed(exceptions.APIException):
    """A ``ServiceError`` on its way out; ``not_found`` here means a referenced id, hence 400."""

    def __init__(self, exc: ServiceError):
        self.status_code = exc.status
        self.field = exc.field
        super().__init__(detail=str(exc), code=exc.code)


class TooLarge(exceptions.APIException):
    status_code = Code.TOO_LARGE.status
    default_detail = "The request is too large."
    default_code = Code.TOO_LARGE


class NotReady(exceptions.APIException):
    status_code = Code.NOT_READY.status
    default_detail = "The picture has not been rendered yet."
    default_code = Code.NOT_READY


class ErrorSerializer(serializers.Serializer):
    """Documents the error body in the OpenAPI schema (never used to validate)."""

    detail = serializers.CharField(help_text="A message a person can read.")
    code = serializers.CharField(help_text="Machine-readable reason, e.g. invalid, not_found, too_large.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Per-field messages, for validation errors.")


@contextmanager
def api_fields(**names):
    """Report a service's field under the API's name for it (services say "photo" for the
    uploaded file; the API calls it "image" or "photo_file")."""
    try:
        yield
    except ServiceError as exc:
        exc.field = names.get(exc.field or "", exc.field)
        raise


def exception_handler(exc, context):
    wait = getattr(exc, "retry_after", None)  # a budget refusal says when to come back
    if isinstance(exc, ServiceError):
        exc = ServiceFailed(exc)
    elif isinstance(exc, RequestDataTooBig):
        # Django's own limit on non-file form data / body size; not an APIException.
        exc = TooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    response.data = _body(exc, response.data)
    if wait:
        response["Retry-After"] = str(int(wait))
    return response


def _body(exc, data) -> dict:
    if isinstance(exc, ServiceFailed):
        body = {"detail": str(exc.detail), "code": exc.detail.code}
        if exc.field:
            body["errors"] = {exc.field: [str(exc.detail)]}
        return body
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        return {"detail": _first_message(errors), "code": "invalid", "errors": _flatten(errors)}
    detail = data.get("detail", "") if isinstance(data, dict) else data
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return {"detail": str(detail), "code": str(code)}


def _flatten(errors) -> dict[str, list[str]]:
    """Nested serializer errors ({"styles": [{"weight": [...]}]}) as "styles.0.weight": [...]."""
    flat: dict[str, list[str]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                # a nested list's own errors belong to the list field itself
                own = key == "non_field_errors" and prefix
                walk(prefix if own else (f"{prefix}.{key}" if prefix else str(key)), sub)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for i, sub in enumerate(value):
                walk(f"{prefix}.{i}" if prefix else str(i), sub)
        elif isinstance(value, list):
            if value:
                flat.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
        else:
            flat.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", errors)
    return flat


def _first_message(errors) -> str:
    for field, messages in _flatten(errors).items():
        if messages:
            return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return "Invalid input."
