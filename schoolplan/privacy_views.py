"""Leadership's pages for data protection: a pupil's access log and data export."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schoolplan import roles
from schoolplan.access import get_pupil_for_user
from schoolplan.audit import record_access
from schoolplan.models import AccessLogEntry
from schoolplan.privacy import export_pupil_zip

LEADERSHIP_ONLY = _("Only leadership may see this page.")
ROWS_PER_PAGE = 100
DATA_EXPORT = _("data export for a request for access (ZIP)")


def _require_leadership(user) -> None:
    if not roles.is_leadership(user):
        raise PermissionDenied(LEADERSHIP_ONLY)


def pupil_access_log(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    _require_leadership(request.user)

    rows = AccessLogEntry.objects.filter(pupil=pupil).select_related("user")
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        page_number = 1
    page = Paginator(rows, ROWS_PER_PAGE).get_page(page_number)

    context = {"pupil": pupil, "page": page}
    return render(request, "schoolplan/access_log.html", context)


def pupil_data_export(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    _require_leadership(request.user)

    if request.method != "POST":
        return render(request, "schoolplan/data_export.html", {"pupil": pupil})

    data = export_pupil_zip(pupil)
    record_access(
        request.user,
        AccessLogEntry.Action.EXPORT,
        pupil=pupil,
        what=str(DATA_EXPORT),
    )

    filename = f"indsigt-elev-{pupil.pk}-{timezone.localdate():%Y-%m-%d}.zip"
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
