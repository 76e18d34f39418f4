"""Attendance, the school calendar, the absence rules, successes and outreach contacts.

The three legal absence groups and the default thresholds follow the Danish
absence order for the folkeskole (in force since 1 January 2020): absence is
lawful because of illness or disability, lawful with the leader's permission,
or unlawful. Until the parents give a reason it awaits one; with no reason by
the school's deadline it counts as unlawful.
"""

from datetime import date, time

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from schoolplan.models import (
    Area,
    Entry,
    Goal,
    Pupil,
    PupilGroup,
    School,
    VersionedModel,
)


class AbsenceRules(models.Model):
    """A school's absence settings; every threshold defaults to national practice."""

    school = models.OneToOneField(
        School,
        on_delete=models.CASCADE,
        related_name="absence_rules",
        verbose_name=_("school"),
    )
    reason_deadline_days = models.PositiveSmallIntegerField(
        _("deadline for a reason (days)"),
        default=7,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "Calendar days after an absence within which the parents must give the "
            "reason. After that, an absence still awaiting a reason counts as unlawful."
        ),
    )
    day_starts_at = models.TimeField(
        _("the school day starts at"),
        default=time(8, 0),
        help_text=_("A late arrival counts the minutes from this time."),
    )
    school_day_minutes = models.PositiveSmallIntegerField(
        _("length of the school day (minutes)"),
        default=300,
        validators=[MinValueValidator(60), MaxValueValidator(600)],
        help_text=_(
            "Late arrivals and early departures count as the minutes missed divided "
            "by this length."
        ),
    )
    warning_percent = models.DecimalField(
        _("unlawful absence that calls for a warning (%)"),
        max_digits=4,
        decimal_places=1,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Share of a calendar quarter's school days; the parents are warned."
        ),
    )
    notify_percent = models.DecimalField(
        _("unlawful absence that obliges notifying the municipality (%)"),
        max_digits=4,
        decimal_places=1,
        default=15,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Share of a calendar quarter's school days."),
    )
    concerning_consecutive_days = models.PositiveSmallIntegerField(
        _("concerning absence: consecutive school days"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    concerning_days_of_20 = models.PositiveSmallIntegerField(
        _("concerning absence: days of the last 20 school days"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    concerning_days_of_60 = models.PositiveSmallIntegerField(
        _("concerning absence: days of the last 60 school days"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    concerning_percent = models.DecimalField(
        _("concerning absence: total absence in the quarter (%)"),
        max_digits=4,
        decimal_places=1,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    illness_teaching_days = models.PositiveSmallIntegerField(
        _("illness days that call for teaching during illness"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_("School days of illness in the school year."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("absence rules")
        verbose_name_plural = _("absence rules")

    def __str__(self):
        return str(self.school)


class SchoolYear(models.Model):
    """A school year: its first and last school day and, apart, its days off.

    Every weekday from `first_day` to `last_day` is a school day unless a
    `NonSchoolDay` marks it off. Weekends never are.
    """

    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="school_years",
        verbose_name=_("school"),
    )
    first_day = models.DateField(_("first school day"))
    last_day = models.DateField(_("last school day"))

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["-first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gt=models.F("first_day")),
                name="school_year_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["school", "first_day"], name="unique_school_year"
            ),
        ]

    def __str__(self):
        return f"{self.first_day.year}/{str(self.first_day.year + 1)[-2:]}"


class NonSchoolDay(models.Model):
    """A weekday inside a school year with no teaching: a holiday or a closing day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        CLOSING_DAY = "closing_day", _("Closing day")

    school_year = models.ForeignKey(
        SchoolYear,
        on_delete=models.CASCADE,
        related_name="non_school_days",
        verbose_name=_("school year"),
    )
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "day"], name="unique_non_school_day"
            )
        ]

    def __str__(self):
        return f"{self.name} {self.day:%d.%m.%Y}"


class Status(models.TextChoices):
    """The status a notation records about the pupil."""

    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    LEFT_EARLY = "left_early", _("Left early")
    AWAITING = "awaiting", _("Absent, awaiting a reason")
    ILLNESS = "illness", _("Illness")
    PERMITTED = "permitted", _("Permitted absence")
    UNLAWFUL = "unlawful", _("Unlawful absence")


MORNING_STATUSES = [
    Status.PRESENT,
    Status.LATE,
    Status.AWAITING,
    Status.ILLNESS,
    Status.PERMITTED,
    Status.UNLAWFUL,
]
LAST_LESSON_STATUSES = [Status.PRESENT, Status.LEFT_EARLY]
ABSENT_STATUSES = frozenset(
    {Status.AWAITING, Status.ILLNESS, Status.PERMITTED, Status.UNLAWFUL}
)
LEGAL_GROUPS = [Status.ILLNESS, Status.PERMITTED, Status.UNLAWFUL]
# Grades 7-10 are also noted in the last lesson of the day.
FIRST_GRADE_WITH_LAST_LESSON = 7


class Registration(VersionedModel):
    """One notation of a pupil on a school day: the morning, or the last lesson.

    `group` is the group the pupil was registered in, so a pupil who changes
    group still appears in the earlier group's register for the earlier days.
    """

    class Notation(models.TextChoices):
        MORNING = "morning", _("Morning")
        LAST_LESSON = "last_lesson", _("Last lesson")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        TEXT = "text", _("Text message")
        MESSAGE = "message", _("Message in the school's system")
        EMAIL = "email", _("E-mail")
        IN_PERSON = "in_person", _("In person")
        WRITTEN_NOTE = "written_note", _("Written note")

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("pupil"),
    )
    group = models.ForeignKey(
        PupilGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("pupil group", "group"),
    )
    day = models.DateField(_("date"))
    notation = models.CharField(
        _("notation"), max_length=20, choices=Notation.choices, default=Notation.MORNING
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    arrived_at = models.TimeField(_("arrived at"), null=True, blank=True)
    left_at = models.TimeField(_("left at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reason_channel = models.CharField(
        _("reason given by"), max_length=20, choices=Channel.choices, blank=True
    )
    reason_given_on = models.DateField(_("reason given on"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["registered_at"])

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["day", "notation"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "day", "notation"],
                name="one_registration_per_notation",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="late") | models.Q(arrived_at__isnull=False),
                name="late_has_arrival_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="left_early")
                | models.Q(left_at__isnull=False),
                name="left_early_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "day"]),
            models.Index(fields=["day", "status"]),
            # Few registrations await a reason at any time; the lists of them
            # read this small index instead of the whole table.
            models.Index(
                fields=["pupil", "day"],
                condition=models.Q(status="awaiting"),
                name="registration_awaiting",
            ),
            # The register lists the absences of its group that await a reason.
            models.Index(
                fields=["group", "day"],
                condition=models.Q(status="awaiting"),
                name="registration_awaiting_group",
            ),
        ]

    def __str__(self):
        notation = self.get_notation_display()
        return f"{self.day:%d.%m.%Y} {notation}: {self.get_status_display()}"

    @property
    def is_absent(self) -> bool:
        return self.status in ABSENT_STATUSES


class DueStepDone(models.Model):
    """A step that a flag called for, marked done: who did it and when.

    `period_start` is the first day of the quarter (or, for illness, of the
    school year) that raised the flag, so the same flag in a later period is
    due again.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warn the parents about unlawful absence")
        NOTIFY = "notify", _("Notify the municipality with the absence statement")
        CONCERNING = "concerning", _("Follow up on concerning absence")
        ILLNESS_TEACHING = (
            "illness_teaching",
            _("Contact the parents about teaching during illness"),
        )

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="absence_steps",
        verbose_name=_("pupil"),
    )
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    period_start = models.DateField(_("period"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("step done")
        verbose_name_plural = _("steps done")
        ordering = ["-done_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "kind", "period_start"],
                name="one_done_step_per_period",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.period_start:%d.%m.%Y})"


class Success(models.Model):
    """A moment the pupil broke a pattern. Each success is also a log entry."""

    class Pattern(models.TextChoices):
        HARD_MORNING = "hard_morning", _("Came in despite a hard morning")
        WHOLE_DAY = "whole_day", _("Stayed the whole day")
        JOINED_GROUP = "joined_group", _("Joined the group")
        AVOIDED_SUBJECT = "avoided_subject", _("Tried a subject they usually avoid")
        OTHER = "other", _("Something else")

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="successes",
        verbose_name=_("pupil"),
    )
    day = models.DateField(_("date"), default=timezone.localdate)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("area"))
    pattern = models.CharField(
        _("the pattern broken"),
        max_length=20,
        choices=Pattern.choices,
        default=Pattern.OTHER,
    )
    what_happened = models.TextField(_("what happened"), blank=True)
    goal = models.ForeignKey(
        Goal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successes",
        verbose_name=_("goal"),
    )
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("seen by"),
    )
    entry = models.OneToOneField(
        Entry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="success",
        verbose_name=_("log entry"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("success")
        verbose_name_plural = _("successes")
        ordering = ["-day", "-created_at"]
        indexes = [models.Index(fields=["pupil", "-day"])]

    def __str__(self):
        return f"{self.get_pattern_display()} {self.day:%d.%m.%Y}"

    @property
    def summary(self) -> str:
        """The text shown in lists: what happened, or else the pattern's label."""
        return self.what_happened or str(self.get_pattern_display())


class OutreachContact(models.Model):
    """A contact made by the outreach team (skolefraværspatruljen) with a pupil."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone call")
        TEXT = "text", _("Text message")
        HOME_VISIT = "home_visit", _("Home visit")
        PICK_UP = "pick_up", _("Pick-up")
        MEETING = "meeting", _("Meeting")

    class Outcome(models.TextChoices):
        CAME = "came", _("Came to school")
        CAME_LATER = "came_later", _("Came later")
        STAYED_HOME = "stayed_home", _("Stayed home")
        NO_CONTACT = "no_contact", _("No contact")

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="outreach_contacts",
        verbose_name=_("pupil"),
    )
    contacted_at = models.DateTimeField(_("date and time"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("outreach contact")
        verbose_name_plural = _("outreach contacts")
        ordering = ["-contacted_at"]
        indexes = [models.Index(fields=["pupil", "-contacted_at"])]

    def __str__(self):
        when = timezone.localtime(self.contacted_at)
        return f"{self.get_kind_display()} {when:%d.%m.%Y %H:%M}"

    @property
    def local_day(self) -> date:
        return timezone.localdate(self.contacted_at)


class DashboardPiece(models.Model):
    """One pupil's share of the leadership dashboard, as a write last computed it.

    Derived from the registrations, outreach contacts and steps done, and kept
    here so that every worker can use a share another worker computed (see
    absence/dashboard.py). It contains no names.
    """

    pupil = models.OneToOneField(
        "schoolplan.Pupil",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    version = models.PositiveBigIntegerField()
    context_key = models.CharField(max_length=200)
    computed_at = models.FloatField()
    data = models.JSONField(encoder=DjangoJSONEncoder)

    def __str__(self):
        return f"dashboard piece of pupil {self.pupil_id}"
