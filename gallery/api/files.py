"""Image responses for the API; downloads are the pages' own (gallery.downloads)."""

from __future__ import annotations

from django.http import FileResponse

from gallery.downloads import DOWNLOAD_FORMATS, download_response  # noqa: F401  (API re-export)


def file_response(field, *, filename: str | None = None, private: bool = True) -> FileResponse:
    response = FileResponse(field.open("rb"), as_attachment=bool(filename), filename=filename or "")
    response["Cache-Control"] = "private, max-age=3600" if private else "public, max-age=3600"
    return response
