from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbsenceConfig(AppConfig):
    name = "absence"
    verbose_name = _("Absence")

    def ready(self):
        from absence.plan_sections import register_sections

        register_sections()
