from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbsenceConfig(AppConfig):
    name = "absence"
    verbose_name = _("Absence")

    def ready(self):
        from django.apps import apps

        from absence.plan_sections import register_sections

        register_sections()

        # The intake's progression section shows absence since the intake when
        # some app provides the figure; this one does, if intake is installed.
        if apps.is_installed("intake"):
            from absence.progress import absence_percent_between
            from intake.progress import register_attendance_provider

            register_attendance_provider(absence_percent_between)
