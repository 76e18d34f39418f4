"""Views of the school plan: the pupil list, the plan page, the log and the front page.

Every view fetches the pupil through `schoolplan.access`, which decides who may
see what; no view repeats the rule.
"""

import hashlib
from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from schoolplan import exports, plan_cache, roles, selectors, services
from schoolplan.access import (
    get_entry_for_user,
    get_pupil_for_user,
    require_front_page_editor,
    visible_groups,
)
from schoolplan.audit import record_access
from schoolplan.forms import (
    AmendmentForm,
    ChallengeForm,
    EntryForm,
    FrontPageForm,
    GoalForm,
    GoalReviewForm,
    LogFilterForm,
    StrikeForm,
)
from schoolplan.models import AccessLogEntry, Challenge, Goal
from schoolplan.sections import Audience, school_year_of, sections_for

ENTRIES_PER_PAGE = 25
PLAN_EXPORTS_SHOWN = 5
PUPILS_PER_PAGE = 50


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def pupil_list(request):
    # PostgreSQL rejects NUL in text, so it is dropped rather than sent along.
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    groups = visible_groups(request.user)
    try:
        group_id = int(request.GET["group"])
    except (KeyError, ValueError):
        group_id = None

    pupils = selectors.pupil_list(request.user, search=search, group_id=group_id)
    page = Paginator(pupils, PUPILS_PER_PAGE).get_page(_page_number(request))

    if search:
        record_access(
            request.user,
            AccessLogEntry.Action.SEARCH,
            what=_("search by name: %(text)s") % {"text": search},
        )

    query = request.GET.copy()
    query.pop("page", None)

    context = {
        "page": page,
        "filter_query": query.urlencode(),
        "search": search,
        "groups": groups,
        "group_id": group_id,
        "today": timezone.localdate(),
    }
    return render(request, "schoolplan/pupil_list.html", context)


# The plan page's cached parts: each piece's name and its template.
FRONT_TEMPLATES = {
    "header": "schoolplan/_plan_header.html",
    "exports": "schoolplan/_plan_exports.html",
    "entry_card": "schoolplan/_plan_entry_card.html",
}
SECTION_TEMPLATE = "schoolplan/_plan_section.html"
LOG_TEMPLATES = {
    "count": "schoolplan/_plan_log_count.html",
    "entries": "schoolplan/_plan_log_entries.html",
}
FILTER_CARD_TEMPLATE = "schoolplan/_plan_filter_card.html"
LEADERSHIP_MENU_TEMPLATE = "schoolplan/_plan_leadership_menu.html"
ENTRY_TEMPLATE = "schoolplan/entry.html"


def _front_parts(request, pupil, today, sections) -> dict:
    """Return the front page's cached parts, named by the versions they hold.

    The header, the PDFs sent, the entry form and the sections cached under the
    front version form one part. Each other set of versions that sections name
    (the absence figures) forms a part of its own.
    """
    by_versions = {(plan_cache.FRONT,): []}
    for section in sections:
        by_versions.setdefault(section.versions, []).append(section)

    return {
        ",".join(versions): plan_cache.Part(
            key=plan_cache.front_key(request, pupil, today, versions),
            versions=versions,
            build=partial(
                _front_pieces,
                request,
                pupil,
                today,
                group,
                with_page=versions == (plan_cache.FRONT,),
            ),
        )
        for versions, group in by_versions.items()
    }


def _front_pieces(request, pupil, today, sections, *, with_page: bool) -> dict:
    context = {
        "pupil": pupil,
        # The front part is cached whatever the query string, so its forms
        # return to the plain plan page, not to the first visitor's URL.
        "flag_next_url": reverse("schoolplan:plan", args=[pupil.pk])
        + "#section-absence",
        "today": today,
    }
    period = school_year_of(today)
    pieces = {
        f"section-{section.key}": (
            SECTION_TEMPLATE,
            {
                **context,
                "section": section,
                "section_context": section.get_context(
                    pupil, period, Audience.INTERNAL
                ),
            },
        )
        for section in sections
    }
    if not with_page:
        return pieces

    context |= {
        "entry_form": EntryForm(pupil=pupil),
        "plan_exports": (
            exports.exports_for(pupil)[:PLAN_EXPORTS_SHOWN]
            if roles.exports_plan(request.user)
            else None
        ),
    }
    return pieces | {
        name: (template, context) for name, template in FRONT_TEMPLATES.items()
    }


