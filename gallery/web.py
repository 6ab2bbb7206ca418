"""What every feature's pages share: refusing a form the same way (the API's status, the
service's message on the right field), pages of one thing of the signed-in user's, stored
files as responses, and the limit on a request's size.

The limit refuses oversized bodies from their Content-Length, before Django reads them:
Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams files of any size to
disk, so without it a multi-GB POST to /create/ would fill the temp dir before the image
checks run. The API answers the same in JSON (gallery/api/base.py) after authentication.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404

from gallery.errors import ServiceError
from gallery.models import Style


class RefusedFormMixin:
    """A refused form is re-rendered with a 4xx status (400 unless told otherwise), as the
    API answers, so scripts and monitors see the refusal.

    ``error_fields`` maps a service's field names to this form's (a name it lacks: the error
    is about the form as a whole); ``upload_fields`` are file inputs a browser empties on a
    refused POST, so their refusal asks for the file again."""

    error_fields: dict[str, str] = {}
    upload_fields: tuple[str, ...] = ()

    def form_invalid(self, form, status: int = 400):
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def refuse(self, form, message: str, status: int = 400, field: str | None = None):
        form.add_error(field if field in form.fields else None, message)
        return self.form_invalid(form, status=status)

    def refused(self, form, exc: ServiceError):
        """The form again, with the service's refusal on the field it is about."""
        field = self.error_fields.get(exc.field or "", exc.field)
        message = str(exc)
        sent = [name for name in self.upload_fields if form.cleaned_data.get(name)]
        if sent:
            many = isinstance(form.cleaned_data[sent[0]], list | tuple)
            message += f" Please choose the file{'s' if many else ''} again."
        return self.refuse(form, message, exc.status, field)


class CreatePageMixin(LoginRequiredMixin, RefusedFormMixin):
    """A create page (a picture, a batch, a clip): its form knows the signed-in user, and
    the page shows the styles they may use."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "styles": Style.objects.usable_by(self.request.user)}


class OwnedMixin(LoginRequiredMixin):
    """A page of one thing of the signed-in user's: anybody else's is simply not found (404)."""

    model = None
    owned_queryset = None  # a narrower queryset (select_related…), else all of ``model``

    def get_object(self, queryset=None):
        qs = self.owned_queryset if self.owned_queryset is not None else self.model.objects
        return get_object_or_404(qs, pk=self.kwargs["pk"], owner=self.request.user)


def file_response(field, *, filename: str | None = None, private: bool = True) -> FileResponse:
    """A stored file. Works are "private" even when published: a shared cache would keep
    serving one after its owner unpublished it. Only catalog styles are cached publicly."""
    response = FileResponse(field.open("rb"), as_attachment=bool(filename), filename=filename or "")
    response["Cache-Control"] = "private, max-age=600" if private else "public, max-age=3600"
    return response


def uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# -- the size of a request ---------------------------------------------------------------

# Clips are larger than photos: their pages and endpoint take up to NST_VIDEO_MAX_BYTES.
CLIP_PATHS = ("/create/clip/", "/api/v1/clips/", "/api/v1/videos/")


def body_limit(request) -> int:
    if request.path in CLIP_PATHS:
        return settings.NST_VIDEO_MAX_BYTES + 1024 * 1024
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def body_too_large(request) -> bool:
    """The declared body exceeds the upload limit (plus room for the form's other fields)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return length > body_limit(request)


def upload_size_limit(get_response):
    def middleware(request):
        if body_too_large(request) and not request.path.startswith("/api/"):
            limit = (body_limit(request) - 1024 * 1024) // (1024 * 1024)
            return HttpResponse(
                f"The upload is too large: files up to {limit} MB are accepted.",
                status=413, content_type="text/plain; charset=utf-8")
        return get_response(request)

    return middleware
