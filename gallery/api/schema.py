"""OpenAPI generation: every operation documents the JSON error body for the statuses it can give.

Without this, clients (and schemathesis' response-conformance check) would meet
undocumented 4xx answers; declaring them per view would repeat the same list everywhere.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions

from gallery.api.errors import ErrorSerializer

_DESCRIPTIONS = {
    "400": "Invalid input (see `errors`).",
    "401": "Not signed in: send `Authorization: Token <key>`.",
    "403": "Not allowed (e.g. deleting a catalog style).",
    "404": "No such object, or it belongs to someone else.",
    "409": "Not possible in the object's current state.",
    "413": "The upload or request is too large.",
    "415": "Not an image format we accept, or a wrong request content type.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in bodies:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = _DESCRIPTIONS[code]
                bodies[code] = response
        return bodies

    def _error_codes(self) -> list[str]:
        codes = ["400", "404", "429"]
        perms = [type(p) for p in self.view.get_permissions()]
        if permissions.AllowAny not in perms:
            codes += ["401", "403"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        return codes
