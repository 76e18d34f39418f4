"""The three staff roles, each an auth group created by a data migration."""

from django.utils.translation import gettext_lazy as _

# Group names are stored data: the migration that creates the groups uses these
# exact strings, so renaming one needs a migration too.
TEACHER = "Lærer"
COORDINATOR = "Skolekoordinator"
LEADERSHIP = "Ledelse"

ROLE_GROUPS = (TEACHER, COORDINATOR, LEADERSHIP)

ROLE_LABELS = {
    TEACHER: _("Teacher"),
    COORDINATOR: _("Coordinator"),
    LEADERSHIP: _("Leadership"),
}


def role_of(user) -> str | None:
    """Return the user's role, the widest one if the user has several.

    The result is cached on the user object for the request.
    """
    if not user.is_authenticated:
        return None

    if not hasattr(user, "_skoleplan_role"):
        names = {group.name for group in user.groups.all()}
        user._skoleplan_role = next(
            (role for role in (LEADERSHIP, COORDINATOR, TEACHER) if role in names), None
        )

    return user._skoleplan_role


def sees_whole_school(user) -> bool:
    return role_of(user) in (COORDINATOR, LEADERSHIP)


def edits_front_page(user) -> bool:
    return role_of(user) in (COORDINATOR, LEADERSHIP)


def exports_plan(user) -> bool:
    """Whether the user may export plan PDFs and reopen those already sent."""
    return role_of(user) in (COORDINATOR, LEADERSHIP)


def is_leadership(user) -> bool:
    return role_of(user) == LEADERSHIP
