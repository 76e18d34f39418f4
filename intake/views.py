"""Views of the intake interview, the follow-ups and the school's question set.

Everyone who may see the pupil's plan may read the intake and the follow-ups.
Only coordinators and leadership start, fill in, finish and amend an intake,
record follow-ups and edit the questions. A draft section is saved by a plain
form post, or by the page's autosave script, which sends the same post with an
`X-Autosave` header and gets JSON back.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from intake import forms, interview, selectors, services
from intake.models import ABSENCE_FUNCTIONS, Intake, IntakeGoal, SchoolPlacement
from schoolplan import roles
from schoolplan.access import get_pupil_for_user, school_of
from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry
from schoolplan.services import StaleEditError

EDIT_DENIED = gettext_lazy(
    "Only coordinators and leadership may fill in the intake interview."
)
INTAKE_MISSING = gettext_lazy("The pupil has no intake interview yet.")
SECTION_NOT_FOUND = gettext_lazy("The interview has no such section.")
SAVE_CONFLICT_AUTOSAVE = gettext_lazy(
    "%(who)s saved this part at %(when)s while you were writing, so autosave has "
    "stopped here. Your text is still in the form: press Save section to compare."
)
SAVE_CONFLICT = gettext_lazy(
    "%(who)s saved this part at %(when)s while you were writing. Your text is not "
    "saved; it is still in the form. Compare, then save again to keep yours."
)

FIELD_FORMS = {
    interview.MEETING.key: forms.MeetingForm,
    interview.PUPIL_VIEW.key: forms.PupilViewForm,
    interview.FAMILY_VIEW.key: forms.FamilyViewForm,
    interview.LAST_SCHOOL_ABSENCE.key: forms.LastSchoolAbsenceForm,
    interview.ABSENCE_FUNCTIONS_SECTION.key: forms.AbsenceFunctionsForm,
}


def _require_editor(user) -> None:
    if not roles.edits_front_page(user):
        raise PermissionDenied(EDIT_DENIED)


def _get_intake(user, pupil_id: int) -> Intake:
    """Return the pupil's intake if the user may see the pupil, else raise 404."""
    pupil = get_pupil_for_user(user, pupil_id)
    intake = selectors.intake_for_pupil(pupil)
    if intake is None:
        raise Http404(INTAKE_MISSING)
    return intake


def _get_editable_intake(user, pupil_id: int) -> Intake:
    intake = _get_intake(user, pupil_id)
    _require_editor(user)
    return intake


def _wants_json(request) -> bool:
    return request.headers.get("X-Autosave") == "1"


def _edit_url(intake: Intake, anchor: str = "") -> str:
    url = reverse("intake:intake_edit", args=[intake.pupil_id])
    return f"{url}#{anchor}" if anchor else url


def _conflict_message(current, template=SAVE_CONFLICT) -> str:
    who = current.updated_by.get_full_name() if current.updated_by else "?"
    when = formats.time_format(timezone.localtime(current.updated_at), "H:i")
    return template % {"who": who, "when": when}


def _error_list(form) -> list[str]:
    """Return the form's errors as "label: message" lines for the status line."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            lines.append(f"{label}: {error}" if label else str(error))
    return lines


def _autosave_reply(*, version: int, form=None, status: int = 200, **extra):
    errors = _error_list(form) if form is not None else []
    payload = {
        "status": "invalid" if errors else "saved",
        "version": version,
        "saved_at": formats.time_format(timezone.localtime(), "H:i"),
        "errors": errors,
    } | extra
    return JsonResponse(payload, status=status)


def _conflict_reply(current, version: int):
    return JsonResponse(
        {
            "status": "conflict",
            "version": version,
            "message": _conflict_message(current, SAVE_CONFLICT_AUTOSAVE),
        },
        status=409,
    )


def _locked_reply():
    return JsonResponse(
        {"status": "locked", "message": str(services.INTAKE_LOCKED)}, status=409
    )


def _with_version(form, version: int):
    """Return a copy of the form's data whose loaded version is `version`."""
    data = form.data.copy()
    data[form.add_prefix("loaded_version")] = str(version)
    return data