def _log_pieces(request, pupil, today) -> dict:
    authors = list(selectors.log_authors(pupil))
    # The form is built here only to filter; the filter card may come from
    # the cache and then needs no form.
    filter_form = LogFilterForm(request.GET, authors=authors) if request.GET else None
    log_filter = selectors.LogFilter()
    if filter_form is not None and filter_form.is_valid():
        data = filter_form.cleaned_data
        log_filter = selectors.LogFilter(
            kind=data["kind"],
            area_id=data["area"].pk if data["area"] else None,
            author_id=data["author"] or None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )

    if log_filter.is_active:
        entries = selectors.log_entry_rows(pupil, log_filter)
    else:
        # Every entry has one author, so their counts add up to the whole log
        # and save a COUNT query.
        entries = selectors.UnfilteredLog(
            pupil, sum(author.entry_count for author in authors)
        )
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(_page_number(request))
    # The authors were read already; a card needs only those of its entry.
    authors_by_id = {author.pk: author for author in authors}
    for entry in page:
        if entry.author_id in authors_by_id:
            entry.author = authors_by_id[entry.author_id]

    query = request.GET.copy()
    query.pop("page", None)
    filter_query = query.urlencode()

    context = {
        "pupil": pupil,
        "page": page,
        "filter_form": filter_form,
        "log_filter": log_filter,
        "filter_query": filter_query,
        "today": today,
    }
    reusable = _reusable_log_pieces(request, pupil, today, context, authors)
    context["cards"] = [reusable[entry.pk] for entry in page if entry.pk in reusable]

    return {
        **{name: (template, context) for name, template in LOG_TEMPLATES.items()},
        "filter_card": reusable["filter_card"],
    }


def _reusable_log_pieces(request, pupil, today, context, authors) -> dict:
    """Return the filter card and the page's entry cards, rendering only misses.

    Each piece's key contains everything its HTML shows, so the pieces are shared
    by every viewer whose links are the same (see plan_cache.cached_log_pieces).
    """
    language = get_language()
    page = context["page"]
    filter_inputs = repr(
        (
            [
                (author.pk, author.get_full_name(), author.get_username())
                for author in authors
            ],
            selectors.area_rows(),
            context["filter_form"] is not None,
            context["filter_query"],
        )
    )
    keys = {
        "filter_card": (
            f"filter:{language}:{hashlib.sha256(filter_inputs.encode()).hexdigest()}"
        )
    }
    for entry in page:
        entry.correctable = services.entry_is_correctable(entry, request.user, today)
        entry.amendable = not entry.is_struck and services.may_amend(
            entry, request.user
        )
        keys[entry.pk] = (
            f"entry:{entry.pk}:{entry.version}:{language}:"
            f"{entry.correctable:d}{entry.amendable:d}"
        )

    def render(names) -> dict:
        rendered = {}
        if "filter_card" in names:
            form = context["filter_form"] or LogFilterForm(authors=authors)
            rendered["filter_card"] = render_to_string(
                FILTER_CARD_TEMPLATE, {**context, "filter_form": form}
            )
        entries = [entry for entry in page if entry.pk in names]
        selectors.prefetch_log_details(entries)
        for entry in entries:
            # Rendered without the request, so that nothing of the viewer but
            # the two links in the key can enter a card that others are shown.
            rendered[entry.pk] = render_to_string(ENTRY_TEMPLATE, {"entry": entry})
        return rendered

    return plan_cache.cached_log_pieces(pupil, keys, render)


