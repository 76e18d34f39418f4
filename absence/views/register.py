"""The morning register and the reasons parents give for absences."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from absence import calendar, selectors, services
from absence.access import get_group_for_user, visible_groups
from absence.figures import rules_for
from absence.forms import ReasonForm, RegisterForm
from absence.models import LEGAL_GROUPS, Registration
from absence.views.helpers import safe_next_url
from schoolplan.access import get_pupil_for_user, school_of
from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry
from schoolplan.services import StaleEditError


def _requested_day(request, today: date) -> date:
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return today

    return min(day, today)


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


def register(request, group_id: int):
    group = get_group_for_user(request.user, group_id)
    today = timezone.localdate()
    day = _requested_day(request, today)

    info = calendar.day_info(group.school_id, day)
    rows = selectors.register_rows(group, day)
    form = RegisterForm(rows, request.POST if request.method == "POST" else None)
    conflict = []

    if request.method == "POST" and info.is_school_day and form.is_valid():
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
            form = _rebind_with_versions(rows, request.POST, conflict)
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
        AccessLogEntry.objects.bulk_create(
            AccessLogEntry(
                user=request.user,
                pupil=row.pupil,
                action=AccessLogEntry.Action.VIEW,
                what=f"attendance register {day.isoformat()}",
            )
            for row in rows
        )

    conflict_by_pupil = {}
    for registration in conflict:
        conflict_by_pupil.setdefault(registration.pupil_id, []).append(registration)

    awaiting_list, awaiting_count = _latest_awaiting(group)
    rules = rules_for(group.school_id)
    context = {
        "group": group,
        "groups": visible_groups(request.user),
        "day": day,
        "today": today,
        "info": info,
        "rows": [
            (row, row_form, conflict_by_pupil.get(row.pupil.pk, []))
            for row, row_form in zip(rows, form, strict=True)
        ],
        "has_conflict": bool(conflict),
        "previous_day": _weekday_before(day),
        "next_day": _weekday_after(day) if day < today else None,
        "awaiting": awaiting_list,
        "awaiting_count": awaiting_count,
        "deadline_days": rules.reason_deadline_days,
        "register_url": _register_url(group.pk, day),
    }
    return render(request, "absence/register.html", context)


REGISTER_AWAITING_SHOWN = 8


def _latest_awaiting(group) -> tuple[list, int]:
    """Return the group's latest absences awaiting a reason, and how many there are."""
    awaiting = selectors.awaiting_reasons(school=group.school_id, group_ids=[group.pk])
    latest = list(awaiting.order_by("-day", "pk")[: REGISTER_AWAITING_SHOWN + 1])
    if len(latest) <= REGISTER_AWAITING_SHOWN:
        return latest, len(latest)

    return latest[:REGISTER_AWAITING_SHOWN], awaiting.count()


def _rebind_with_versions(rows, data, current: list[Registration]) -> RegisterForm:
    """Return the form with what the user typed and the versions saved now.

    Saving again then means "I have seen the other registrations and mine win".
    """
    data = data.copy()
    for registration in current:
        name = (
            "version"
            if registration.notation == Registration.Notation.MORNING
            else ("last_version")
        )
        data[f"p{registration.pupil_id}-{name}"] = str(registration.version)

    form = RegisterForm(rows, data)
    form.is_valid()
    return form


def awaiting(request):
    """List the absences awaiting a reason in the groups the user works with."""
    school = school_of(request.user)
    groups = list(visible_groups(request.user))
    registrations = list(
        selectors.awaiting_reasons(
            school=school, group_ids=[group.pk for group in groups]
        )
    )
    rules = rules_for(school.pk) if school else None

    today = timezone.localdate()
    for registration in registrations:
        registration.deadline = registration.day + timedelta(
            days=rules.reason_deadline_days
        )
        registration.overdue = registration.deadline < today

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
        what=f"absence {registration.day.isoformat()}",
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
