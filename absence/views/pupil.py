"""A pupil's absence: overview, successes, outreach contacts, steps and statement."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from absence import figures, selectors, services
from absence.access import require_whole_school
from absence.forms import OutreachForm, StepDoneForm, SuccessForm
from absence.models import DueStepDone, OutreachContact, Registration
from absence.views.helpers import safe_next_url
from schoolplan.access import get_pupil_for_user
from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry
from schoolplan.sections import Period

OUTREACH_SHOWN_DAYS = 365

STEP_FORM_INVALID = gettext_lazy(
    "The step could not be marked done. Reload the page and try again."
)


def pupil_absence(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    today = timezone.localdate()
    period = selectors.school_year_period(pupil.school_id, today)

    summary = selectors.absence_summary(pupil, period, today)
    since = today - timedelta(days=OUTREACH_SHOWN_DAYS)
    contacts, outreach_total, outreach_per_kind = selectors.pupil_outreach(
        pupil, today, since=since
    )

    record_access(
        request.user, AccessLogEntry.Action.VIEW, pupil=pupil, what=_("absence")
    )
    context = {
        "pupil": pupil,
        "summary": summary,
        "contacts": contacts,
        "outreach_total": outreach_total,
        "outreach_per_kind": outreach_per_kind,
        "outreach_form": OutreachForm(school=pupil.school, user=request.user),
        "awaiting": list(
            selectors.awaiting_reasons(school=pupil.school, pupil_ids=[pupil.pk])
        ),
        "success_section": {
            "pupil": pupil,
            "summary": selectors.success_summary(pupil, period, today),
        },
        "kind_labels": dict(OutreachContact.Kind.choices),
    }
    return render(request, "absence/pupil.html", context)


def success_create(request, pupil_id: int):
    """Show and save the quick form for a success, opened from the plan or register."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    default_next = reverse("schoolplan:plan", args=[pupil.pk])

    initial = {}
    try:
        initial["day"] = min(
            date.fromisoformat(request.GET.get("day", "")), timezone.localdate()
        )
    except ValueError:
        initial["day"] = timezone.localdate()

    form = SuccessForm(request.POST or None, pupil=pupil, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.success_create(
                pupil=pupil,
                user=request.user,
                day=data["day"],
                area=data["area"],
                pattern=data["pattern"],
                what_happened=data["what_happened"],
                goal=data["goal"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The success was recorded for %(name)s.")
                % {"name": pupil.first_name},
            )
            return redirect(safe_next_url(request, default_next))

    context = {
        "pupil": pupil,
        "form": form,
        "next": safe_next_url(request, default_next),
    }
    return render(request, "absence/success_form.html", context)


def outreach_create(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)

    form = OutreachForm(request.POST or None, school=pupil.school, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.outreach_create(
                pupil=pupil,
                user=request.user,
                contacted_at=data["contacted_at"],
                kind=data["kind"],
                staff=data["staff"],
                outcome=data["outcome"],
                note=data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The contact was recorded."))
            return redirect(reverse("absence:pupil", args=[pupil.pk]) + "#outreach")

    return render(request, "absence/outreach_form.html", {"pupil": pupil, "form": form})


def step_done(request, pupil_id: int):
    """Mark the step a flag called for as done (POST only)."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_whole_school(request.user)
    default_next = reverse("absence:pupil", args=[pupil.pk])
    if request.method != "POST":
        return redirect(default_next)

    form = StepDoneForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.step_mark_done(
                pupil=pupil,
                user=request.user,
                kind=data["kind"],
                period_start=data["period_start"],
                note=data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The step was marked done."))
    elif "note" in form.errors:
        messages.error(request, " ".join(form.errors["note"]))
    else:
        messages.error(request, STEP_FORM_INVALID)

    return redirect(safe_next_url(request, default_next))


def statement(request, pupil_id: int, day: date):
    """Show the statement of a pupil's absence in a calendar quarter (fraværsopgørelse).

    The school leader attaches it when notifying the municipality.
    """
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_whole_school(request.user)
    today = timezone.localdate()
    start = figures.quarter_start(day)
    end = figures.quarter_end(day)

    rules = figures.rules_for(pupil.school_id)
    quarter = figures.pupil_figures(
        rules, pupil.pk, start=start, end=end, today=today
    ).period
    days = figures.absence_days(rules, pupil.pk, start=start, end=end, today=today)
    labels = dict(Registration._meta.get_field("status").choices)
    labels["missing"] = _("Not registered")
    channels = dict(Registration.Channel.choices)
    for row in days:
        row["counted_label"] = labels.get(row["counted_as"], row["counted_as"])
        row["status_label"] = labels.get(row["status"], "")
        row["channel_label"] = channels.get(row["reason_channel"], "")

    record_access(
        request.user,
        AccessLogEntry.Action.VIEW,
        pupil=pupil,
        what=_("absence statement from %(day)s") % {"day": start.isoformat()},
    )
    context = {
        "pupil": pupil,
        "school": pupil.school,
        "period": Period(start, end),
        "measured_to": min(end, today),
        "figures": quarter,
        "days": days,
        "rules": rules,
        "today": today,
        "previous_quarter": figures.previous_quarter_start(start),
        "next_quarter": end + timedelta(days=1) if end < today else None,
        "notify_kind": DueStepDone.Kind.NOTIFY,
    }
    return render(request, "absence/statement.html", context)
