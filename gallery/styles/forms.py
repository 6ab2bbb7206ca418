from django import forms


class StyleUploadForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="How it appears in your style list.")
    image = forms.FileField(help_text="Any painting, texture or photo whose look you like.",
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
