"""Lean Bootstrap 5 rendering of Django form fields, for the busiest pages.

crispy-forms renders most forms; on the plan page, which every teacher opens
many times a day, its per-field template work was a third of the response
time, so these fields use Django's own field templates with Bootstrap classes.
"""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.forms.renderers import TemplatesSetting


class BootstrapFormRenderer(TemplatesSetting):
    field_template_name = "forms/field.html"


class BootstrapWidgetsMixin:
    """Give each widget the Bootstrap class its kind of input needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()


class LoginForm(AuthenticationForm):
    """The login form, rejecting a username longer than any account can have.

    Django's form sets only the input's maxlength attribute; without the
    validator an over-long name reached django-axes, whose log of failed
    attempts stores at most 255 characters.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
