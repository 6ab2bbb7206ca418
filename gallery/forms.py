from django import forms
from django.contrib.auth.forms import UserCreationForm

from gallery.models import Photo, Style
from stylize.engine import DEFAULT_BRUSH_SCALE, DEFAULT_MAX_SIDE

SIZE_CHOICES = [
    (512, "Small · 512 px"),
    (1024, "Medium · 1024 px"),
    (1536, "Large · 1536 px"),
    (2048, "Extra large · 2048 px"),
    (4096, "Full · up to 4096 px"),
]
BRUSH_CHOICES = [
    (128, "Bold · 128"),
    (192, "Broad · 192"),
    (256, "Standard · 256"),
    (384, "Fine · 384"),
    (512, "Very fine · 512"),
]
MAX_BLEND = 3


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; lets you reset a forgotten password.")

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


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


class StylizationForm(ControlsForm):
    photo_file = forms.FileField(
        label="Upload a photo", required=False,
        help_text="JPEG, PNG or WebP (GIF, TIFF, BMP work too). Location data and other metadata "
                  "are removed.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    photo = forms.ModelChoiceField(
        queryset=Photo.objects.none(), required=False, label="…or use one of your photos",
        widget=forms.RadioSelect,
    )
    style = forms.ModelChoiceField(
        queryset=Style.objects.none(), label="Style", widget=forms.RadioSelect,
        error_messages={"required": "Choose a style.",
                        "invalid_choice": "That style is not available."},
    )
    weight = forms.FloatField(min_value=0.05, max_value=1.0, initial=1.0, required=False)
    style_2 = forms.ModelChoiceField(queryset=Style.objects.none(), required=False,
                                     label="Blend with", empty_label="No second style")
    weight_2 = forms.FloatField(min_value=0.0, max_value=1.0, initial=0.5, required=False)
    style_3 = forms.ModelChoiceField(queryset=Style.objects.none(), required=False,
                                     label="…and with", empty_label="No third style")
    weight_3 = forms.FloatField(min_value=0.0, max_value=1.0, initial=0.5, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["photo"].queryset = Photo.objects.filter(owner=user)
        usable = Style.objects.usable_by(user)
        for name in ("style", "style_2", "style_3"):
            self.fields[name].queryset = usable

    def clean(self):
        data = super().clean()
        has_file, has_photo = bool(data.get("photo_file")), bool(data.get("photo"))
        if not has_file and not has_photo:
            self.add_error("photo_file", "Upload a photo or choose one of yours.")
        elif has_file and has_photo:
            self.add_error("photo_file", "Upload a new photo or choose an earlier one, not both.")
        if any(f in self.errors for f in ("style", "style_2", "style_3")):
            return data
        picked = [s for s in (data.get("style"), data.get("style_2"), data.get("style_3")) if s]
        if len({s.pk for s in picked}) != len(picked):
            self.add_error("style_2", "Each style can be picked only once.")
        return data

    def style_weights(self) -> list[tuple[Style, float]]:
        d = self.cleaned_data
        pairs = [(d["style"], d.get("weight") or 1.0)]
        for n in (2, 3):
            style, weight = d.get(f"style_{n}"), d.get(f"weight_{n}")
            if style and (weight or 0) > 0:
                pairs.append((style, weight))
        return pairs


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class BatchForm(ControlsForm):
    """Several photos × several styles, with the same controls."""

    photo_files = MultipleFileField(
        label="Upload photos", required=False,
        help_text="Choose several files, or drop them anywhere on this page.")
    photos = forms.ModelMultipleChoiceField(
        queryset=Photo.objects.none(), required=False, label="…and/or use photos of yours",
        widget=forms.CheckboxSelectMultiple)
    styles = forms.ModelMultipleChoiceField(
        queryset=Style.objects.none(), label="Styles", widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one style.",
                        "invalid_choice": "That style is not available."})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["photos"].queryset = Photo.objects.filter(owner=user)
        self.fields["styles"].queryset = Style.objects.usable_by(user)

    def clean(self):
        data = super().clean()
        if not data.get("photo_files") and not data.get("photos") and "photo_files" not in self.errors:
            self.add_error("photo_files", "Upload photos or choose some of yours.")
        return data

    def picture_count(self) -> int:
        d = self.cleaned_data
        return (len(d.get("photo_files") or []) + len(d.get("photos") or [])) * len(d.get("styles") or [])


CLIP_SIZE_CHOICES = [(360, "360p · small"), (480, "480p"), (720, "720p · HD"),
                     (1280, "Full · up to 1280 px")]


class VideoForm(ControlsForm):
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
        required=False, initial=True, label="Steady colours",
        help_text="Keeps colours from jumping between frames (flicker).")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["style"].queryset = Style.objects.usable_by(user)
