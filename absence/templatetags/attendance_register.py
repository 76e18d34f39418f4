"""The pupil rows of the attendance register, rendered in Python.

Teachers open the register every morning. Built from template tags and
filters, each pupil's row took about 1.3 ms to render (cProfile of
bench/absence_pages.py on a 2-core machine). Here the labels and the radio
buttons' markup are prepared once per language, and each row is one
`format_html` call on the patterns below.
"""

import functools
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from absence.forms import RegisterRowForm
from absence.models import Registration, Status
from absence.templatetags.absence_tags import clock, staff_name

register = template.Library()

# One pupil's row. format_html escapes every field it fills in.
_ROW = (
    '<li class="card shadow-sm mb-3 register-row{missing}" id="pupil-{pk}" '
    'data-register-row><div class="card-body">'
    '<div class="d-flex flex-wrap align-items-center gap-2 mb-2">'
    '<h2 class="h5 mb-0 pupil-name" id="name-{pk}"><bdi>{name}</bdi></h2>'
    '<span class="badge text-bg-light border">{grade}</span>{saved}'
    '<a class="ms-auto btn btn-sm btn-outline-success" '
    'href="{success_url}{success_query}">★ {success}</a></div>'
    "{conflicts}{errors}"
    '<div class="d-flex flex-wrap align-items-end gap-3">'
    '<fieldset><legend class="visually-hidden">{legend}</legend>'
    '<div class="status-buttons" data-status-group>{status_buttons}</div></fieldset>'
    '<div data-show-for="late">'
    '<label class="form-label small mb-0" for="{arrived_id}">{arrived_label}</label>'
    '<input type="time" class="form-control" name="{arrived_name}" '
    'id="{arrived_id}" value="{arrived_at}"></div></div>{arrived_errors}'
    '<div class="row g-2 mt-1 align-items-end register-details">{last_lesson}'
    '<div class="col-sm-5 col-lg-4" data-show-for="illness permitted unlawful">'
    '<label class="form-label small mb-0" for="{channel_id}">{channel_label}</label>'
    '<select class="form-select" name="{channel_name}" id="{channel_id}">'
    "{channel_options}</select></div>"
    '<div class="col"><label class="visually-hidden" for="{note_id}">{note_label}'
    '</label><input type="text" class="form-control" name="{note_name}" '
    'id="{note_id}" value="{note}" maxlength="500" placeholder="{note_label}">'
    "</div></div>"
    '<input type="hidden" name="{version_name}" value="{version}">{history}'
    "</div></li>"
)

# The last lesson's controls, for grades 7-10.
_LAST_LESSON = (
    '<fieldset class="col-auto last-lesson" '
    'data-hide-for="awaiting illness permitted unlawful">'
    '<legend class="form-label small mb-0 float-none">{legend}</legend>'
    '<div class="d-flex flex-wrap align-items-center gap-2">'
    '<div class="status-buttons" data-last-group>{status_buttons}</div>'
    '<div data-show-for-last="left_early">'
    '<label class="visually-hidden" for="{left_id}">{left_label}</label>'
    '<input type="time" class="form-control" name="{left_name}" id="{left_id}" '
    'value="{left_at}"></div></div>{left_errors}'
    '<input type="hidden" name="{version_name}" value="{version}"></fieldset>'
)

# The row's error list leaves out these fields: the time fields show their
# errors beside the control, and a damaged version gets a row error of its own.
_ERRORS_BESIDE_CONTROL = frozenset({"arrived_at", "left_at", "version", "last_version"})
_CLOCK = "%H:%M"


@register.simple_tag
def pupil_rows(rows, *, day, register_url, kept_input_ids) -> SafeString:
    """Render the register's rows, each a (RegisterRow, row form, conflicts) triple.

    `kept_input_ids` are the registrations of a conflict whose input the form
    kept because the user had changed them.
    """
    renderer = RowRenderer(
        day=day, register_url=register_url, kept_input_ids=kept_input_ids
    )
    return mark_safe("".join([renderer.render(*row) for row in rows]))


