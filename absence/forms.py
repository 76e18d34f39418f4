from datetime import time

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from absence.dates import check_supported_range
from absence.flags import CONSECUTIVE_WINDOW_SCHOOL_DAYS
from absence.models import (
    LAST_LESSON_STATUSES,
    LEGAL_GROUPS,
    MORNING_STATUSES,
    AbsenceRules,
    DueStepDone,
    NonSchoolDay,
    OutreachContact,
    Registration,
    Status,
    Success,
)
from absence.services import ARRIVAL_TIME_MISSING, LEAVING_TIME_MISSING, RowInput
from schoolplan.forms import DateInput, _check_date_range, limit_text_fields
from schoolplan.models import Area, Goal

TIME_FORMAT = "%H:%M"

EARLIEST_DAY_START = time(6, 0)
LATEST_DAY_START = time(12, 0)
DAY_START_OUT_OF_RANGE = _("The school day must start between 06:00 and 12:00.")
WARNING_NOT_BELOW_NOTIFY = _(
    "The warning threshold must be below the threshold for notifying the municipality."
)
CONSECUTIVE_DAYS_TOO_MANY = _(
    "The rule looks at the latest %(days)s school days, so write %(days)s "
    "consecutive days or fewer."
)

ARRIVAL_OUTSIDE_DAY = _(
    "The arrival time must lie inside the school day, after %(start)s and before "
    "%(end)s."
)
LEAVING_OUTSIDE_DAY = _(
    "The leaving time must lie inside the school day, after %(start)s and before "
    "%(end)s."
)
LEFT_BEFORE_ARRIVING = _("The pupil cannot leave before arriving.")

REGISTER_NOT_SAVED = _(
    "Nothing was saved. Correct the rows of these pupils and save again: %(names)s."
)
REGISTER_ROW_DAMAGED = _(
    "The row is missing what it needs to detect other people's changes. "
    "Reload the page and register this pupil again."
)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format=TIME_FORMAT, **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# Short labels for the register's buttons, so a row fits a tablet's width.
BUTTON_LABELS = {
    Status.PRESENT: pgettext_lazy("register button", "Present"),
    Status.LATE: pgettext_lazy("register button", "Late"),
    Status.LEFT_EARLY: pgettext_lazy("register button", "Left early"),
    Status.AWAITING: pgettext_lazy("register button", "Awaiting reason"),
    Status.ILLNESS: pgettext_lazy("register button", "Illness"),
    Status.PERMITTED: pgettext_lazy("register button", "Permitted"),
    Status.UNLAWFUL: pgettext_lazy("register button", "Unlawful"),
}


def _status_choices(statuses):
    return [(status.value, status.label) for status in statuses]


def _button_choices(statuses):
    return [(status.value, BUTTON_LABELS[status]) for status in statuses]


