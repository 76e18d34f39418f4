"""Forms of the intake interview, the follow-ups and the question set.

Every field of a draft is optional: the interview is filled in over several
sittings, and what must be there is checked when it is finished.
"""

from datetime import date, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake import interview
from intake.models import (
    ABSENCE_FUNCTIONS,
    SCORE_MAX,
    SCORE_MIN,
    FunctionRating,
    Intake,
    IntakeGoal,
    SchoolPlacement,
)
from kanonskolen.forms import BootstrapWidgetsMixin
from schoolplan.forms import (
    DATE_TOO_EARLY,
    EARLIEST_DATE,
    MAX_TEXT_LENGTH,
    PERIOD_REVERSED,
    DateInput,
)
from schoolplan.models import Area

DATE_TOO_LATE = _("The date is too far ahead. Write the date it happened.")
DATE_IN_FUTURE = _("The date cannot be later than today.")
FOLLOW_UP_BEFORE_INTAKE = _("A follow-up cannot be dated before the intake interview.")
GRADES_REVERSED = _("The last grade is lower than the first.")

# A draft may carry the planned date of an interview some weeks ahead.
PLANNED_DAYS_AHEAD = 90


def _check_date(value: date | None, *, days_ahead: int) -> None:
    if value is None:
        return
    if value < EARLIEST_DATE:
        raise forms.ValidationError(DATE_TOO_EARLY)
    if value > timezone.localdate() + timedelta(days=days_ahead):
        raise forms.ValidationError(DATE_TOO_LATE if days_ahead else DATE_IN_FUTURE)


class SectionForm(BootstrapWidgetsMixin, forms.ModelForm):
    """A part of the interview, with the version of it the editor loaded."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def valid_values(self) -> dict:
        """Return the model fields that passed validation, for a partial save."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self._meta.fields and name not in self.errors
        }

    def _check_period(self, start_name: str, end_name: str) -> None:
        start = self.cleaned_data.get(start_name)
        end = self.cleaned_data.get(end_name)
        if start and end and end < start:
            self.add_error(end_name, PERIOD_REVERSED)

    def _check_dates(self, names, *, days_ahead: int = 0) -> None:
        for name in names:
            try:
                _check_date(self.cleaned_data.get(name), days_ahead=days_ahead)
            except forms.ValidationError as error:
                self.add_error(name, error)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "maxlength": MAX_TEXT_LENGTH})