@register.simple_tag
def awaiting_links(awaiting, *, register_url) -> SafeString:
    """Render list items that link to recording the reason for each absence.

    `awaiting` contains `selectors.AwaitingAbsence` records.
    """
    next_query = "?next=" + quote(register_url, safe="/")
    return format_html_join(
        "",
        '<li class="mb-1"><a href="{}{}"><bdi>{} {}</bdi></a> · {}.{}.{}</li>',
        (
            (
                reverse("absence:reason_record", args=[absence.pk]),
                next_query,
                absence.first_name,
                absence.last_name,
                absence.day.day,
                absence.day.month,
                absence.day.year,
            )
            for absence in awaiting
        ),
    )


class _PageTexts:
    """The register's labels, messages and choice markup in one language."""

    def __init__(self):
        self.notations = _escaped_labels(Registration.Notation.choices)
        self.statuses = _escaped_labels(Status.choices)
        self.labels = {
            name: conditional_escape(field.label)
            for name, field in RegisterRowForm.base_fields.items()
        }

        # Messages with values, filled in by _interpolate.
        self.messages = {
            "grade": gettext("grade %(grade)s"),
            "saved_by": gettext("saved by %(who)s at %(when)s"),
            "saved_now": gettext(
                "Saved now by %(who)s at %(when)s: %(notation)s, %(status)s."
            ),
            "morning": gettext("Morning, %(name)s"),
        }

        # Texts without values, escaped as `{% translate %}` outputs them.
        self.texts = {
            "not_registered": conditional_escape(gettext("Not registered")),
            "success": conditional_escape(gettext("Success")),
            "kept": conditional_escape(gettext("Your choice is still in the form.")),
            "replaced": conditional_escape(
                gettext(
                    "You had not changed this, so the form now shows what is saved."
                )
            ),
            "last_lesson": conditional_escape(gettext("Last lesson")),
        }

        self.morning_buttons = _ChoiceMarkup(
            RegisterRowForm.base_fields["status"].choices,
            _radio_pattern("btn btn-status"),
            mark=" checked",
        )
        self.last_lesson_buttons = _ChoiceMarkup(
            RegisterRowForm.base_fields["last_status"].choices,
            _radio_pattern("btn btn-status btn-status-small"),
            mark=" checked",
        )
        self.channel_options = _ChoiceMarkup(
            RegisterRowForm.base_fields["reason_channel"].choices,
            '<option value="{value}"{{mark}}>{label}</option>',
            mark=" selected",
        )


@functools.cache
def _page_texts(language: str) -> _PageTexts:
    """Return the register's texts in `language`, which must be the active one.

    They are built once per language and process: translations do not change
    while the server runs.
    """
    return _PageTexts()


