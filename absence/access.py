"""Who may use which absence page; pupils are fetched through `schoolplan.access`.

Teachers register the groups they work with. Coordinators and leadership may
open every group of their school, the dashboard and the school calendar. Only
leadership changes the absence rules.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from schoolplan import roles
from schoolplan.access import visible_groups
from schoolplan.models import PupilGroup

GROUP_NOT_FOUND = _("The group does not exist, or you do not work with it.")
WHOLE_SCHOOL_ONLY = _("Only coordinators and leadership may open this page.")
LEADERSHIP_ONLY = _("Only leadership may change the absence rules.")


def get_group_for_user(user, group_id, *, visible=None) -> PupilGroup:
    """Return the group if the user may open it, else raise Http404.

    `visible` is the list of the user's `visible_groups` if the caller has
    fetched it already. The group is then looked up in it without a query.
    """
    if visible is None:
        group = visible_groups(user).filter(pk=group_id).first()
    else:
        group = next((group for group in visible if group.pk == group_id), None)
    if group is None:
        raise Http404(GROUP_NOT_FOUND)

    return group


def require_whole_school(user) -> None:
    if not roles.sees_whole_school(user):
        raise PermissionDenied(WHOLE_SCHOOL_ONLY)


def require_leadership(user) -> None:
    if not roles.is_leadership(user):
        raise PermissionDenied(LEADERSHIP_ONLY)
