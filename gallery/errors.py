"""Errors and messages shared by every layer of the gallery; this module imports nothing of ours.

``ServiceError`` is a request that cannot be done: ``str()`` is for the person, ``code`` for
the API (gallery/api/errors.py maps codes to HTTP statuses).
"""


# HTTP status for a ServiceError's code, shared by the pages and the API; other codes: 400.
STATUS_FOR_CODE = {"too_large": 413, "unsupported": 415, "conflict": 409}


class ServiceError(Exception):
    def __init__(self, message: str, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field

    @property
    def status(self) -> int:
        return STATUS_FOR_CODE.get(self.code, 400)


INTERNAL_ERROR = (
    "Rendering failed because of a problem on our side. Please try again; "
    "if it keeps failing, let us know."
)