def plan(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    today = timezone.localdate()

    record_access(
        request.user, AccessLogEntry.Action.VIEW, pupil=pupil, what=_("school plan")
    )

    # Each part is rendered only when the cache lacks it (see plan_cache.py).
    sections = sections_for(Audience.INTERNAL, front_page_only=True)
    parts = _front_parts(request, pupil, today, sections)
    parts["log"] = plan_cache.Part(
        key=plan_cache.log_key(request, pupil, today),
        versions=(plan_cache.LOG,),
        build=lambda: _log_pieces(request, pupil, today),
    )
    pieces = plan_cache.cached_parts(request, pupil, parts)

    log = pieces.pop("log")
    front = {name: html for part in pieces.values() for name, html in part.items()}
    menu = (
        render_to_string(LEADERSHIP_MENU_TEMPLATE, {"pupil": pupil}, request)
        if roles.is_leadership(request.user)
        else ""
    )
    # The header and the menu are rendered by our own templates.
    front["header"] = mark_safe(
        front["header"].replace(plan_cache.LEADERSHIP_MENU_MARKER, menu, 1)
    )
    context = {
        "pupil": pupil,
        "front": front,
        "sections": [front[f"section-{section.key}"] for section in sections],
        "log": log,
    }
    return render(request, "schoolplan/plan.html", context)


def entry_create(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)

    form = EntryForm(request.POST or None, pupil=pupil)
    form.fields["text"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = services.entry_create(
            pupil=pupil,
            author=request.user,
            kind=data["kind"],
            text=data["text"],
            concerns_date=data["concerns_date"],
            areas=data["areas"],
            goal=data["goal"],
            shared_with_parents=data["shared_with_parents"],
            shared_with_caseworker=data["shared_with_caseworker"],
            shared_with_municipality=data["shared_with_municipality"],
        )
        messages.success(request, _("The entry was saved."))
        return redirect(
            reverse("schoolplan:plan", args=[pupil.pk]) + f"#entry-{entry.pk}"
        )

    return render(request, "schoolplan/entry_form.html", {"pupil": pupil, "form": form})


def entry_edit(request, pupil_id: int, entry_id: int):
    entry = get_entry_for_user(request.user, pupil_id, entry_id)
    pupil = entry.pupil
    if not services.entry_is_correctable(entry, request.user):
        if entry.author_id != request.user.pk:
            messages.info(request, services.CORRECTION_NOT_AUTHOR)
        else:
            messages.info(request, services.CORRECTION_DAY_PASSED)
        return redirect("schoolplan:entry_amend", pupil.pk, entry.pk)

    form = EntryForm(request.POST or None, instance=entry, pupil=pupil)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        areas = data.pop("areas")
        try:
            services.entry_correct(entry=entry, user=request.user, areas=areas, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The entry was corrected."))
            return redirect(
                reverse("schoolplan:plan", args=[pupil.pk]) + f"#entry-{entry.pk}"
            )

    context = {"pupil": pupil, "form": form, "entry": entry}
    return render(request, "schoolplan/entry_form.html", context)


def _require_may_amend(request, entry) -> None:
    if not services.may_amend(entry, request.user):
        raise PermissionDenied(services.AMEND_NOT_ALLOWED)


def entry_amend(request, pupil_id: int, entry_id: int):
    entry = get_entry_for_user(request.user, pupil_id, entry_id)
    _require_may_amend(request, entry)

    form = AmendmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_amend(
                entry=entry, author=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The amendment was saved."))
            return redirect(
                reverse("schoolplan:plan", args=[entry.pupil_id]) + f"#entry-{entry.pk}"
            )

    context = {"pupil": entry.pupil, "entry": entry, "form": form}
    return render(request, "schoolplan/entry_amend.html", context)


def entry_strike(request, pupil_id: int, entry_id: int):
    entry = get_entry_for_user(request.user, pupil_id, entry_id)
    _require_may_amend(request, entry)

    form = StrikeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_strike(
                entry=entry, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The entry was struck through."))
            return redirect(
                reverse("schoolplan:plan", args=[entry.pupil_id]) + f"#entry-{entry.pk}"
            )

    context = {"pupil": entry.pupil, "entry": entry, "form": form}
    return render(request, "schoolplan/entry_strike.html", context)


def front_page_edit(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_front_page_editor(request.user)

    current = selectors.front_page(pupil)
    conflict = None
    if request.method == "POST":
        form = FrontPageForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.front_page_save(
                    pupil=pupil,
                    user=request.user,
                    overview=data["overview"],
                    resources=data["resources"],
                    expected_version=data["loaded_version"],
                )
            except services.StaleEditError as error:
                conflict = error.current
                form = _rebind_with_version(form, conflict.version)
            else:
                messages.success(request, _("The front page was saved."))
                return redirect("schoolplan:plan", pupil.pk)
    else:
        form = FrontPageForm(
            initial={
                "overview": current.overview,
                "resources": current.resources,
                "loaded_version": current.version,
            }
        )

    context = {
        "pupil": pupil,
        "form": form,
        "conflict": conflict,
        "all_challenges": Challenge.objects.filter(pupil=pupil).select_related("area"),
        "all_goals": selectors.goals_with_reviews(pupil, current_only=False),
    }
    return render(request, "schoolplan/front_page_form.html", context)


def _rebind_with_version(form, version: int):
    """Return the form with the user's text and the version now saved.

    Saving again then means "I have seen the other version and mine wins".
    """
    data = form.data.copy()
    data["loaded_version"] = str(version)
    return FrontPageForm(data)


def _versioned_edit(
    request, pupil, *, form_class, instance, template, form_kwargs=None
):
    """Create or edit a versioned row (challenge, goal) with the lost-update check."""
    form_kwargs = form_kwargs or {}
    form = form_class(request.POST or None, instance=instance, **form_kwargs)
    conflict = None

    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        row.pupil = pupil
        try:
            if row.pk is None:
                services.versioned_create(row, user=request.user)
            else:
                services.versioned_update(
                    row,
                    expected_version=form.cleaned_data["loaded_version"],
                    user=request.user,
                )
        except services.StaleEditError as error:
            conflict = error.current
            data = request.POST.copy()
            data["loaded_version"] = str(conflict.version)
            form = form_class(
                data, instance=type(instance).objects.get(pk=instance.pk), **form_kwargs
            )
            form.is_valid()
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("schoolplan:plan", pupil.pk)

    context = {"pupil": pupil, "form": form, "conflict": conflict, "object": instance}
    return render(request, template, context)


def _get_pupil_row(model: type[Model], pupil, row_id):
    return get_object_or_404(model, pupil=pupil, pk=row_id)


def challenge_edit(request, pupil_id: int, challenge_id: int | None = None):
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_front_page_editor(request.user)

    if challenge_id is None:
        challenge = Challenge(pupil=pupil)
    else:
        challenge = _get_pupil_row(Challenge, pupil, challenge_id)

    return _versioned_edit(
        request,
        pupil,
        form_class=ChallengeForm,
        instance=challenge,
        template="schoolplan/challenge_form.html",
    )


def goal_edit(request, pupil_id: int, goal_id: int | None = None):
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_front_page_editor(request.user)

    goal = (
        Goal(pupil=pupil) if goal_id is None else _get_pupil_row(Goal, pupil, goal_id)
    )

    return _versioned_edit(
        request,
        pupil,
        form_class=GoalForm,
        instance=goal,
        template="schoolplan/goal_form.html",
        form_kwargs={"pupil": pupil},
    )


def goal_review_create(request, pupil_id: int, goal_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_front_page_editor(request.user)
    goal = _get_pupil_row(Goal, pupil, goal_id)

    form = GoalReviewForm(request.POST or None, goal=goal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.goal_review_create(
            goal=goal,
            author=request.user,
            text=data["text"],
            status=data["status"],
            reviewed_on=data["reviewed_on"],
            entries=data["entries"],
        )
        messages.success(request, _("The review was saved."))
        return redirect("schoolplan:plan", pupil.pk)

    context = {"pupil": pupil, "goal": goal, "form": form}
    return render(request, "schoolplan/goal_review_form.html", context)
