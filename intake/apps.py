from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake interview")

    def ready(self):
        from intake.plan_sections import register_sections

        register_sections()
