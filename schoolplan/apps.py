from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolplanConfig(AppConfig):
    name = "schoolplan"
    verbose_name = _("School plan")

    def ready(self):
        from schoolplan.plan_sections import register_sections

        register_sections()
