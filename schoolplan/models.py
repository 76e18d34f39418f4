"""The pupil, the staff's access to the pupil, the running log and the front page."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from schoolplan.sections import Audience
from schoolplan.storage import private_storage


class School(models.Model):
    """A school; every pupil and every staff member belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    leader_name = models.CharField(_("school leader"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    logo = models.ImageField(_("logo for the PDF"), upload_to="logos/", blank=True)
    require_two_factor_for_leadership = models.BooleanField(
        _("leadership must use two-factor login"),
        default=False,
        help_text=_("Leadership must set up and use a code app (TOTP) to log in."),
    )

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self):
        return self.name


class StaffMember(models.Model):
    """Ties a login to its school. The role comes from the user's auth groups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("user"),
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="staff", verbose_name=_("school")
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class PupilGroup(models.Model):
    """A group (hold) of usually 4-10 pupils and the staff who work with it."""

    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="groups",
        verbose_name=_("school"),
    )
    name = models.CharField(_("name"), max_length=100)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="pupil_groups",
        verbose_name=_("staff"),
    )

    class Meta:
        verbose_name = pgettext_lazy("pupil group", "group")
        verbose_name_plural = pgettext_lazy("pupil group", "groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="unique_group_name")
        ]

    def __str__(self):
        return self.name


class Area(models.Model):
    """One of the domains that municipal status reports use.

    The rows are created by a data migration; the label is translated from the
    code, so the catalogue, not the database, holds the Danish wording.
    """

    class Code(models.TextChoices):
        ATTENDANCE = "attendance", _("Attendance")
        LEARNING = "learning", _("School and learning")
        SOCIAL = "social", _("Friends and leisure")
        EMOTIONAL = "emotional", _("Emotional and behavioural development")
        HEALTH = "health", _("Health")
        FAMILY = "family", _("Family and network")

    code = models.CharField(_("code"), max_length=20, choices=Code.choices, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["position", "id"]

    def __str__(self):
        return str(self.get_code_display())


class Pupil(models.Model):
    """A pupil (elev). Identified by name and date of birth, never by CPR number."""

    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        related_name="pupils",
        verbose_name=_("school"),
    )
    group = models.ForeignKey(
        PupilGroup,
        on_delete=models.PROTECT,
        related_name="pupils",
        null=True,
        blank=True,
        verbose_name=pgettext_lazy("pupil group", "group"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    grade = models.PositiveSmallIntegerField(
        _("grade level"),
        choices=[(level, str(level)) for level in range(0, 11)],
        help_text=_("Grade level 0-10 (klassetrin)."),
    )
    start_date = models.DateField(_("start date"))
    leaving_date = models.DateField(_("leaving date"), null=True, blank=True)
    contact_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_pupils",
        verbose_name=_("contact teacher"),
    )
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    caseworker_name = models.CharField(_("caseworker"), max_length=200, blank=True)
    caseworker_phone = models.CharField(
        _("caseworker's phone"), max_length=40, blank=True
    )
    caseworker_email = models.EmailField(_("caseworker's e-mail"), blank=True)
    ppr_contact = models.CharField(_("PPR contact"), max_length=200, blank=True)
    # Raised by PostgreSQL triggers whenever a row of the plan page's front part,
    # its absence figures or its log changes. The cache keys of those parts hold
    # them; see plan_cache.py.
    front_version = models.PositiveBigIntegerField(default=0, editable=False)
    absence_version = models.PositiveBigIntegerField(default=0, editable=False)
    log_version = models.PositiveBigIntegerField(default=0, editable=False)

    history = HistoricalRecords(
        excluded_fields=["front_version", "absence_version", "log_version"]
    )

    class Meta:
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")
        ordering = ["first_name", "last_name"]
        indexes = [models.Index(fields=["school", "first_name", "last_name"])]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Guardian(models.Model):
    """A parent or other guardian of a pupil."""

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="guardians",
        verbose_name=_("pupil"),
    )
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(
        _("relation"),
        max_length=60,
        help_text=_("For example mother, father, foster parent."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    may_receive_plan = models.BooleanField(_("may receive the plan"), default=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.relation})"


class VersionedModel(models.Model):
    """A row that several people may edit; `version` detects a lost update.

    Services save such a row only if its version is still the one the editor
    loaded (see `schoolplan.services.save_versioned`).
    """

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        abstract = True


class FrontPage(VersionedModel):
    """The written overview and the pupil's resources at the top of the plan."""

    pupil = models.OneToOneField(
        Pupil,
        on_delete=models.CASCADE,
        related_name="front_page",
        verbose_name=_("pupil"),
    )
    overview = models.TextField(_("overview"), blank=True)
    resources = models.TextField(
        _("resources"),
        blank=True,
        help_text=_("What the pupil is good at and what supports the pupil."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("front page")
        verbose_name_plural = _("front pages")

    def __str__(self):
        return str(self.pupil)


class Challenge(VersionedModel):
    """A challenge (udfordring) on the front page."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IMPROVING = "improving", _("Improving")
        RESOLVED = "resolved", _("Resolved")

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="challenges",
        verbose_name=_("pupil"),
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("area"))
    description = models.TextField(_("description"))
    since = models.DateField(_("since"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["area__position", "pk"]

    def __str__(self):
        return self.description[:60]


class Goal(VersionedModel):
    """A goal (mål) or, with a parent, a sub-goal (delmål)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ACHIEVED = "achieved", _("Achieved")
        ADJUSTED = "adjusted", _("Adjusted")
        CLOSED = "closed", _("Closed")

    pupil = models.ForeignKey(
        Pupil, on_delete=models.CASCADE, related_name="goals", verbose_name=_("pupil")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sub_goals",
        verbose_name=_("parent goal"),
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("area"))
    title = models.CharField(_("goal"), max_length=300)
    success_criteria = models.TextField(_("what success looks like"), blank=True)
    actions = models.TextField(_("actions"), blank=True)
    responsible = models.CharField(_("responsible"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    review_date = models.DateField(_("review date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["review_date", "pk"]

    def __str__(self):
        return self.title


class Entry(models.Model):
    """A dated note in the pupil's running log.

    An entry is never deleted. On the day it was written its author may correct
    it (the history keeps the earlier text); after that a change is an
    `Amendment`, and a mistaken entry is struck through with a reason.
    """

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily note")
        PARENT_CONTACT = "parent_contact", _("Parent contact")
        MEETING = "meeting", _("Meeting")
        STATUS_NOTE = "status_note", _("Status note")
        ACTION = "action", _("Action plan")
        PUPIL_CONVERSATION = "pupil_conversation", _("Pupil conversation")
        OBSERVATION = "observation", _("Observation")
        SUCCESS = "success", _("Success")

    pupil = models.ForeignKey(
        Pupil, on_delete=models.CASCADE, related_name="entries", verbose_name=_("pupil")
    )
    concerns_date = models.DateField(_("date"), default=timezone.localdate)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    edited_at = models.DateTimeField(_("corrected"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    text = models.TextField(_("text"))
    areas = models.ManyToManyField(Area, blank=True, verbose_name=_("areas"))
    goal = models.ForeignKey(
        Goal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("goal"),
    )
    shared_with_parents = models.BooleanField(_("parents"), default=False)
    shared_with_caseworker = models.BooleanField(_("caseworker"), default=False)
    shared_with_municipality = models.BooleanField(
        _("municipality and PPR"), default=False
    )
    struck_at = models.DateTimeField(_("struck through"), null=True, blank=True)
    struck_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("struck through by"),
    )
    strike_reason = models.TextField(_("reason for striking through"), blank=True)
    # Raised by PostgreSQL triggers whenever the entry, its areas, its
    # amendments or its goal change. The log caches each entry's card under it;
    # see plan_cache.py.
    version = models.PositiveBigIntegerField(default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["created_at", "version"])

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-concerns_date", "-created_at", "-pk"]
        indexes = [
            models.Index(fields=["pupil", "-concerns_date", "-created_at"]),
            models.Index(fields=["pupil", "kind"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.concerns_date:%d.%m.%Y}"

    @property
    def is_struck(self) -> bool:
        return self.struck_at is not None

    @property
    def is_internal(self) -> bool:
        return not (
            self.shared_with_parents
            or self.shared_with_caseworker
            or self.shared_with_municipality
        )


class Amendment(models.Model):
    """A later addition to an entry; the entry's original text stays as written."""

    entry = models.ForeignKey(
        Entry,
        on_delete=models.CASCADE,
        related_name="amendments",
        verbose_name=_("entry"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    text = models.TextField(_("amendment"))

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.entry} ({self.created_at:%d.%m.%Y})"


class GoalReview(models.Model):
    """A review of a goal, with the entries that bear it out."""

    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("goal")
    )
    reviewed_on = models.DateField(_("review date"), default=timezone.localdate)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("author")
    )
    text = models.TextField(_("assessment"))
    status = models.CharField(
        _("status after the review"), max_length=20, choices=Goal.Status.choices
    )
    entries = models.ManyToManyField(
        Entry, blank=True, related_name="goal_reviews", verbose_name=_("entries")
    )

    history = HistoricalRecords(m2m_fields=[entries])

    class Meta:
        verbose_name = _("goal review")
        verbose_name_plural = _("goal reviews")
        ordering = ["-reviewed_on", "-pk"]

    def __str__(self):
        return f"{self.goal} ({self.reviewed_on:%d.%m.%Y})"


class AccessLogEntry(models.Model):
    """Who opened, searched, changed or exported which pupil's records, and when.

    This is the domain audit trail; it is kept apart from the technical log.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        SEARCH = "search", _("Searched")
        CHANGE = "change", _("Changed")
        EXPORT = "export", _("Exported")
        DELETE = "delete", _("Deleted")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_log",
        verbose_name=_("pupil"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    what = models.CharField(_("what"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["pupil", "-at"])]

    def __str__(self):
        return f"{self.at:%d.%m.%Y %H:%M} {self.get_action_display()}"


def _plan_export_path(export: "PlanExport", filename: str) -> str:
    # The path names no pupil: a directory listing reveals nothing.
    pupil = export.pupil
    return f"plan-exports/{pupil.school_id}/{pupil.pk}/{export.reference}.pdf"


class PlanExport(models.Model):
    """A plan PDF that left the school: who made it, for whom, and the file itself.

    `file` holds the exact bytes that were downloaded and `sha256` their
    checksum, so the school can reopen what it sent and show it is unchanged.
    Rows are written once, by `schoolplan.exports.plan_export_create`.
    """

    reference = models.UUIDField(
        _("document id"), default=uuid.uuid4, unique=True, editable=False
    )
    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="plan_exports",
        verbose_name=_("pupil"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exported by"),
    )
    created_at = models.DateTimeField(_("exported"), default=timezone.now)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    page_count = models.PositiveIntegerField(_("pages"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    file_name = models.CharField(
        _("file name"),
        max_length=255,
        help_text=_("The name the file was downloaded under."),
    )
    file = models.FileField(
        _("PDF file"),
        storage=private_storage,
        upload_to=_plan_export_path,
        max_length=255,
    )

    class Meta:
        verbose_name = _("plan export")
        verbose_name_plural = _("plan exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["pupil", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="plan_export_period_in_order",
            )
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_audience_display()})"
