from django import forms

from gallery.forms import ControlsForm
from gallery.models import Style

CLIP_SIZE_CHOICES = [(360, "360p · small"), (480, "480p"), (720, "720p · HD"),
                     (1280, "Full · up to 1280 px")]


class ClipForm(ControlsForm):
    """A clip, one style, the controls; the size is the long side of the rendered clip."""

    switch_names = ("preserve_color", "deflicker")

    video = forms.FileField(
        label="Your clip", help_text="MP4, WebM or MOV (animated GIF/WebP too), up to 15 s.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/*,image/gif,image/webp"}))
    style = forms.ModelChoiceField(
        queryset=Style.objects.none(), label="Style", widget=forms.RadioSelect,
        error_messages={"required": "Choose a style.",
                        "invalid_choice": "That style is not available."})
    max_side = forms.TypedChoiceField(choices=CLIP_SIZE_CHOICES, coerce=int, initial=720,
                                      label="Size", help_text="The long side; never enlarged.")
    deflicker = forms.BooleanField(
        required=False, initial=True, label="Steady frames",
        help_text="Carries the brushwork along with the motion, so strokes and colours do not "
                  "jump from frame to frame (flicker).")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["style"].queryset = Style.objects.usable_by(user)
