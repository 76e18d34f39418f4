"""The plan as a PDF: the export page with its preview, and the PDFs already sent.

Coordinators and leadership export; teachers get 403. Every view fetches the
pupil through `schoolplan.access` first, so another school's pupil is a 404.
"""

import base64
from urllib.parse import urlencode

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from schoolplan import documents, exports
from schoolplan.access import (
    get_plan_export_for_user,
    get_pupil_for_user,
    require_plan_exporter,
)
from schoolplan.audit import record_access
from schoolplan.forms import PlanExportForm
from schoolplan.models import AccessLogEntry
from schoolplan.sections import Audience, sections_for


def _pdf_response(data: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = exports.attachment_header(file_name)
    # The file contains personal data about a child, so no cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


def _bound_form(query) -> PlanExportForm:
    """Bind the form to the query, with defaults for the fields it leaves empty."""
    data = PlanExportForm.initial_data(timezone.localdate())
    for name in PlanExportForm.base_fields:
        if query.get(name):
            data[name] = query[name]
    return PlanExportForm(data)


def _audience_contents() -> list[tuple[str, str, list[str]]]:
    """Return each audience with the titles of the sections it receives."""
    return [
        (value, label, [str(section.title) for section in sections_for(value)])
        for value, label in Audience.choices
    ]


def plan_export(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_plan_exporter(request.user)

    status = 200
    if request.method == "POST":
        form = PlanExportForm(request.POST)
        if form.is_valid():
            try:
                export = exports.plan_export_create(
                    pupil=pupil,
                    audience=form.cleaned_data["audience"],
                    period=form.period,
                    user=request.user,
                )
                data = exports.read_stored_pdf(export)
            except (documents.PdfRenderError, ValidationError) as error:
                messages.error(request, " ".join(_messages_of(error)))
                status = 503
            else:
                return _pdf_response(data, export.file_name)
    else:
        form = _bound_form(request.GET)

    record_access(
        request.user,
        AccessLogEntry.Action.VIEW,
        pupil=pupil,
        what=_("plan export page"),
    )

    preview_query = audience_label = ""
    if form.is_valid():
        audience_label = Audience(form.cleaned_data["audience"]).label
        preview_query = urlencode(
            {
                "audience": form.cleaned_data["audience"],
                "date_from": form.cleaned_data["date_from"].isoformat(),
                "date_to": form.cleaned_data["date_to"].isoformat(),
            }
        )

    context = {
        "pupil": pupil,
        "form": form,
        "preview_query": preview_query,
        "audience_label": audience_label,
        "audience_contents": _audience_contents(),
        "plan_exports": exports.exports_for(pupil),
    }
    return render(request, "schoolplan/plan_export.html", context, status=status)


def _messages_of(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error)]


@require_GET
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
def plan_export_preview(request, pupil_id: int):
    """Return the HTML the PDF would be rendered from, for the export page's frame."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    require_plan_exporter(request.user)

    form = _bound_form(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest()
    audience = form.cleaned_data["audience"]

    record_access(
        request.user,
        AccessLogEntry.Action.VIEW,
        pupil=pupil,
        what=_("plan PDF preview for %(audience)s")
        % {"audience": Audience(audience).label},
    )

    html = documents.render_plan_html(
        pupil,
        form.period,
        audience,
        made_by=request.user,
        made_at=timezone.now(),
        reference=None,
        logo_url=_logo_data_url(pupil.school),
    )
    return HttpResponse(html)


def _logo_data_url(school) -> str | None:
    """Return the logo as a data: URL; the browser cannot reach the PDF's copy."""
    logo = documents.logo_attachment(school)
    if logo is None:
        return None

    encoded = base64.b64encode(logo.data).decode("ascii")
    return f"data:{logo.content_type};base64,{encoded}"


@require_GET
def plan_export_download(request, pupil_id: int, export_id: int):
    """Hand out a PDF exactly as it was sent, after checking its checksum."""
    export = get_plan_export_for_user(request.user, pupil_id, export_id)

    try:
        data = exports.read_stored_pdf(export)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("schoolplan:plan_export", args=[export.pupil_id]))

    record_access(
        request.user,
        AccessLogEntry.Action.EXPORT,
        pupil=export.pupil,
        what=_("plan PDF %(id)s downloaded again") % {"id": export.pk},
    )
    return _pdf_response(data, export.file_name)
