"""One way from an engine or decoder error to what the person reads: errors.refusing()."""

import pytest

from gallery.errors import Code, ServiceError, refusing
from stylize import images, video
from stylize.engine import EngineError


@pytest.mark.parametrize("error, code, status", [
    (images.ImageError("Not an image.", code="unsupported"), Code.UNSUPPORTED, 415),
    (images.ImageError("Too many pixels.", code="too_large"), Code.TOO_LARGE, 413),
    (images.ImageError("Damaged.", code="damaged"), Code.DAMAGED, 400),
    (video.VideoError("No video in it.", code="unsupported"), Code.UNSUPPORTED, 415),
    (EngineError("Strength must be between 0 and 1."), Code.INVALID, 400),
    (images.ImageError("Odd.", code="something-new"), Code.INVALID, 400),
])
def test_engine_errors_become_service_errors_with_their_code(error, code, status):
    with pytest.raises(ServiceError) as refused, refusing("photo", prefix="beach: "):
        raise error
    assert refused.value.code is code and refused.value.status == status
    assert refused.value.field == "photo" and str(refused.value) == f"beach: {error}"


def test_other_errors_pass_through_untouched():
    with pytest.raises(KeyError), refusing("photo"):
        raise KeyError("a bug, not a refusal")


def test_codes_are_typed_and_read_as_their_words():
    error = ServiceError("Only a failed picture can be retried.", code="conflict")
    assert error.code is Code.CONFLICT and error.code == "conflict" and error.status == 409
    with pytest.raises(ValueError):
        ServiceError("?", code="no-such-code")
