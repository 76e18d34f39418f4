"""One access rule per object kind. Every view fetches through these helpers.

Teachers see the pupils of their groups; coordinators and leadership see every
pupil of their own school; nobody sees another school's pupils. A user without
a staff record (a back-office superuser, say) sees no pupils outside the admin.
"""

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from schoolplan import roles, sql_rows
from schoolplan.models import (
    Entry,
    PlanExport,
    Pupil,
    PupilGroup,
    School,
    StaffMember,
)

PUPIL_NOT_FOUND = _("The pupil does not exist, or you do not have access to the pupil.")
FRONT_PAGE_DENIED = _("Only coordinators and leadership may edit the front page.")
EXPORT_DENIED = _("Only coordinators and leadership may export the plan as a PDF.")
NO_SCHOOL = _(
    "Your login is not linked to a school. Ask the school's administrator to give "
    "it a staff record."
)


def school_of(user) -> School | None:
    staff = getattr(user, "staff", None)
    return staff.school if staff is not None else None


def require_school(user) -> School:
    """Return the user's school, or raise PermissionDenied without a staff record."""
    school = school_of(user)
    if school is None:
        raise PermissionDenied(NO_SCHOOL)
    return school


def visible_groups(user) -> QuerySet[PupilGroup]:
    """Return the groups whose pupils the user may open, ordered by name."""
    if roles.role_of(user) is None:
        return PupilGroup.objects.none()

    # The user's school is joined in rather than read from `user.staff`, which
    # would cost the register page a query of its own. A user without a staff
    # record gets no groups.
    groups = PupilGroup.objects.filter(school__staff__user=user)
    if not roles.sees_whole_school(user):
        groups = groups.filter(staff=user)

    return groups.order_by("name")


# The groups `visible_groups` returns. Plain SQL, because through the ORM this
# query took longer to compile than to run, and the register reads it on every
# request. `staff_only` keeps the groups the user works with.
_VISIBLE_GROUPS_SQL = """
SELECT pupil_group.*
FROM {group_table} pupil_group
JOIN {staff_table} staff ON staff.school_id = pupil_group.school_id
WHERE staff.user_id = %(user_id)s AND (
    NOT %(staff_only)s OR pupil_group.id IN (
        SELECT link.pupilgroup_id FROM {link_table} link
        WHERE link.user_id = %(user_id)s
    )
)
ORDER BY pupil_group.name
"""


def visible_group_list(user) -> list[PupilGroup]:
    """Return the groups of `visible_groups` as a list. One query."""
    if roles.role_of(user) is None:
        return []

    sql = _VISIBLE_GROUPS_SQL.format(
        group_table=PupilGroup._meta.db_table,
        staff_table=StaffMember._meta.db_table,
        link_table=PupilGroup.staff.through._meta.db_table,
    )
    params = {"user_id": user.pk, "staff_only": not roles.sees_whole_school(user)}
    return list(PupilGroup.objects.raw(sql, params))


def visible_pupils(user) -> QuerySet[Pupil]:
    """Return the pupils the user may see; the query is not evaluated."""
    staff = getattr(user, "staff", None)
    if staff is None or roles.role_of(user) is None:
        return Pupil.objects.none()

    pupils = Pupil.objects.filter(school_id=staff.school_id)
    if not roles.sees_whole_school(user):
        pupils = pupils.filter(group__staff=user)

    return pupils


def get_pupil_for_user(user, pupil_id) -> Pupil:
    """Return the pupil, or raise Http404 so a guessed URL reveals nothing.

    The pupil comes with its school and group. One query on PostgreSQL.
    """
    if connection.vendor == "postgresql":
        pupil = _visible_pupil(user, pupil_id)
    else:
        # The ORM's converters turn SQLite's text dates into dates.
        pupil = (
            visible_pupils(user)
            .select_related("school", "group")
            .filter(pk=pupil_id)
            .first()
        )
    if pupil is None:
        raise Http404(PUPIL_NOT_FOUND)

    return pupil


# The pupil if `visible_pupils` contains it, with its school and group: one row of
# each table's columns. Every plan page request reads it, and through the ORM
# the query took longer to compile and to build than to run (cProfile of
# bench/absence_pages.py).
_VISIBLE_PUPIL_SQL = """
SELECT {pupil_columns}, {school_columns}, {group_columns}
FROM {pupil_table} pupil
JOIN {staff_table} staff ON staff.school_id = pupil.school_id
JOIN {school_table} school ON school.id = pupil.school_id
LEFT JOIN {group_table} pupil_group ON pupil_group.id = pupil.group_id
WHERE pupil.id = %(pupil_id)s AND staff.user_id = %(user_id)s AND (
    NOT %(staff_only)s OR pupil.group_id IN (
        SELECT link.pupilgroup_id FROM {link_table} link
        WHERE link.user_id = %(user_id)s
    )
)
"""


def _visible_pupil(user, pupil_id) -> Pupil | None:
    if roles.role_of(user) is None:
        return None

    sql = _VISIBLE_PUPIL_SQL.format(
        pupil_columns=sql_rows.columns(Pupil, "pupil"),
        school_columns=sql_rows.columns(School, "school"),
        group_columns=sql_rows.columns(PupilGroup, "pupil_group"),
        pupil_table=Pupil._meta.db_table,
        staff_table=StaffMember._meta.db_table,
        school_table=School._meta.db_table,
        group_table=PupilGroup._meta.db_table,
        link_table=PupilGroup.staff.through._meta.db_table,
    )
    params = {
        "pupil_id": pupil_id,
        "user_id": user.pk,
        "staff_only": not roles.sees_whole_school(user),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None

    pupil, school, group = sql_rows.instances(row, (Pupil, School, PupilGroup))
    pupil.school = school
    pupil.group = group
    return pupil


def get_entry_for_user(user, pupil_id, entry_id) -> Entry:
    pupil = get_pupil_for_user(user, pupil_id)
    entry = (
        Entry.objects.filter(pupil=pupil, pk=entry_id).select_related("author").first()
    )
    if entry is None:
        raise Http404(PUPIL_NOT_FOUND)

    return entry


def require_front_page_editor(user) -> None:
    if not roles.edits_front_page(user):
        raise PermissionDenied(FRONT_PAGE_DENIED)


def require_plan_exporter(user) -> None:
    if not roles.exports_plan(user):
        raise PermissionDenied(EXPORT_DENIED)


def get_plan_export_for_user(user, pupil_id, export_id) -> PlanExport:
    """Return a stored plan export, for coordinators and leadership only.

    Raises Http404 for another school's pupil or export, PermissionDenied for
    a teacher.
    """
    pupil = get_pupil_for_user(user, pupil_id)
    require_plan_exporter(user)

    export = (
        PlanExport.objects.filter(pupil=pupil, pk=export_id)
        .select_related("pupil", "created_by")
        .first()
    )
    if export is None:
        raise Http404(PUPIL_NOT_FOUND)

    return export
