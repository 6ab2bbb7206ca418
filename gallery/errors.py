"""Errors and messages shared by every layer of the gallery.

``ServiceError`` is a request that cannot be done: ``str()`` is for the person, ``code`` (a
``Code``) for the API, ``field`` names the input it is about. ``refusing()`` is the one place
where the engine's errors (a picture it cannot use, an option out of range, a clip it will
not render) become ServiceErrors; pages and the API then show them the same way.
"""

from __future__ import annotations

import enum
import errno
from contextlib import contextmanager

from stylize import images, video
from stylize.engine import EngineError


class Code(enum.StrEnum):
    """Why a request was refused; the API's ``code`` and, through ``status``, its HTTP status."""

    INVALID = "invalid"
    NOT_FOUND = "not_found"  # a referenced id (a photo, a style): 400, the request is wrong
    TOO_LARGE = "too_large"
    TOO_SMALL = "too_small"
    UNSUPPORTED = "unsupported"
    DAMAGED = "damaged"
    EMPTY = "empty"
    CONFLICT = "conflict"
    NOT_READY = "not_ready"  # asked for a result that has not been rendered yet
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    OUT_OF_STORAGE = "out_of_storage"

    @property
    def status(self) -> int:
        return _STATUS.get(self, 400)


_STATUS = {Code.TOO_LARGE: 413, Code.UNSUPPORTED: 415, Code.CONFLICT: 409, Code.NOT_READY: 409,
           Code.THROTTLED: 429, Code.UNAVAILABLE: 503, Code.OUT_OF_STORAGE: 507}


class ServiceError(Exception):
    def __init__(self, message: str, code: Code | str = Code.INVALID, field: str | None = None):
        super().__init__(message)
        self.code = Code(code)
        self.field = field

    @property
    def status(self) -> int:
        return self.code.status


ENGINE_ERRORS = (images.ImageError, video.VideoError, EngineError)


@contextmanager
def refusing(field: str | None = None, *, prefix: str = ""):
    """Inside: an image, clip or engine error is re-raised as a ServiceError about ``field``
    (its message after ``prefix``, e.g. a photo's name in a batch), with the error's code."""
    try:
        yield
    except ENGINE_ERRORS as exc:
        code = getattr(exc, "code", Code.INVALID)
        known = code in Code._value2member_map_
        raise ServiceError(f"{prefix}{exc}", code=code if known else Code.INVALID,
                           field=field) from None


def is_out_of_storage(exc: BaseException) -> bool:
    """A write failed because the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


OUT_OF_STORAGE = ("The server is out of storage space, so nothing was saved. "
                  "Please try again later.")
RENDER_OUT_OF_STORAGE = ("Rendering failed because the server is out of storage. "
                         "Please try again later.")
QUEUE_UNAVAILABLE = ("The render queue cannot be reached right now, so nothing was saved. "
                     "Please try again in a few minutes.")
DATABASE_UNAVAILABLE = ("The site is temporarily unavailable: its database cannot be reached. "
                        "Please try again in a minute.")


INTERNAL_ERROR = (
    "Rendering failed because of a problem on our side. Please try again; "
    "if it keeps failing, let us know."
)
