"""The controls every picture takes (one picture, a batch, a clip), as one form that each
feature's form extends (gallery/<feature>/forms.py)."""

from django import forms

from stylize.engine import DEFAULT_BRUSH_SCALE, DEFAULT_MAX_SIDE, MAX_SIDE_LIMIT, Controls

SIZE_CHOICES = [
    (512, "Small · 512 px"),
    (1024, "Medium · 1024 px"),
    (1536, "Large · 1536 px"),
    (2048, "Extra large · 2048 px"),
    (4096, "Print · 4096 px"),
    (MAX_SIDE_LIMIT, "Full size · your photo's own"),
]
BRUSH_CHOICES = [
    (128, "Bold · 128"),
    (192, "Broad · 192"),
    (256, "Standard · 256"),
    (384, "Fine · 384"),
    (512, "Very fine · 512"),
]


class ControlsForm(forms.Form):
    """The controls every picture takes (one picture, a batch, a clip); the templates show
    them with includes/controls.html."""

    switch_names = ("preserve_color",)

    strength = forms.FloatField(
        min_value=0.0, max_value=1.0, initial=1.0,
        help_text="How far to go from your photo (0) to the full style (1).",
        widget=forms.NumberInput(attrs={"type": "range", "step": "0.05", "min": "0", "max": "1"}),
    )
    preserve_color = forms.BooleanField(
        required=False, label="Keep my photo's colours",
        help_text="Use the style's brushwork and light, but your photo's colours.",
    )
    max_side = forms.TypedChoiceField(
        choices=SIZE_CHOICES, coerce=int, initial=DEFAULT_MAX_SIDE, label="Output size",
        help_text="The longer side; smaller photos are never enlarged.",
    )
    brush_scale = forms.TypedChoiceField(
        choices=BRUSH_CHOICES, coerce=int, initial=DEFAULT_BRUSH_SCALE, label="Brush scale",
        help_text="Size the style picture is read at: higher gives finer strokes.",
    )

    @property
    def controls_switches(self):
        return [self[name] for name in self.switch_names]

    def controls(self) -> Controls:
        return Controls.of(self.cleaned_data)