class RegisterRowForm(forms.Form):
    """One pupil's register controls: the morning and, in grades 7-10, last lesson."""

    status = forms.ChoiceField(
        label=_("Morning"),
        required=False,
        choices=_button_choices(MORNING_STATUSES),
        widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
    )
    arrived_at = forms.TimeField(
        label=_("Arrived at"),
        required=False,
        widget=TimeInput(attrs={"class": "form-control"}),
    )
    reason_channel = forms.ChoiceField(
        label=_("Reason given by"),
        required=False,
        choices=[("", _("No reason yet"))] + list(Registration.Channel.choices),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": _("Note")}
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    last_status = forms.ChoiceField(
        label=_("Last lesson"),
        required=False,
        choices=_button_choices(LAST_LESSON_STATUSES),
        widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
    )
    left_at = forms.TimeField(
        label=_("Left at"),
        required=False,
        widget=TimeInput(attrs={"class": "form-control"}),
    )
    last_version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, required=False
    )

    def __init__(self, *args, row, school_day=None, **kwargs):
        self.row = row
        self.school_day = school_day
        morning, last_lesson = row.morning, row.last_lesson
        initial = {"version": morning.version if morning else 0}
        if morning is not None:
            initial.update(
                status=morning.status,
                arrived_at=morning.arrived_at,
                note=morning.note,
                reason_channel=morning.reason_channel,
            )
        initial["last_version"] = last_lesson.version if last_lesson else 0
        if last_lesson is not None:
            initial.update(last_status=last_lesson.status, left_at=last_lesson.left_at)

        super().__init__(*args, prefix=f"p{row.pupil.pk}", initial=initial, **kwargs)
        if not row.has_last_lesson:
            for name in ("last_status", "left_at", "last_version"):
                del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if "version" in self.errors or "last_version" in self.errors:
            self.add_error(None, REGISTER_ROW_DAMAGED)
        # A time that did not parse already has its own message.
        if (
            cleaned.get("status") == Status.LATE
            and not cleaned.get("arrived_at")
            and "arrived_at" not in self.errors
        ):
            self.add_error("arrived_at", ARRIVAL_TIME_MISSING)
        if (
            cleaned.get("last_status") == Status.LEFT_EARLY
            and not cleaned.get("left_at")
            and "left_at" not in self.errors
        ):
            self.add_error("left_at", LEAVING_TIME_MISSING)
        self._check_times(cleaned)
        return cleaned

    def _check_times(self, cleaned) -> None:
        """Check the arrival and leaving times against the school day and each other."""
        arrived = (
            cleaned.get("arrived_at") if cleaned.get("status") == Status.LATE else None
        )
        left = (
            cleaned.get("left_at")
            if cleaned.get("last_status") == Status.LEFT_EARLY
            else None
        )
        if self.school_day is not None:
            starts, ends = self.school_day
            params = {
                "start": starts.strftime(TIME_FORMAT),
                "end": ends.strftime(TIME_FORMAT),
            }
            if arrived and not starts < arrived < ends:
                self.add_error(
                    "arrived_at",
                    forms.ValidationError(ARRIVAL_OUTSIDE_DAY, params=params),
                )
                arrived = None
            if left and not starts < left < ends:
                self.add_error(
                    "left_at", forms.ValidationError(LEAVING_OUTSIDE_DAY, params=params)
                )
                left = None
        if arrived and left and left <= arrived:
            self.add_error("left_at", LEFT_BEFORE_ARRIVING)

    def row_inputs(self, *, rest_present: bool = False) -> list[RowInput]:
        data = self.cleaned_data
        pupil_id = self.row.pupil.pk
        status = data["status"] or (Status.PRESENT if rest_present else "")
        rows = [
            RowInput(
                pupil_id=pupil_id,
                notation=Registration.Notation.MORNING,
                status=status,
                arrived_at=data["arrived_at"],
                note=data["note"],
                reason_channel=data["reason_channel"],
                loaded_version=data["version"] or 0,
            )
        ]
        if self.row.has_last_lesson and data.get("last_status"):
            rows.append(
                RowInput(
                    pupil_id=pupil_id,
                    notation=Registration.Notation.LAST_LESSON,
                    status=data["last_status"],
                    left_at=data["left_at"],
                    loaded_version=data["last_version"] or 0,
                )
            )
        return rows


class _SharedFields(dict):
    """Form fields that the instances of a form class share instead of copying.

    Django deep-copies a form's fields for each instance, so that one instance can
    change a field without changing the others. That copy took about a tenth of
    a millisecond per register row (measured on the benchmark school). The row
    forms change no field, only which fields they have, so a shallow copy of
    the dictionary is enough.
    """

    def __deepcopy__(self, memo):
        return dict(self)


RegisterRowForm.base_fields = _SharedFields(RegisterRowForm.base_fields)


class RegisterForm:
    """All pupils' row forms of one register, validated and saved together."""

    def __init__(self, rows, data=None, *, school_day=None):
        self.forms = [
            RegisterRowForm(data, row=row, school_day=school_day) for row in rows
        ]

    def __iter__(self):
        return iter(self.forms)

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.forms])

    def invalid_pupils(self) -> list:
        return [form.row.pupil for form in self.forms if form.errors]

    def row_inputs(self, *, rest_present: bool = False) -> list[RowInput]:
        return [
            row
            for form in self.forms
            for row in form.row_inputs(rest_present=rest_present)
        ]


