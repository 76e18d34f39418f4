from datetime import date, timedelta

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kanonskolen.forms import BootstrapWidgetsMixin
from schoolplan.models import Area, Challenge, Entry, Goal, GoalReview
from schoolplan.sections import Audience, Period, school_year_of

ENTRY_DATE_IN_FUTURE = _("The date cannot be later than today.")
DATE_TOO_LATE = _("The date is too far ahead. Write a date within five years.")
PERIOD_DATE_TOO_LATE = _(
    "The date is too far ahead. Write a date within a year from today."
)
DATE_TOO_EARLY = _("The date is too far back. Write a date from 2000 or later.")
PERIOD_REVERSED = _("The end of the period is before its start.")
GOAL_HAS_SUB_GOALS = _(
    "This goal has sub-goals of its own, so it cannot become a sub-goal. "
    "Move its sub-goals first."
)

EARLIEST_DATE = date(2000, 1, 1)
# A period, such as that of a plan export or a log filter, may reach a year
# ahead. The default period, the current school year, ends on 31 July at most
# 365 days after today, so it always passes.
PERIOD_DAYS_AHEAD = 365
MAX_TEXT_LENGTH = 20_000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _check_date_range(
    value: date | None,
    *,
    allow_future_days: int | None,
    too_late_message=DATE_TOO_LATE,
) -> None:
    if value is None:
        return
    if value < EARLIEST_DATE:
        raise forms.ValidationError(DATE_TOO_EARLY)
    if allow_future_days is not None:
        if value > timezone.localdate() + timedelta(days=allow_future_days):
            if allow_future_days == 0:
                raise forms.ValidationError(ENTRY_DATE_IN_FUTURE)
            raise forms.ValidationError(too_late_message)


def period_errors(start: date | None, end: date | None) -> dict[str, list]:
    """Return the errors of a period's `date_from` and `date_to`, by field name.

    Forms and the export service share these bounds: a date from 2000 up to a
    year from today, and an end that is not before the start.
    """
    errors: dict[str, list] = {}
    for name, day in (("date_from", start), ("date_to", end)):
        try:
            _check_date_range(
                day,
                allow_future_days=PERIOD_DAYS_AHEAD,
                too_late_message=PERIOD_DATE_TOO_LATE,
            )
        except forms.ValidationError as error:
            errors.setdefault(name, []).append(error)
    if start and end and end < start:
        errors.setdefault("date_to", []).append(PERIOD_REVERSED)
    return errors


def _check_period(form: forms.Form, cleaned: dict) -> None:
    """Add errors to `form` unless `date_from` and `date_to` make a sane period."""
    errors = period_errors(cleaned.get("date_from"), cleaned.get("date_to"))
    for name, field_errors in errors.items():
        for error in field_errors:
            form.add_error(name, error)


