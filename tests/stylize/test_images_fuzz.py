"""Damaged uploads of every accepted format only ever raise ImageError (never a crash)."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from stylize.images import ACCEPTED_FORMATS, ImageError, open_image
from tests.imagegen import photo

SAMPLES = {}
for fmt in ACCEPTED_FORMATS:
    buf = io.BytesIO()
    photo(48, 40, seed=3).save(buf, fmt)
    SAMPLES[fmt] = buf.getvalue()


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(
    fmt=st.sampled_from(sorted(SAMPLES)),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                   min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_corrupted_images_open_or_fail_cleanly(fmt, edits, cut):
    data = bytearray(SAMPLES[fmt])
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    try:
        img = open_image(bytes(data))
    except ImageError as exc:
        assert str(exc)  # a sentence for the person, never empty
    else:
        assert img.mode in ("RGB", "RGBA") and min(img.size) >= 32
        assert isinstance(img, Image.Image)