class ReasonForm(forms.Form):
    status = forms.ChoiceField(
        label=_("The absence is"),
        choices=_status_choices(LEGAL_GROUPS),
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(
        label=_("How the parents gave the reason"), choices=Registration.Channel.choices
    )
    given_on = forms.DateField(
        label=_("When"), widget=DateInput(), initial=timezone.localdate
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class SuccessForm(forms.ModelForm):
    class Meta:
        model = Success
        fields = ["day", "pattern", "area", "what_happened", "goal"]
        widgets = {
            "day": DateInput(),
            "pattern": forms.RadioSelect,
            "area": forms.RadioSelect,
            "what_happened": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        limit_text_fields(self)
        self.fields["area"].queryset = Area.objects.all()
        self.fields["area"].empty_label = None
        self.fields["area"].initial = Area.objects.filter(
            code=Area.Code.ATTENDANCE
        ).first()
        self.fields["goal"].queryset = Goal.objects.filter(
            pupil=pupil, status=Goal.Status.ACTIVE
        )
        self.fields["goal"].empty_label = _("No goal")
        self.fields["pattern"].initial = Success.Pattern.HARD_MORNING

    def clean_day(self):
        value = self.cleaned_data["day"]
        _check_date_range(value, allow_future_days=0)
        return value


class OutreachForm(forms.ModelForm):
    class Meta:
        model = OutreachContact
        fields = ["contacted_at", "kind", "staff", "outcome", "note"]
        widgets = {
            "contacted_at": DateTimeInput(),
            "kind": forms.RadioSelect,
            "outcome": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, school, user, **kwargs):
        super().__init__(*args, **kwargs)
        limit_text_fields(self)
        # A radio list needs no blank "---------" choice: nothing is checked until
        # the user chooses, and the field is required.
        self.fields["kind"].choices = OutreachContact.Kind.choices
        self.fields["outcome"].choices = OutreachContact.Outcome.choices
        self.fields["staff"].queryset = (
            get_user_model()
            .objects.filter(staff__school=school, is_active=True)
            .order_by("first_name", "last_name")
        )
        self.fields["staff"].label_from_instance = lambda staff: (
            staff.get_full_name() or staff.get_username()
        )
        self.fields["staff"].initial = user.pk
        self.fields["staff"].empty_label = None
        self.fields["contacted_at"].initial = timezone.localtime().replace(
            second=0, microsecond=0
        )

    def clean_contacted_at(self):
        value = self.cleaned_data["contacted_at"]
        _check_date_range(value.date(), allow_future_days=None)
        return value


class StepDoneForm(forms.Form):
    kind = forms.ChoiceField(choices=DueStepDone.Kind.choices, widget=forms.HiddenInput)
    period_start = forms.DateField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class SchoolYearForm(forms.Form):
    first_day = forms.DateField(label=_("First school day"), widget=DateInput())
    last_day = forms.DateField(label=_("Last school day"), widget=DateInput())
    propose_days_off = forms.BooleanField(
        label=_("Add the usual Danish holidays"),
        required=False,
        initial=True,
        help_text=_(
            "Autumn break (week 42), Christmas, winter break (week 7), Easter, "
            "Ascension Day and the day after, Whit Monday and Constitution Day. "
            "Adjust them after."
        ),
    )

    def clean_first_day(self):
        value = self.cleaned_data["first_day"]
        check_supported_range(value)
        return value

    def clean_last_day(self):
        value = self.cleaned_data["last_day"]
        check_supported_range(value)
        return value


class DaysOffForm(forms.Form):
    first_day = forms.DateField(label=_("From"), widget=DateInput())
    last_day = forms.DateField(
        label=_("To and including"), widget=DateInput(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=NonSchoolDay.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("first_day") and not cleaned.get("last_day"):
            cleaned["last_day"] = cleaned["first_day"]
        return cleaned


class RulesForm(forms.ModelForm):
    class Meta:
        model = AbsenceRules
        fields = [
            "reason_deadline_days",
            "day_starts_at",
            "school_day_minutes",
            "warning_percent",
            "notify_percent",
            "concerning_consecutive_days",
            "concerning_days_of_20",
            "concerning_days_of_60",
            "concerning_percent",
            "illness_teaching_days",
        ]
        widgets = {"day_starts_at": TimeInput()}

    def clean_day_starts_at(self):
        value = self.cleaned_data["day_starts_at"]
        if not EARLIEST_DAY_START <= value <= LATEST_DAY_START:
            raise forms.ValidationError(DAY_START_OUT_OF_RANGE)
        return value

    def clean_concerning_consecutive_days(self):
        value = self.cleaned_data["concerning_consecutive_days"]
        if value > CONSECUTIVE_WINDOW_SCHOOL_DAYS:
            raise forms.ValidationError(
                CONSECUTIVE_DAYS_TOO_MANY,
                params={"days": CONSECUTIVE_WINDOW_SCHOOL_DAYS},
            )
        return value

    def clean(self):
        cleaned = super().clean()
        warning, notify = cleaned.get("warning_percent"), cleaned.get("notify_percent")
        if warning is not None and notify is not None and warning >= notify:
            self.add_error("warning_percent", WARNING_NOT_BELOW_NOTIFY)
        return cleaned


PERIOD_CHOICES = [
    ("quarter", _("Calendar quarter")),
    ("school_year", _("School year so far")),
]


class ExportForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), choices=PERIOD_CHOICES, initial="quarter"
    )
    day = forms.DateField(
        label=_("A date in the period"),
        widget=DateInput(),
        initial=timezone.localdate,
    )

    def clean_day(self):
        value = self.cleaned_data["day"]
        check_supported_range(value)
        return value