class RowRenderer:
    """Render pupil rows of one register page in the active language."""

    def __init__(self, *, day, register_url: str, kept_input_ids):
        self.kept_input_ids = kept_input_ids
        self.success_query = format_html(
            "?day={}&amp;next={}", day.isoformat(), quote(register_url, safe="/")
        )
        page_texts = _page_texts(get_language())
        self.notations = page_texts.notations
        self.statuses = page_texts.statuses
        self.labels = page_texts.labels
        self.messages = page_texts.messages
        self.texts = page_texts.texts
        self.morning_buttons = page_texts.morning_buttons
        self.last_lesson_buttons = page_texts.last_lesson_buttons
        self.channel_options = page_texts.channel_options

    def render(self, row, form, conflicts) -> SafeString:
        pupil = row.pupil
        arrived_name, arrived_id = _name_and_id(form, "arrived_at")
        channel_name, channel_id = _name_and_id(form, "reason_channel")
        note_name, note_id = _name_and_id(form, "note")
        return format_html(
            _ROW,
            missing="" if row.morning else " is-missing",
            pk=pupil.pk,
            name=pupil.full_name,
            grade=_interpolate(self.messages["grade"], grade=pupil.grade),
            saved=self._saved(row.morning),
            success_url=reverse("absence:success_create", args=[pupil.pk]),
            success_query=self.success_query,
            success=self.texts["success"],
            conflicts=self._conflicts(conflicts) if conflicts else "",
            errors=self._errors(form) if form.errors else "",
            legend=_interpolate(self.messages["morning"], name=pupil.full_name),
            status_buttons=self.morning_buttons.render(form["status"]),
            arrived_label=self.labels["arrived_at"],
            arrived_name=arrived_name,
            arrived_id=arrived_id,
            arrived_at=clock(form["arrived_at"].value()),
            arrived_errors=_errors_of(form, "arrived_at"),
            last_lesson=self._last_lesson(form) if row.has_last_lesson else "",
            channel_label=self.labels["reason_channel"],
            channel_name=channel_name,
            channel_id=channel_id,
            channel_options=self.channel_options.render(form["reason_channel"]),
            note_label=self.labels["note"],
            note_name=note_name,
            note_id=note_id,
            note=form["note"].value() or "",
            version_name=form.add_prefix("version"),
            version=form["version"].value() or 0,
            history=self._history(row.history) if row.history else "",
        )

    def _saved(self, morning) -> SafeString:
        if morning is None:
            return format_html(
                '<span class="badge text-bg-warning register-missing">{}</span>',
                self.texts["not_registered"],
            )
        return format_html(
            '<span class="small text-body-secondary">{}</span>',
            _interpolate(
                self.messages["saved_by"],
                who=morning.updated_by_name,
                when=_local_clock(morning.updated_at),
            ),
        )

    def _last_lesson(self, form) -> SafeString:
        left_name, left_id = _name_and_id(form, "left_at")
        return format_html(
            _LAST_LESSON,
            legend=self.texts["last_lesson"],
            status_buttons=self.last_lesson_buttons.render(form["last_status"]),
            left_label=self.labels["left_at"],
            left_name=left_name,
            left_id=left_id,
            left_at=clock(form["left_at"].value()),
            left_errors=_errors_of(form, "left_at"),
            version_name=form.add_prefix("last_version"),
            version=form["last_version"].value() or 0,
        )

    def _conflicts(self, conflicts) -> SafeString:
        return format_html_join(
            "",
            '<div class="alert alert-warning py-2 small mb-2 conflict-current">'
            "{}{} {}</div>",
            (
                (
                    _interpolate(
                        self.messages["saved_now"],
                        who=staff_name(registration.updated_by),
                        when=_local_clock(registration.updated_at),
                        notation=self._notation(registration.notation),
                        status=self._status(registration.status),
                    ),
                    _times_and_note(
                        registration.arrived_at,
                        registration.left_at,
                        registration.note,
                    ),
                    self.texts["kept"]
                    if registration.pk in self.kept_input_ids
                    else self.texts["replaced"],
                )
                for registration in conflicts
            ),
        )

    def _errors(self, form) -> SafeString:
        parts = []
        row_errors = form.non_field_errors()
        if row_errors:
            parts.append(
                format_html('<div class="text-danger small">{}</div>', row_errors)
            )
        for name in form.fields:
            errors = form.errors.get(name)
            if errors and name not in _ERRORS_BESIDE_CONTROL:
                parts.append(
                    format_html(
                        '<div class="text-danger small register-row-error">'
                        "{}: {}</div>",
                        self.labels[name],
                        mark_safe(" ".join(conditional_escape(e) for e in errors)),
                    )
                )
        return mark_safe("".join(parts))

    def _history(self, history: list) -> SafeString:
        summary = ngettext(
            "Changed: %(counter)s version",
            "Changed: %(counter)s versions",
            len(history),
        )
        return format_html(
            '<details class="mt-2 small register-history"><summary>{}</summary>'
            '<ul class="mb-0 mt-1">{}</ul></details>',
            _interpolate(summary, counter=len(history)),
            format_html_join(
                "",
                "<li>{} · {}: {}, {}{}</li>",
                (
                    (
                        _history_date(record.history_date),
                        record.history_user_name,
                        self._notation(record.notation),
                        self._status(record.status),
                        _times_and_note(
                            record.arrived_at,
                            record.left_at,
                            record.note,
                            note_prefix=" ·",
                        ),
                    )
                    for record in history
                ),
            ),
        )

    def _notation(self, value: str) -> str:
        return self.notations.get(value, value)

    def _status(self, value: str) -> str:
        return self.statuses.get(value, value)


