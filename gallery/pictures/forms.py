from django import forms

from gallery.forms import ControlsForm
from gallery.models import Photo, Style


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
