from django import forms

from gallery.forms import ControlsForm
from gallery.models import Photo, Style


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