class _ChoiceMarkup:
    """The markup of a choice field's radio inputs or options, escaped once per page.

    `pattern` is formatted once per choice with its escaped `index`, `value` and
    `label`. Each row then fills in the doubled-brace fields: the field's `name`
    and `id`, and `mark` on the current choice.
    """

    def __init__(self, choices, pattern: str, *, mark: str):
        self.mark = mark
        self.fragments = [
            (
                value,
                pattern.format(
                    index=index,
                    value=_format_literal(value),
                    label=_format_literal(label),
                ),
            )
            for index, (value, label) in enumerate(choices)
        ]

    def render(self, field) -> SafeString:
        current = field.value()
        name = conditional_escape(field.html_name)
        auto_id = conditional_escape(field.auto_id)
        return mark_safe(
            "".join(
                [
                    fragment.format(
                        name=name,
                        id=auto_id,
                        mark=self.mark if value == current else "",
                    )
                    for value, fragment in self.fragments
                ]
            )
        )


def _radio_pattern(button_class: str) -> str:
    """Return the `_ChoiceMarkup` pattern of radio inputs styled as toggle buttons."""
    return (
        '<input type="radio" class="btn-check" autocomplete="off" name="{{name}}" '
        'id="{{id}}_{index}" value="{value}"{{mark}}>'
        '<label class="' + button_class + ' status-{value}" for="{{id}}_{index}">'
        "{label}</label>"
    )


def _interpolate(message: str, **values) -> SafeString:
    """Fill a translated message with escaped values, as `{% blocktranslate %}` does."""
    return mark_safe(
        message % {key: conditional_escape(v) for key, v in values.items()}
    )


def _escaped_labels(choices) -> dict[str, SafeString]:
    return {value: conditional_escape(label) for value, label in choices}


def _format_literal(value) -> str:
    """Escape a value for HTML and for a later `str.format`."""
    return str(conditional_escape(value)).replace("{", "{{").replace("}", "}}")


def _name_and_id(form, field_name: str) -> tuple[str, str]:
    """Return a field's HTML name and id, as its BoundField has them."""
    html_name = form.add_prefix(field_name)
    return html_name, form.auto_id % html_name


def _errors_of(form, field_name: str) -> SafeString:
    return format_html_join(
        "",
        '<div class="text-danger small">{}</div>',
        ((error,) for error in form.errors.get(field_name, ())),
    )


def _local_clock(moment) -> str:
    return timezone.localtime(moment).strftime(_CLOCK)


def _history_date(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.day}.{local.month}. {local.strftime(_CLOCK)}"


def _times_and_note(arrived_at, left_at, note, *, note_prefix: str = "") -> SafeString:
    """Return the arrival and leaving times and the quoted note, each after a space."""
    text = ""
    if arrived_at:
        text += " " + arrived_at.strftime(_CLOCK)
    if left_at:
        text += " " + left_at.strftime(_CLOCK)
    if note:
        # <bdi> keeps a bidi control or RTL text in the note from reordering
        # the text after it.
        return format_html("{}{} “<bdi>{}</bdi>”", text, note_prefix, note)
    return mark_safe(text)
