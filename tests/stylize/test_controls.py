"""Controls: the four settings every render takes, as one value."""

import types

import pytest

from stylize.engine import DEFAULT_CONTROLS, Controls, EngineError


def test_controls_come_from_a_mapping_or_a_row_and_keep_defaults():
    assert Controls.of({"strength": 0.4, "max_side": 512, "callback_url": "x"}) == Controls(
        strength=0.4, max_side=512)
    row = types.SimpleNamespace(strength=0.7, preserve_color=True, max_side=2048, brush_scale=384)
    assert Controls.of(row).as_dict() == {"strength": 0.7, "preserve_color": True,
                                          "max_side": 2048, "brush_scale": 384}
    assert Controls.of({}) == DEFAULT_CONTROLS == Controls()


@pytest.mark.parametrize("controls, message", [
    (Controls(strength=1.5), "Strength"), (Controls(max_side=32), "Output size"),
    (Controls(brush_scale=2000), "Brush scale"),
])
def test_controls_out_of_range_are_refused(controls, message):
    with pytest.raises(EngineError, match=message):
        controls.check()


def test_check_normalises_the_weights():
    assert Controls().check([1, 3]) == [0.25, 0.75]
