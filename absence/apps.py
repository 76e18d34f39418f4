from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbsenceConfig(AppConfig):
    name = "absence"
    verbose_name = _("Absence")

    def ready(self):
        from django.apps import apps

        from absence.plan_sections import register_sections

        register_sections()

        from django.db.models.signals import post_save

        from schoolplan.models import Entry

        post_save.connect(
            _entry_saved, sender=Entry, dispatch_uid="absence_success_follows_entry"
        )

        # The intake's progression section shows absence since the intake when
        # some app provides the figure; this one does, if intake is installed.
        if apps.is_installed("intake"):
            from absence.progress import absence_percent_between
            from intake.progress import register_attendance_provider

            register_attendance_provider(absence_percent_between)


def _entry_saved(sender, instance, created, **kwargs):
    # A success's entry is created by the success service, which sets the text
    # on both; only a later correction needs copying back.
    if not created and instance.kind == instance.Kind.SUCCESS:
        from absence.services import success_follow_entry

        success_follow_entry(instance)
