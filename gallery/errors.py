"""Errors and messages shared by every layer of the gallery; this module imports nothing of ours.

``ServiceError`` is a request that cannot be done: ``str()`` is for the person, ``code`` for
the API (gallery/api/errors.py maps codes to HTTP statuses).
"""

import errno

# HTTP status for a ServiceError's code, shared by the pages and the API; other codes: 400.
STATUS_FOR_CODE = {"too_large": 413, "unsupported": 415, "conflict": 409, "throttled": 429,
                   "unavailable": 503, "out_of_storage": 507}


class ServiceError(Exception):
    def __init__(self, message: str, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field

    @property
    def status(self) -> int:
        return STATUS_FOR_CODE.get(self.code, 400)


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
