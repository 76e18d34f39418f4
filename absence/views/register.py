"""The morning register and the reasons parents give for absences."""

from datetime import date, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from absence import calendar, selectors, services
from absence.access import get_group_for_user
from absence.dates import in_supported_range
from absence.figures import rules_for, school_day_span
from absence.forms import (
    REGISTER_NOT_SAVED,
    TIME_FORMAT,
    ReasonForm,
    RegisterForm,
)
from absence.models import LEGAL_GROUPS, Registration
from absence.views.helpers import safe_next_url
from schoolplan.access import (
    get_pupil_for_user,
    require_school,
    school_of,
    visible_group_list,
    visible_groups,
)
from schoolplan.audit import record_access, record_accesses
from schoolplan.models import AccessLogEntry
from schoolplan.services import StaleEditError


def _requested_day(request, today: date) -> date:
    """Return the ?day= date, or today if it is missing, invalid or later.

    An invalid or later date gets a message saying that today is shown. A
    date outside the supported years raises Http404.
    """
    value = request.GET.get("day", "")
    if not value:
        return today
    try:
        day = date.fromisoformat(value)
    except ValueError:
        messages.warning(
            request,
            _("The date in the address is invalid, so today's register is shown."),
        )
        return today
    if not in_supported_range(day):
        raise Http404("The register date is out of range.")
    if day > today:
        messages.warning(
            request, _("A later day has no register yet, so today's register is shown.")
        )
        return today

    return day


def _register_url(group_id: int, day: date) -> str:
    return reverse("absence:register", args=[group_id]) + "?" + urlencode({"day": day})


