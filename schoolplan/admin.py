from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from schoolplan.models import (
    AccessLogEntry,
    Entry,
    Guardian,
    Pupil,
    PupilGroup,
    School,
    StaffMember,
)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "leader_name", "phone"]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "school", "title"]
    list_filter = ["school"]
    search_fields = ["user__first_name", "user__last_name", "user__username"]
    autocomplete_fields = ["user"]


@admin.register(PupilGroup)
class PupilGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "school"]
    list_filter = ["school"]
    filter_horizontal = ["staff"]


class GuardianInline(admin.TabularInline):
    model = Guardian
    extra = 0


@admin.register(Pupil)
class PupilAdmin(SimpleHistoryAdmin):
    list_display = [
        "full_name",
        "group",
        "grade",
        "start_date",
        "leaving_date",
        "school",
    ]
    list_filter = ["school", "group", "grade"]
    search_fields = ["first_name", "last_name"]
    inlines = [GuardianInline]
    list_select_related = ["group", "school"]

    def has_delete_permission(self, request, obj=None):
        # A pupil's records go only through `manage.py apply_retention`, which
        # also removes the history and stored files and logs the deletion.
        return False


@admin.register(Entry)
class EntryAdmin(SimpleHistoryAdmin):
    """Read-only: entries are written and struck through in the application."""

    list_display = ["pupil", "concerns_date", "kind", "author", "struck_at"]
    list_filter = ["kind"]
    list_select_related = ["pupil", "author"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "pupil", "action", "what"]
    list_filter = ["action"]
    list_select_related = ["user", "pupil"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    """Users are deactivated, never deleted: entries and the audit trail name them."""

    def has_delete_permission(self, request, obj=None):
        return False