class MeetingForm(SectionForm):
    class Meta:
        model = Intake
        fields = list(interview.MEETING.fields)
        widgets = {
            "held_on": DateInput(),
            "guardians_took_part": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["led_by"].queryset = (
            get_user_model()
            .objects.filter(staff__school_id=pupil.school_id, is_active=True)
            .order_by("first_name", "last_name")
        )
        self.fields["led_by"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )
        self.fields["guardians_took_part"].queryset = pupil.guardians.all()
        self.fields["guardians_took_part"].label = _("Parents who took part")
        if pupil.caseworker_name:
            self.fields["caseworker_took_part"].label = _(
                "The caseworker (%(name)s)"
            ) % {"name": pupil.caseworker_name}
        self.fields["other_participants"].help_text = _(
            "Names and roles, for example PPR psychologist or grandmother."
        )

    def clean(self):
        cleaned = super().clean()
        self._check_dates(["held_on"], days_ahead=PLANNED_DAYS_AHEAD)
        return cleaned


class PupilViewForm(SectionForm):
    class Meta:
        model = Intake
        fields = list(interview.PUPIL_VIEW.fields)
        widgets = {name: _textarea(4) for name in interview.PUPIL_VIEW.fields}


class FamilyViewForm(SectionForm):
    class Meta:
        model = Intake
        fields = list(interview.FAMILY_VIEW.fields)
        widgets = {name: _textarea(4) for name in interview.FAMILY_VIEW.fields}


class LastSchoolAbsenceForm(SectionForm):
    class Meta:
        model = Intake
        fields = list(interview.LAST_SCHOOL_ABSENCE.fields)
        widgets = {
            "last_school_absence_percent": forms.NumberInput(
                attrs={"min": 0, "max": 100, "step": "0.1", "inputmode": "decimal"}
            ),
            "last_school_absence_from": DateInput(),
            "last_school_absence_to": DateInput(),
        }

    def clean(self):
        cleaned = super().clean()
        self._check_dates(["last_school_absence_from", "last_school_absence_to"])
        self._check_period("last_school_absence_from", "last_school_absence_to")
        return cleaned


class AbsenceFunctionsForm(SectionForm):
    class Meta:
        model = Intake
        fields = list(interview.ABSENCE_FUNCTIONS_SECTION.fields)
        widgets = {
            f"{stem}_rating": forms.RadioSelect for stem, _label in ABSENCE_FUNCTIONS
        } | {f"{stem}_reason": _textarea(2) for stem, _label in ABSENCE_FUNCTIONS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for stem, _label in ABSENCE_FUNCTIONS:
            rating = self.fields[f"{stem}_rating"]
            rating.choices = [("", _("Not judged"))] + list(FunctionRating.choices)
            rating.label = _("How much it weighs")
            self.fields[f"{stem}_reason"].label = _("Why you think so")

    def function_groups(self):
        """Return (title, help text, rating field, reason field) per function."""
        return [
            (label, FUNCTION_HELP[stem], self[f"{stem}_rating"], self[f"{stem}_reason"])
            for stem, label in ABSENCE_FUNCTIONS
        ]


# Our own short description of each function, to help the coordinator judge.
FUNCTION_HELP = {
    "distress": _(
        "Being at school, or the thought of it, brings worry, unease or physical "
        "discomfort that staying home takes away."
    ),
    "escape": _(
        "Staying away spares the pupil situations with other people or being "
        "judged: group work, presenting, tests, breaks."
    ),
    "attention": _(
        "Staying home keeps the pupil close to a parent or brings care and "
        "attention that the pupil misses at school."
    ),
    "rewards": _(
        "The day at home holds something attractive: screens, sleep, friends, "
        "freedom from demands."
    ),
}


class PlacementForm(SectionForm):
    class Meta:
        model = SchoolPlacement
        fields = list(interview.PLACEMENT_FIELDS)
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "why_ended": _textarea(2),
            "pupil_account": _textarea(4),
            "records_account": _textarea(4),
            "absence_percent": forms.NumberInput(
                attrs={"min": 0, "max": 100, "step": "0.1", "inputmode": "decimal"}
            ),
        }

    def clean(self):
        cleaned = super().clean()
        self._check_dates(["started_on", "ended_on"])
        self._check_period("started_on", "ended_on")
        first, last = cleaned.get("grade_from"), cleaned.get("grade_to")
        if first is not None and last is not None and last < first:
            self.add_error("grade_to", GRADES_REVERSED)
        return cleaned


class IntakeGoalForm(SectionForm):
    class Meta:
        model = IntakeGoal
        fields = list(interview.GOAL_FIELDS)
        widgets = {
            "review_date": DateInput(),
            "success_criteria": _textarea(2),
            "actions": _textarea(2),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.all()

    def clean(self):
        cleaned = super().clean()
        self._check_dates(["review_date"], days_ahead=5 * 365)
        return cleaned


SCORE_CHOICES = [("", "–")] + [
    (str(score), str(score)) for score in range(SCORE_MIN, SCORE_MAX + 1)
]


class ScoresForm(BootstrapWidgetsMixin, forms.Form):
    """One 0-10 choice per question; a question left at "–" is not answered."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                choices=SCORE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["class"] = "btn-check"

    def question_fields(self):
        return [(question, self[f"q{question.pk}"]) for question in self.questions]

    def scores(self) -> dict[int, int | None]:
        """Return the valid answers by question id."""
        return {
            question.pk: self.cleaned_data[f"q{question.pk}"]
            for question in self.questions
            if f"q{question.pk}" in self.cleaned_data
        }


class BaselineScoresForm(ScoresForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class FollowUpForm(ScoresForm):
    taken_on = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(
        label=_("Short note"),
        required=False,
        max_length=2000,
        widget=_textarea(3),
        help_text=_("What has happened since last time, in a few sentences."),
    )

    field_order = ["taken_on"]

    def __init__(self, *args, intake_date: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.intake_date = intake_date
        self.fields["taken_on"].initial = timezone.localdate

    def clean_taken_on(self):
        value = self.cleaned_data["taken_on"]
        _check_date(value, days_ahead=0)
        if value < self.intake_date:
            raise forms.ValidationError(FOLLOW_UP_BEFORE_INTAKE)
        return value


class AmendmentReasonForm(BootstrapWidgetsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=1000,
        widget=_textarea(2),
        help_text=_(
            "The interview keeps the original values; the change and this reason "
            "are shown with it."
        ),
    )


class QuestionForm(BootstrapWidgetsMixin, forms.Form):
    text = forms.CharField(label=_("Question"), max_length=300, required=False)
    low_label = forms.CharField(label=_("0 means"), max_length=100, required=False)
    high_label = forms.CharField(label=_("10 means"), max_length=100, required=False)
    higher_is_better = forms.BooleanField(
        label=_("A higher score is better"), required=False, initial=True
    )
    previous_id = forms.IntegerField(widget=forms.HiddenInput, required=False)


QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=2, can_delete=True, can_order=True
)


class QuestionSetVersionForm(forms.Form):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