class EntryForm(BootstrapWidgetsMixin, forms.ModelForm):
    """The quick form for a log entry: date, kind, text, areas, goal, sharing."""

    text = forms.CharField(
        label=_("Text"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Entry
        fields = [
            "concerns_date",
            "kind",
            "text",
            "areas",
            "goal",
            "shared_with_parents",
            "shared_with_caseworker",
            "shared_with_municipality",
        ]
        widgets = {
            "concerns_date": DateInput(),
            "areas": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["concerns_date"].initial = timezone.localdate
        # Successes are written by the success form, which also records the
        # success itself. A success's entry stays one when it is corrected.
        if self.instance.kind == Entry.Kind.SUCCESS:
            self.fields["kind"].choices = [
                (Entry.Kind.SUCCESS, Entry.Kind.SUCCESS.label)
            ]
        else:
            self.fields["kind"].choices = [
                choice
                for choice in Entry.Kind.choices
                if choice[0] != Entry.Kind.SUCCESS
            ]
        self.fields["areas"].queryset = Area.objects.all()
        # A closed goal is not offered for new entries, but an entry that
        # already bears on it keeps the link when it is corrected.
        self.fields["goal"].queryset = Goal.objects.filter(pupil=pupil).filter(
            ~Q(status=Goal.Status.CLOSED) | Q(pk=self.instance.goal_id)
        )
        self.fields["goal"].empty_label = _("No goal")

    def clean_concerns_date(self):
        value = self.cleaned_data["concerns_date"]
        _check_date_range(value, allow_future_days=0)
        return value


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label=_("Amendment"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The original text stays visible; the amendment is shown below it."
        ),
    )


class StrikeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The entry stays in the log, struck through, with this reason."),
    )


class LogFilterForm(BootstrapWidgetsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.all(),
        required=False,
        empty_label=_("All areas"),
    )
    author = forms.TypedChoiceField(label=_("Author"), required=False, coerce=int)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, authors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds"))] + list(Entry.Kind.choices)
        self.fields["author"].choices = [("", _("All authors"))] + [
            (author.pk, author.get_full_name() or author.get_username())
            for author in authors
        ]

    def clean(self):
        cleaned = super().clean()
        _check_period(self, cleaned)
        return cleaned


STALE_FORM = _(
    "The form is missing what it needs to detect other people's changes. "
    "Copy your text, reload the page and try again."
)


def limit_text_fields(form: forms.BaseForm) -> None:
    """Give every free-text field without a limit the common maximum length."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and field.max_length is None:
            field.max_length = MAX_TEXT_LENGTH
            field.validators.append(MaxLengthValidator(MAX_TEXT_LENGTH))
            field.widget.attrs.setdefault("maxlength", str(MAX_TEXT_LENGTH))


def report_stale_version(form: forms.BaseForm) -> None:
    """Show a message when the hidden version field was tampered with or lost."""
    if "loaded_version" in form.errors:
        form.add_error(None, STALE_FORM)


class VersionedForm(forms.ModelForm):
    """A model form that carries the version the editor loaded."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_text_fields(self)
        for name in ("area",):
            if name in self.fields:
                self.fields[name].empty_label = _("Choose an area")
        if not self.is_bound:
            self.fields["loaded_version"].initial = self.instance.version or 0

    def clean(self):
        cleaned = super().clean()
        report_stale_version(self)
        return cleaned


class FrontPageForm(forms.Form):
    overview = forms.CharField(
        label=_("Overview"),
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("A short, current summary of the pupil's situation and the plan."),
    )
    resources = forms.CharField(
        label=_("Resources"),
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the pupil is good at and what supports the pupil."),
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self):
        cleaned = super().clean()
        report_stale_version(self)
        return cleaned


class ChallengeForm(VersionedForm):
    class Meta:
        model = Challenge
        fields = ["area", "description", "since", "status"]
        widgets = {
            "since": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_since(self):
        value = self.cleaned_data["since"]
        _check_date_range(value, allow_future_days=0)
        return value


class GoalForm(VersionedForm):
    class Meta:
        model = Goal
        fields = [
            "parent",
            "area",
            "title",
            "success_criteria",
            "actions",
            "responsible",
            "start_date",
            "review_date",
            "status",
        ]
        widgets = {
            "start_date": DateInput(),
            "review_date": DateInput(),
            "success_criteria": forms.Textarea(attrs={"rows": 3}),
            "actions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Goal.objects.filter(pupil=pupil, parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("None: this is a main goal")

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        if parent is not None and self.instance.pk and self.instance.sub_goals.exists():
            self.add_error("parent", GOAL_HAS_SUB_GOALS)
        for name in ("start_date", "review_date"):
            try:
                _check_date_range(cleaned.get(name), allow_future_days=5 * 365)
            except forms.ValidationError as error:
                self.add_error(name, error)
        start, review = cleaned.get("start_date"), cleaned.get("review_date")
        if start and review and review < start:
            self.add_error("review_date", PERIOD_REVERSED)
        return cleaned


class GoalReviewForm(forms.ModelForm):
    class Meta:
        model = GoalReview
        fields = ["reviewed_on", "text", "status", "entries"]
        widgets = {
            "reviewed_on": DateInput(),
            "text": forms.Textarea(attrs={"rows": 4}),
            "entries": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, goal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entries"].queryset = (
            Entry.objects.filter(pupil_id=goal.pupil_id, struck_at__isnull=True)
            .filter(goal=goal)
            .order_by("-concerns_date")
        )
        self.fields["entries"].required = False
        self.fields["status"].initial = goal.status
        limit_text_fields(self)

    def clean_reviewed_on(self):
        value = self.cleaned_data["reviewed_on"]
        _check_date_range(value, allow_future_days=0)
        return value


class PlanExportForm(BootstrapWidgetsMixin, forms.Form):
    """The recipient of a plan PDF and the period of the log it covers.

    A date left empty means the start or end of the current school year.
    """

    audience = forms.ChoiceField(
        label=_("Recipient"), choices=Audience.choices, widget=forms.RadioSelect
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    @classmethod
    def initial_data(cls, today: date) -> dict[str, str]:
        """Return form data for the internal version of the current school year."""
        year = school_year_of(today)
        return {
            "audience": Audience.INTERNAL,
            "date_from": year.start.isoformat(),
            "date_to": year.end.isoformat(),
        }

    def clean(self):
        cleaned = super().clean()
        school_year = school_year_of(timezone.localdate())
        if cleaned.get("date_from") is None and "date_from" not in self.errors:
            cleaned["date_from"] = school_year.start
        if cleaned.get("date_to") is None and "date_to" not in self.errors:
            cleaned["date_to"] = school_year.end
        _check_period(self, cleaned)
        return cleaned

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"])