def _weekday_before(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _weekday_after(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def register_index(request):
    """Open today's register of the user's only group, or list the groups."""
    groups = list(visible_groups(request.user))
    if len(groups) == 1:
        return redirect("absence:register", groups[0].pk)

    return render(request, "absence/register_index.html", {"groups": groups})


# The register lists this many of its group's absences awaiting a reason.
REGISTER_AWAITING_SHOWN = 8


def register(request, group_id: int):
    groups = visible_group_list(request.user)
    group = get_group_for_user(request.user, group_id, visible=groups)
    today = timezone.localdate()
    day = _requested_day(request, today)

    info = calendar.day_info(group.school_id, day)
    rows = selectors.register_rows(group, day)
    rules = rules_for(group.school_id)
    school_day = school_day_span(rules)
    form = RegisterForm(
        rows, request.POST if request.method == "POST" else None, school_day=school_day
    )
    conflict, changed = [], []

    form_valid = request.method == "POST" and info.is_school_day and form.is_valid()
    if request.method == "POST" and info.is_school_day and not form_valid:
        names = ", ".join(pupil.full_name for pupil in form.invalid_pupils())
        messages.error(request, REGISTER_NOT_SAVED % {"names": names})
    if form_valid:
        rest_present = "rest_present" in request.POST
        try:
            result = services.register_save(
                group=group,
                day=day,
                user=request.user,
                rows=form.row_inputs(rest_present=rest_present),
            )
        except services.RegisterConflict as error:
            conflict = error.current
            form, changed = _rebind_after_conflict(
                rows, form, request.POST, conflict, school_day=school_day
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The register was saved: %(created)s new, %(updated)s changed.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect(_register_url(group.pk, day))

    if request.method == "GET" and rows:
        what = _("attendance register %(day)s") % {"day": day.isoformat()}
        record_accesses(
            request.user,
            AccessLogEntry.Action.VIEW,
            pupil_ids=[row.pupil.pk for row in rows],
            what=what,
        )

    conflict_by_pupil = {}
    for registration in conflict:
        conflict_by_pupil.setdefault(registration.pupil_id, []).append(registration)

    awaiting_list, awaiting_count = selectors.group_awaiting_latest(
        group, REGISTER_AWAITING_SHOWN
    )
    context = {
        "group": group,
        "groups": groups,
        "day": day,
        "today": today,
        "info": info,
        "rows": [
            (row, row_form, conflict_by_pupil.get(row.pupil.pk, []))
            for row, row_form in zip(rows, form, strict=True)
        ],
        "has_conflict": bool(conflict),
        "kept_input_ids": {registration.pk for registration in changed},
        "previous_day": _weekday_before(day),
        "next_day": _weekday_after(day) if day < today else None,
        "awaiting": awaiting_list,
        "awaiting_count": awaiting_count,
        "deadline_days": rules.reason_deadline_days,
        "day_starts": school_day[0],
        "day_ends": school_day[1],
        "register_url": _register_url(group.pk, day),
    }
    return render(request, "absence/register.html", context)


# The register form's field names for each notation, and the model field each holds.
_NOTATION_FIELDS = {
    Registration.Notation.MORNING: (
        "version",
        {
            "status": "status",
            "arrived_at": "arrived_at",
            "note": "note",
            "reason_channel": "reason_channel",
        },
    ),
    Registration.Notation.LAST_LESSON: (
        "last_version",
        {"last_status": "status", "left_at": "left_at"},
    ),
}


def _row_input(pupil_id: int, notation: str, values: dict) -> services.RowInput:
    return services.RowInput(
        pupil_id=pupil_id,
        notation=notation,
        status=values.get("status") or "",
        arrived_at=values.get("arrived_at"),
        left_at=values.get("left_at"),
        note=values.get("note") or "",
        reason_channel=values.get("reason_channel") or "",
    )


def _loaded_registrations(form: RegisterForm, current: list[Registration]) -> dict:
    """Return the historical records of `current` at the versions the user loaded.

    The keys are (registration id, version). One query.
    """
    forms_by_pupil = {row_form.row.pupil.pk: row_form for row_form in form}
    loaded_query = Q(pk__in=[])
    for registration in current:
        version_field, _fields = _NOTATION_FIELDS[registration.notation]
        cleaned = forms_by_pupil[registration.pupil_id].cleaned_data
        loaded_version = cleaned.get(version_field) or 0
        if loaded_version:
            loaded_query |= Q(id=registration.pk, version=loaded_version)

    return {
        (record.id, record.version): record
        for record in Registration.history.filter(loaded_query)
    }


def _user_changed(row_form, registration: Registration, loaded: dict) -> bool:
    """Return whether the user's input for this notation differs from what they loaded.

    An input whose loaded version is no longer in the history counts as changed,
    so the user's input is kept rather than silently replaced.
    """
    version_field, fields = _NOTATION_FIELDS[registration.notation]
    cleaned = row_form.cleaned_data
    input_values = {
        model_name: cleaned.get(name) for name, model_name in fields.items()
    }
    input_values = services.registered_values(
        _row_input(registration.pupil_id, registration.notation, input_values)
    )

    loaded_version = cleaned.get(version_field) or 0
    if loaded_version == 0:
        return bool(input_values["status"])
    record = loaded.get((registration.pk, loaded_version))
    if record is None:
        return True
    loaded_values = {
        model_name: getattr(record, model_name) for model_name in fields.values()
    }
    loaded_values = services.registered_values(
        _row_input(registration.pupil_id, registration.notation, loaded_values)
    )
    return input_values != loaded_values


def _rebind_after_conflict(
    rows, form: RegisterForm, data, current: list[Registration], *, school_day
) -> tuple[RegisterForm, list[Registration]]:
    """Return the form to show after a conflict, and the registrations the user changed.

    A notation the user did not change takes the values and version saved now,
    so saving again keeps the other person's registration. A notation the user
    changed keeps the input and gets the current version: saving again then
    means "I have seen the other registration and mine wins".
    """
    forms_by_pupil = {row_form.row.pupil.pk: row_form for row_form in form}
    loaded = _loaded_registrations(form, current)
    data = data.copy()
    changed = []
    for registration in current:
        version_field, fields = _NOTATION_FIELDS[registration.notation]
        prefix = f"p{registration.pupil_id}-"
        data[prefix + version_field] = str(registration.version)
        if _user_changed(forms_by_pupil[registration.pupil_id], registration, loaded):
            changed.append(registration)
            continue

        for name, model_name in fields.items():
            value = getattr(registration, model_name)
            if value is None:
                value = ""
            elif isinstance(value, time):
                value = value.strftime(TIME_FORMAT)
            data[prefix + name] = value

    form = RegisterForm(rows, data, school_day=school_day)
    form.is_valid()
    return form, changed


def awaiting(request):
    """List the absences awaiting a reason in the groups the user works with."""
    school = require_school(request.user)
    groups = list(visible_groups(request.user))
    registrations = list(
        selectors.awaiting_reasons(
            school=school, group_ids=[group.pk for group in groups]
        )
    )
    rules = rules_for(school.pk)

    today = timezone.localdate()
    for registration in registrations:
        registration.deadline = registration.day + timedelta(
            days=rules.reason_deadline_days
        )
        registration.overdue = registration.deadline < today

    record_access(
        request.user, AccessLogEntry.Action.VIEW, what=_("absences awaiting a reason")
    )
    context = {"registrations": registrations, "today": today, "rules": rules}
    return render(request, "absence/awaiting.html", context)


def reason_record(request, registration_id: int):
    registration = get_object_or_404(
        Registration.objects.select_related("group"),
        pk=registration_id,
        pupil__school=school_of(request.user),
    )
    pupil = get_pupil_for_user(request.user, registration.pupil_id)
    registration.pupil = pupil

    initial = {"loaded_version": registration.version}
    if registration.status in LEGAL_GROUPS:
        initial["status"] = registration.status
    form = ReasonForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reason_record(
                registration=registration,
                user=request.user,
                status=data["status"],
                channel=data["channel"],
                given_on=data["given_on"],
                note=data["note"],
                expected_version=data["loaded_version"],
            )
        except StaleEditError as error:
            conflict = error.current
            post = request.POST.copy()
            post["loaded_version"] = str(conflict.version)
            form = ReasonForm(post)
            form.is_valid()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The reason was recorded."))
            return redirect(safe_next_url(request, reverse("absence:awaiting")))

    record_access(
        request.user,
        AccessLogEntry.Action.VIEW,
        pupil=pupil,
        what=_("absence %(day)s") % {"day": registration.day.isoformat()},
    )
    context = {
        "registration": registration,
        "pupil": pupil,
        "form": form,
        "conflict": conflict,
        "history": list(
            registration.history.select_related("history_user").order_by(
                "-history_date"
            )
        ),
    }
    return render(request, "absence/reason_form.html", context)
