"""Small template helpers for Bootstrap markup."""

from django import template

register = template.Library()


@register.filter
def bs(field, extra: str = ""):
    """Render a form field's widget with Bootstrap classes (and is-invalid when it has errors)."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", "")
    if kind in ("checkbox", "radio"):
        css = "form-check-input"
    elif kind == "range":
        css = "form-range"
    elif widget.__class__.__name__ == "Select":
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    if extra:
        css += f" {extra}"
    return field.as_widget(attrs={"class": css})


@register.filter
def percent(value):
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def minutes(seconds):
    """A wait in words: "1 minute", "14 minutes"."""
    n = max(1, round((seconds or 0) / 60))
    return f"{n} minute{'s' if n != 1 else ''}"
