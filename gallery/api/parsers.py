"""Request parsers that answer bad JSON with a 400, however it is bad."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = "The JSON is nested too deeply."


class SafeJSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that a body nested thousands of levels deep (Python's
    decoder raises RecursionError, not ValueError) is a 400 like any other bad JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
