from datetime import date

from django.urls import path, register_converter

from absence.dates import in_supported_range
from absence.views import pupil, register, school


class IsoDateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        # A ValueError makes the URL not match, so the user gets a 404.
        day = date.fromisoformat(value)
        if not in_supported_range(day):
            raise ValueError(f"date out of range: {value}")
        return day

    def to_url(self, value: date) -> str:
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "absence"

urlpatterns = [
    path("", register.register_index, name="register_index"),
    path("hold/<int:group_id>/", register.register, name="register"),
    path("afventer/", register.awaiting, name="awaiting"),
    path(
        "registrering/<int:registration_id>/aarsag/",
        register.reason_record,
        name="reason_record",
    ),
    path("elev/<int:pupil_id>/", pupil.pupil_absence, name="pupil"),
    path("elev/<int:pupil_id>/succes/ny/", pupil.success_create, name="success_create"),
    path(
        "elev/<int:pupil_id>/kontakt/ny/", pupil.outreach_create, name="outreach_create"
    ),
    path("elev/<int:pupil_id>/trin/", pupil.step_done, name="step_done"),
    path(
        "elev/<int:pupil_id>/opgoerelse/<isodate:day>/",
        pupil.statement,
        name="statement",
    ),
    path("ledelse/", school.dashboard, name="dashboard"),
    path("ledelse/fravaer.csv", school.export_csv, name="export_csv"),
    path("kalender/", school.calendar_list, name="calendar"),
    path("kalender/<int:year_id>/", school.calendar_year, name="calendar_year"),
    path(
        "kalender/<int:year_id>/fridag/<isodate:day>/slet/",
        school.day_off_delete,
        name="day_off_delete",
    ),
    path("regler/", school.rules_edit, name="rules"),
]