# Reading ---------------------------------------------------------------------


def intake_detail(request, pupil_id: int):
    """Show the interview read-only, laid out for printing as well."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    intake = selectors.intake_for_pupil(pupil)

    record_access(
        request.user,
        AccessLogEntry.Action.VIEW,
        pupil=pupil,
        what=_("intake interview"),
    )

    context = {"pupil": pupil, "intake": intake, "today": timezone.localdate()}
    if intake is not None:
        context |= {
            "rows": {
                key: interview.display_rows(intake, section.fields, section.long_fields)
                for key, section in interview.FIELD_SECTIONS.items()
            },
            "functions": [
                (
                    label,
                    interview.display_value(intake, f"{stem}_rating"),
                    getattr(intake, f"{stem}_reason"),
                )
                for stem, label in ABSENCE_FUNCTIONS
            ],
            "baseline": selectors.answered_questions(intake.baseline),
            "follow_ups": selectors.follow_ups(pupil),
            "section_titles": interview.SECTION_TITLES,
        }
    return render(request, "intake/detail.html", context)


# Drafting --------------------------------------------------------------------


@require_POST
def intake_start(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    _require_editor(request.user)

    intake = services.intake_start(pupil=pupil, user=request.user)

    return redirect(_edit_url(intake))


def _field_form(key: str, intake: Intake, data=None):
    form_class = FIELD_FORMS[key]
    kwargs = {"pupil": intake.pupil} if key == interview.MEETING.key else {}
    return form_class(
        data,
        instance=intake,
        prefix=key,
        initial={"loaded_version": intake.section_version(key)},
        **kwargs,
    )


def _scores_form(intake: Intake, data=None):
    questions = selectors.questions_of(intake.baseline.question_set)
    initial = {
        f"q{question_id}": score
        for question_id, score in selectors.scores_of(intake.baseline).items()
    }
    initial["loaded_version"] = intake.section_version(interview.SCALES)
    return forms.BaselineScoresForm(
        data, questions=questions, prefix=interview.SCALES, initial=initial
    )


def _row_form(form_class, row, data=None):
    prefix = f"{row._meta.model_name}-{row.pk}"
    return form_class(
        data, instance=row, prefix=prefix, initial={"loaded_version": row.version}
    )


def _edit_page(request, intake: Intake, *, bound=None, conflicts=None, status=200):
    """Render the draft with every section's form; `bound` replaces some of them.

    `bound` maps a section key (or a row's form prefix) to a form that failed,
    so its typed values and errors are shown; `conflicts` maps the same keys
    to the rows as someone else saved them.
    """
    bound = bound or {}
    conflicts = conflicts or {}
    sections = {}
    for key in interview.FIELD_SECTIONS:
        sections[key] = bound.get(key) or _field_form(key, intake)
    scores_form = bound.get(interview.SCALES) or _scores_form(intake)

    placements = []
    for placement in intake.placements.all():
        form = _row_form(forms.PlacementForm, placement)
        form = bound.get(form.prefix) or form
        form.conflict = conflicts.get(form.prefix)
        placements.append(form)
    goals = []
    for goal in intake.first_goals.all():
        form = _row_form(forms.IntakeGoalForm, goal)
        form = bound.get(form.prefix) or form
        form.conflict = conflicts.get(form.prefix)
        goals.append(form)

    context = {
        "pupil": intake.pupil,
        "intake": intake,
        "forms": sections,
        "scores_form": scores_form,
        "placement_forms": placements,
        "goal_forms": goals,
        "conflicts": conflicts,
        "section_titles": interview.SECTION_TITLES,
        "question_set": intake.baseline.question_set,
    }
    return render(request, "intake/edit.html", context, status=status)


def intake_edit(request, pupil_id: int):
    intake = _get_editable_intake(request.user, pupil_id)
    if intake.is_finished:
        messages.info(request, services.INTAKE_LOCKED)
        return redirect("intake:intake_detail", intake.pupil_id)

    record_access(
        request.user,
        AccessLogEntry.Action.VIEW,
        pupil=intake.pupil,
        what=_("intake interview"),
    )

    return _edit_page(request, intake)


@require_POST
def intake_section_save(request, pupil_id: int, section: str):
    intake = _get_editable_intake(request.user, pupil_id)
    if section == interview.SCALES:
        return _save_scores(request, intake)
    if section not in interview.FIELD_SECTIONS:
        raise Http404(SECTION_NOT_FOUND)

    form = _field_form(section, intake, request.POST)
    form.is_valid()
    if "loaded_version" in form.errors:
        return redirect(_edit_url(intake, section))

    try:
        saved = services.intake_section_save(
            intake=intake,
            section=section,
            values=form.valid_values(),
            expected_version=form.cleaned_data["loaded_version"],
            user=request.user,
        )
    except StaleEditError as error:
        return _save_conflict(request, error.current, section, form)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    return _save_done(request, saved, section, form, saved.section_version(section))


def _save_scores(request, intake: Intake):
    form = _scores_form(intake, request.POST)
    form.is_valid()
    if "loaded_version" in form.errors:
        return redirect(_edit_url(intake, interview.SCALES))

    try:
        saved = services.baseline_scores_save(
            intake=intake,
            scores=form.scores(),
            expected_version=form.cleaned_data["loaded_version"],
            user=request.user,
        )
    except StaleEditError as error:
        return _save_conflict(request, error.current, interview.SCALES, form)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    version = saved.section_version(interview.SCALES)
    return _save_done(request, saved, interview.SCALES, form, version)


def _save_done(request, intake: Intake, key: str, form, version: int):
    """Reply to a successful, possibly partial, save of one part of the draft."""
    if _wants_json(request):
        return _autosave_reply(version=version, form=form)

    if form.errors:
        fresh = selectors.intake_for_pupil(intake.pupil)
        rebound = type(form)(_with_version(form, version), **_form_kwargs(fresh, form))
        rebound.is_valid()
        return _edit_page(request, fresh, bound={key: rebound}, status=400)

    title = interview.SECTION_TITLES.get(key)
    if title is None:
        messages.success(request, _("Saved."))
    else:
        messages.success(request, _("Saved: %(section)s.") % {"section": title})
    return redirect(_edit_url(intake, key))


def _form_kwargs(intake: Intake, form) -> dict:
    """Return what rebuilding `form` for the fresh intake needs besides data."""
    if isinstance(form, forms.BaselineScoresForm):
        return {
            "questions": selectors.questions_of(intake.baseline.question_set),
            "prefix": form.prefix,
        }
    if isinstance(form, forms.MeetingForm):
        return {"instance": intake, "prefix": form.prefix, "pupil": intake.pupil}
    if isinstance(form, forms.PlacementForm | forms.IntakeGoalForm):
        row = type(form.instance).objects.get(pk=form.instance.pk)
        return {"instance": row, "prefix": form.prefix}
    return {"instance": intake, "prefix": form.prefix}


def _save_conflict(request, current, key: str, form):
    """Keep the typed values and show what the other person saved."""
    version = (
        current.section_version(key) if isinstance(current, Intake) else current.version
    )
    if _wants_json(request):
        return _conflict_reply(current, version)

    intake_id = current.pk if isinstance(current, Intake) else current.intake_id
    fresh = selectors.intake_for_pupil(Intake.objects.get(pk=intake_id).pupil)
    rebound = type(form)(_with_version(form, version), **_form_kwargs(fresh, form))
    rebound.is_valid()
    conflict = {
        "message": _conflict_message(current),
        "rows": _current_rows(current, key),
    }
    return _edit_page(
        request, fresh, bound={key: rebound}, conflicts={key: conflict}, status=409
    )


def _current_rows(current, key: str):
    if key == interview.SCALES:
        return [
            interview.DisplayRow(
                answered.question.text,
                interview.EMPTY if answered.score is None else str(answered.score),
                False,
            )
            for answered in selectors.answered_questions(current.baseline)
        ]
    if isinstance(current, SchoolPlacement):
        return interview.display_rows(current, interview.PLACEMENT_FIELDS)
    if isinstance(current, IntakeGoal):
        return interview.display_rows(current, interview.GOAL_FIELDS)
    section = interview.FIELD_SECTIONS[key]
    return interview.display_rows(current, section.fields, section.long_fields)


def _save_refused(request, intake: Intake, error: ValidationError):
    """Report a save rejected because the draft was finished meanwhile."""
    if _wants_json(request):
        return _locked_reply()
    for message in error.messages:
        messages.error(request, message)
    return redirect("intake:intake_detail", intake.pupil_id)


@require_POST
def placement_add(request, pupil_id: int):
    intake = _get_editable_intake(request.user, pupil_id)

    try:
        placement = services.placement_add(intake=intake, user=request.user)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    return redirect(_edit_url(intake, f"schoolplacement-{placement.pk}"))


@require_POST
def goal_add(request, pupil_id: int):
    intake = _get_editable_intake(request.user, pupil_id)

    try:
        goal = services.goal_add(intake=intake, user=request.user)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    return redirect(_edit_url(intake, f"intakegoal-{goal.pk}"))


def _save_row(request, intake: Intake, row, form_class, save):
    form = _row_form(form_class, row, request.POST)
    form.is_valid()
    if "loaded_version" in form.errors:
        return redirect(_edit_url(intake, form.prefix))

    try:
        saved = save(
            values=form.valid_values(),
            expected_version=form.cleaned_data["loaded_version"],
            user=request.user,
        )
    except StaleEditError as error:
        return _save_conflict(request, error.current, form.prefix, form)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    return _save_done(request, intake, form.prefix, form, saved.version)


@require_POST
def placement_save(request, pupil_id: int, placement_id: int):
    intake = _get_editable_intake(request.user, pupil_id)
    placement = get_object_or_404(SchoolPlacement, intake=intake, pk=placement_id)

    def save(**kwargs):
        return services.placement_save(placement=placement, **kwargs)

    return _save_row(request, intake, placement, forms.PlacementForm, save)


@require_POST
def goal_save(request, pupil_id: int, first_goal_id: int):
    intake = _get_editable_intake(request.user, pupil_id)
    goal = get_object_or_404(IntakeGoal, intake=intake, pk=first_goal_id)

    def save(**kwargs):
        return services.goal_save(goal=goal, **kwargs)

    return _save_row(request, intake, goal, forms.IntakeGoalForm, save)


@require_POST
def placement_remove(request, pupil_id: int, placement_id: int):
    intake = _get_editable_intake(request.user, pupil_id)
    placement = get_object_or_404(SchoolPlacement, intake=intake, pk=placement_id)

    try:
        services.placement_remove(placement=placement, user=request.user)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    messages.success(request, _("The school was removed from the history."))
    return redirect(_edit_url(intake, interview.PLACEMENTS))


@require_POST
def goal_remove(request, pupil_id: int, first_goal_id: int):
    intake = _get_editable_intake(request.user, pupil_id)
    goal = get_object_or_404(IntakeGoal, intake=intake, pk=first_goal_id)

    try:
        services.goal_remove(goal=goal, user=request.user)
    except ValidationError as error:
        return _save_refused(request, intake, error)

    messages.success(request, _("The goal was removed."))
    return redirect(_edit_url(intake, interview.GOALS))


# Finishing and amending ------------------------------------------------------


def intake_finish(request, pupil_id: int):
    intake = _get_editable_intake(request.user, pupil_id)
    if intake.is_finished:
        messages.info(request, services.INTAKE_LOCKED)
        return redirect("intake:intake_detail", intake.pupil_id)

    problems = services.finish_problems(intake)
    if request.method == "POST" and not problems:
        try:
            goals = services.intake_finish(intake=intake, user=request.user)
        except services.FinishError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                _(
                    "The intake interview is finished and locked. %(count)s goals were "
                    "added to the front page."
                )
                % {"count": len(goals)},
            )
            return redirect("schoolplan:plan", intake.pupil_id)

    context = {
        "pupil": intake.pupil,
        "intake": intake,
        "problems": problems,
        "goals": [goal for goal in intake.first_goals.all() if not goal.is_blank],
        "empty_sections": _empty_sections(intake),
    }
    return render(
        request,
        "intake/finish.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _is_blank(value) -> bool:
    return value is None or value == ""


def _empty_sections(intake: Intake) -> list[str]:
    """Return the titles of the optional sections that are still empty.

    Tick boxes and the list of parents are left out, since unticked is a value.
    """
    empty = []
    for section in interview.FIELD_SECTIONS.values():
        values = [
            getattr(intake, name)
            for name in section.fields
            if not Intake._meta.get_field(name).many_to_many
        ]
        if all(_is_blank(value) for value in values if not isinstance(value, bool)):
            empty.append(str(section.title))
    if all(placement.is_blank for placement in intake.placements.all()):
        empty.append(str(interview.SECTION_TITLES[interview.PLACEMENTS]))
    return empty


def _get_finished_intake(user, pupil_id: int) -> Intake:
    intake = _get_editable_intake(user, pupil_id)
    if not intake.is_finished:
        raise Http404(services.INTAKE_NOT_FINISHED)
    return intake


def intake_amend(request, pupil_id: int, section: str):
    intake = _get_finished_intake(request.user, pupil_id)
    if section != interview.SCALES and section not in interview.FIELD_SECTIONS:
        raise Http404(SECTION_NOT_FOUND)

    data = request.POST if request.method == "POST" else None
    if section == interview.SCALES:
        form = _scores_form(intake, data)
    else:
        form = _field_form(section, intake, data)
    form.fields["loaded_version"].required = False
    reason_form = forms.AmendmentReasonForm(data)

    if request.method == "POST" and form.is_valid() and reason_form.is_valid():
        reason = reason_form.cleaned_data["reason"]
        try:
            if section == interview.SCALES:
                services.baseline_scores_amend(
                    intake=intake,
                    scores=form.scores(),
                    reason=reason,
                    user=request.user,
                )
            else:
                services.intake_amend(
                    intake=intake,
                    section=section,
                    values=form.valid_values(),
                    reason=reason,
                    user=request.user,
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The change was saved as an amendment."))
            return redirect(
                reverse("intake:intake_detail", args=[intake.pupil_id]) + "#amendments"
            )

    context = {
        "pupil": intake.pupil,
        "intake": intake,
        "form": form,
        "reason_form": reason_form,
        "title": interview.SECTION_TITLES[section],
        "section": section,
    }
    return render(request, "intake/amend.html", context)


def placement_amend(request, pupil_id: int, placement_id: int | None = None):
    intake = _get_finished_intake(request.user, pupil_id)
    placement = None
    if placement_id is not None:
        placement = get_object_or_404(SchoolPlacement, intake=intake, pk=placement_id)

    data = request.POST if request.method == "POST" else None
    form = forms.PlacementForm(
        data, instance=placement or SchoolPlacement(intake=intake), prefix="placement"
    )
    form.fields["loaded_version"].required = False
    reason_form = forms.AmendmentReasonForm(data)

    if request.method == "POST" and form.is_valid() and reason_form.is_valid():
        try:
            services.placement_amend(
                intake=intake,
                placement=placement,
                values=form.valid_values(),
                reason=reason_form.cleaned_data["reason"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The change was saved as an amendment."))
            return redirect(
                reverse("intake:intake_detail", args=[intake.pupil_id]) + "#amendments"
            )

    context = {
        "pupil": intake.pupil,
        "intake": intake,
        "form": form,
        "reason_form": reason_form,
        "title": interview.SECTION_TITLES[interview.PLACEMENTS],
        "section": interview.PLACEMENTS,
    }
    return render(request, "intake/amend.html", context)


# Follow-ups and questions ----------------------------------------------------


def follow_up_create(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    _require_editor(request.user)
    intake = selectors.intake_for_pupil(pupil)
    if intake is None or not intake.is_finished:
        messages.info(request, services.FOLLOW_UP_NEEDS_INTAKE)
        return redirect("intake:intake_detail", pupil.pk)

    question_set = services.current_question_set(pupil.school)
    form = forms.FollowUpForm(
        request.POST or None,
        questions=selectors.questions_of(question_set),
        intake_date=intake.held_on,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_create(
                pupil=pupil,
                user=request.user,
                taken_on=form.cleaned_data["taken_on"],
                note=form.cleaned_data["note"],
                scores=form.scores(),
                question_set=question_set,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The follow-up was saved."))
            return redirect(
                reverse("schoolplan:plan", args=[pupil.pk]) + "#section-progression"
            )

    context = {"pupil": pupil, "intake": intake, "form": form}
    return render(request, "intake/follow_up_form.html", context)


def _question_initial(question_set) -> list[dict]:
    return [
        {
            "text": question.text,
            "low_label": question.low_label,
            "high_label": question.high_label,
            "higher_is_better": question.higher_is_better,
            "previous_id": question.pk,
            "ORDER": position,
        }
        for position, question in enumerate(selectors.questions_of(question_set), 1)
    ]


def _question_specs(formset) -> list[services.QuestionSpec]:
    kept = [
        form
        for form in formset.ordered_forms
        if form.cleaned_data.get("text", "").strip()
    ]
    return [
        services.QuestionSpec(
            text=form.cleaned_data["text"],
            low_label=form.cleaned_data["low_label"],
            high_label=form.cleaned_data["high_label"],
            higher_is_better=form.cleaned_data["higher_is_better"],
            previous_id=form.cleaned_data.get("previous_id"),
        )
        for form in kept
    ]


def question_set_edit(request):
    _require_editor(request.user)
    school = school_of(request.user)
    if school is None:
        raise PermissionDenied(EDIT_DENIED)

    current = services.current_question_set(school)
    formset = forms.QuestionFormSet(
        request.POST or None, initial=_question_initial(current), prefix="questions"
    )
    version_form = forms.QuestionSetVersionForm(
        request.POST or None, initial={"loaded_version": current.version}
    )
    conflict = None
    if request.method == "POST" and formset.is_valid() and version_form.is_valid():
        try:
            saved = services.question_set_revise(
                school=school,
                user=request.user,
                questions=_question_specs(formset),
                expected_version=version_form.cleaned_data["loaded_version"],
            )
        except StaleEditError as error:
            conflict = error.current
            version_form = forms.QuestionSetVersionForm(
                {"loaded_version": conflict.version}
            )
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            if saved.pk == current.pk:
                messages.info(request, _("Nothing was changed."))
            else:
                messages.success(
                    request,
                    _("Version %(version)s of the questions was saved.")
                    % {"version": saved.version},
                )
            return redirect("intake:question_set_edit")

    context = {
        "formset": formset,
        "version_form": version_form,
        "question_set": current,
        "questions": selectors.questions_of(current),
        "conflict": conflict,
        "versions": school.question_sets.select_related("created_by"),
    }
    return render(request, "intake/question_set_form.html", context)
