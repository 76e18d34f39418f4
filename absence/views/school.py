"""School-wide pages: the dashboard, the CSV export, the calendar and the rules."""

import csv
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from absence import calendar, figures, selectors, services
from absence import dashboard as school_dashboard
from absence.access import (
    require_leadership,
    require_whole_school,
)
from absence.forms import (
    DaysOffForm,
    ExportForm,
    RulesForm,
    SchoolYearForm,
)
from absence.models import AbsenceRules, NonSchoolDay, SchoolYear
from schoolplan.access import NO_SCHOOL, require_school
from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry, Pupil

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def dashboard(request):
    """Show the leadership dashboard, brought up to date per changed pupil."""
    require_whole_school(request.user)
    today = timezone.localdate()
    setting = selectors.staff_school_setting(request.user, today)
    if setting is None:
        raise PermissionDenied(NO_SCHOOL)
    period = setting.period

    data = school_dashboard.dashboard(
        setting.school_id, today, rules=setting.rules, period=period
    )
    body = school_dashboard.rendered_body(data, show_all=request.GET.get("alle") == "1")

    record_access(request.user, AccessLogEntry.Action.VIEW, what=_("absence dashboard"))
    context = {
        "body": body,
        "period": period,
        "today": today,
        "export_form": ExportForm(),
    }
    return render(request, "absence/dashboard.html", context)


def neutralise(value):
    """Return a CSV cell; text a spreadsheet would run as a formula gets a quote first.

    Numbers are returned as they are, so they stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _number(value) -> str | int:
    """Format a figure with a decimal comma, the convention of Danish spreadsheets."""
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return f"{Decimal(value):.1f}".replace(".", ",")


def export_csv(request):
    """Absence per pupil for a calendar quarter or the school year so far, as CSV.

    Semicolon-separated with decimal commas and a byte order mark, as Danish
    spreadsheet programs expect.
    """
    require_whole_school(request.user)
    school = require_school(request.user)
    today = timezone.localdate()

    form = ExportForm(request.GET or None)
    period_kind, day = "quarter", today
    if form.is_bound and not form.is_valid():
        errors = [
            error for field_errors in form.errors.values() for error in field_errors
        ]
        messages.error(request, " ".join(errors))
        return redirect("absence:dashboard")
    if form.is_bound:
        period_kind, day = (
            form.cleaned_data["period"],
            min(form.cleaned_data["day"], today),
        )
    if period_kind == "quarter":
        start, end = figures.quarter_start(day), figures.quarter_end(day)
    else:
        period = selectors.school_year_period(school.pk, day)
        start, end = period.start, period.end

    rules = figures.rules_for(school.pk)
    by_pupil = figures.school_figures(rules, start=start, end=end, today=today)
    pupils = Pupil.objects.filter(pk__in=by_pupil).select_related("group")

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="fravaer-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("Pupil"),
            _("Group"),
            _("Grade level"),
            _("From"),
            _("To"),
            _("School days"),
            _("Not registered"),
            _("Illness (days)"),
            _("Permitted (days)"),
            _("Unlawful (days)"),
            _("Awaiting a reason (days)"),
            _("Late or left early (days)"),
            _("Absence (%)"),
            _("Unlawful absence (%)"),
        ]
    )
    for pupil in pupils.order_by("first_name", "last_name", "pk"):
        pupil_figures = by_pupil[pupil.pk]
        writer.writerow(
            [
                neutralise(pupil.full_name),
                neutralise(pupil.group.name if pupil.group else ""),
                pupil.grade,
                start.isoformat(),
                min(end, today).isoformat(),
                pupil_figures.school_days,
                pupil_figures.missing,
                pupil_figures.illness,
                pupil_figures.permitted,
                pupil_figures.unlawful,
                pupil_figures.awaiting,
                _number(pupil_figures.partial),
                _number(pupil_figures.absent_percent),
                _number(pupil_figures.unlawful_percent),
            ]
        )

    record_access(
        request.user,
        AccessLogEntry.Action.EXPORT,
        what=_("absence CSV %(start)s to %(end)s")
        % {"start": start.isoformat(), "end": end.isoformat()},
    )
    return response


def calendar_list(request):
    require_whole_school(request.user)
    school = require_school(request.user)

    next_first_year = timezone.localdate().year
    latest = SchoolYear.objects.filter(school=school).order_by("-first_day").first()
    if latest is not None:
        next_first_year = latest.last_day.year
    first_day, last_day = calendar.proposed_school_year(next_first_year)

    form = SchoolYearForm(
        request.POST or None, initial={"first_day": first_day, "last_day": last_day}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            school_year = services.school_year_create(
                school=school,
                first_day=data["first_day"],
                last_day=data["last_day"],
                propose_days_off=data["propose_days_off"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The school year was created."))
            return redirect("absence:calendar_year", school_year.pk)

    school_years = SchoolYear.objects.filter(school=school).order_by("-first_day")
    context = {"school_years": school_years, "form": form}
    return render(request, "absence/calendar_list.html", context)


def calendar_year(request, year_id: int):
    require_whole_school(request.user)
    school_year = get_object_or_404(
        SchoolYear, pk=year_id, school=require_school(request.user)
    )

    form = DaysOffForm(
        request.POST or None, initial={"kind": NonSchoolDay.Kind.HOLIDAY}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = services.days_off_add(
                school_year=school_year,
                first_day=data["first_day"],
                last_day=data["last_day"],
                kind=data["kind"],
                name=data["name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            message = ngettext(
                "%(count)s weekday was marked off.",
                "%(count)s weekdays were marked off.",
                count,
            )
            messages.success(request, message % {"count": count})
            return redirect("absence:calendar_year", school_year.pk)

    days_off = list(school_year.non_school_days.all())
    context = {
        "school_year": school_year,
        "days_off": days_off,
        "form": form,
        "school_day_count": _school_day_count(school_year, len(days_off)),
    }
    return render(request, "absence/calendar_year.html", context)


def _school_day_count(school_year: SchoolYear, days_off: int) -> int:
    full_weeks, rest = divmod(
        (school_year.last_day - school_year.first_day).days + 1, 7
    )
    weekdays = full_weeks * 5
    start_weekday = school_year.first_day.weekday()
    weekdays += sum(1 for offset in range(rest) if (start_weekday + offset) % 7 < 5)
    return weekdays - days_off


def day_off_delete(request, year_id: int, day: date):
    require_whole_school(request.user)
    school_year = get_object_or_404(
        SchoolYear, pk=year_id, school=require_school(request.user)
    )

    if request.method == "POST":
        if services.day_off_remove(school_year=school_year, day=day):
            messages.success(request, _("The day is a school day again."))

    return redirect("absence:calendar_year", school_year.pk)


def rules_edit(request):
    require_leadership(request.user)
    school = require_school(request.user)
    rules = AbsenceRules.objects.filter(school=school).first() or AbsenceRules(
        school=school
    )

    form = RulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The absence rules were saved."))
        return redirect("absence:rules")

    return render(request, "absence/rules_form.html", {"form": form})
