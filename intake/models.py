"""The intake interview (opstartssamtale), the scaled questions and the follow-ups.

An intake is written as a draft over one or more sittings and then finished,
which locks it. A later change is an `IntakeAmendment` that keeps the original
values. The scaled answers given at the intake are the pupil's baseline;
each follow-up asks the school's scaled questions again.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from schoolplan.models import Area, Goal, Guardian, Pupil, School, VersionedModel

SCORE_MIN = 0
SCORE_MAX = 10


class ScaledQuestion(models.Model):
    """One scaled question (0-10) with the meaning of its two ends.

    A question is never changed once saved: answers point at the exact wording
    they answered, and a school that rewords a question gets a new row in a new
    version of its question set.
    """

    text = models.CharField(_("question"), max_length=300)
    low_label = models.CharField(_("0 means"), max_length=100)
    high_label = models.CharField(_("10 means"), max_length=100)
    higher_is_better = models.BooleanField(
        _("a higher score is better"),
        default=True,
        help_text=_("Untick for questions where 10 is the worst, such as worry."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("scaled question")
        verbose_name_plural = _("scaled questions")

    def __str__(self):
        return self.text


class QuestionSet(models.Model):
    """One version of a school's scaled questions, in the order they are asked.

    A set is never changed after it is created; editing the questions creates
    the next version. The set with no school is the built-in default that a
    school starts from.
    """

    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="question_sets",
        verbose_name=_("school"),
    )
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    questions = models.ManyToManyField(
        ScaledQuestion,
        through="QuestionSetItem",
        related_name="question_sets",
        verbose_name=_("questions"),
    )

    class Meta:
        verbose_name = _("question set")
        verbose_name_plural = _("question sets")
        ordering = ["school", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "version"], name="unique_question_set_version"
            )
        ]

    def __str__(self):
        return f"{self.school or '-'} v{self.version}"


class QuestionSetItem(models.Model):
    question_set = models.ForeignKey(
        QuestionSet, on_delete=models.CASCADE, related_name="items"
    )
    question = models.ForeignKey(
        ScaledQuestion, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["question_set", "question"], name="unique_question_in_set"
            )
        ]

    def __str__(self):
        return f"{self.position}: {self.question_id}"


class Measurement(models.Model):
    """One round of answers to the scaled questions.

    The round taken at the intake is the baseline; every later round is a
    follow-up (opfølgning). `taken_on` of the baseline follows the intake's date.
    """

    class Kind(models.TextChoices):
        BASELINE = "baseline", _("Intake interview")
        FOLLOW_UP = "follow_up", _("Follow-up")

    pupil = models.ForeignKey(
        Pupil,
        on_delete=models.CASCADE,
        related_name="measurements",
        verbose_name=_("pupil"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    taken_on = models.DateField(_("date"), null=True, blank=True)
    question_set = models.ForeignKey(
        QuestionSet,
        on_delete=models.PROTECT,
        related_name="measurements",
        verbose_name=_("question set"),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["taken_on", "created_at", "pk"]
        indexes = [models.Index(fields=["pupil", "taken_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil"],
                condition=models.Q(kind="baseline"),
                name="one_baseline_per_pupil",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.taken_on or ''}".strip()


class ScaleAnswer(models.Model):
    measurement = models.ForeignKey(
        Measurement,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("measurement"),
    )
    question = models.ForeignKey(
        ScaledQuestion,
        on_delete=models.PROTECT,
        related_name="answers",
        verbose_name=_("question"),
    )
    score = models.PositiveSmallIntegerField(
        _("score"),
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["measurement", "question"], name="one_answer_per_question"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                name="score_from_0_to_10",
            ),
        ]

    def __str__(self):
        return f"{self.question}: {self.score}"


class RecordSource(models.TextChoices):
    """The case record (journal) a description of the pupil's history comes from."""

    PPR_STATEMENT = "ppr", _("PPR statement")
    EARLIER_SCHOOL = "school", _("Earlier school's statement")
    MUNICIPALITY_CASE = "municipality", _("Municipality case")
    OTHER = "other", _("Other record")


class FunctionRating(models.IntegerChoices):
    """How much a function of the absence weighs, in the coordinator's view."""

    NONE = 0, _("Plays no part")
    SMALL = 1, _("Plays a small part")
    SOME = 2, _("Plays some part")
    LARGE = 3, _("Plays a large part")


# The four functions of Kearney's functional model of school refusal, as the
# field-name stem on Intake and the label the form shows.
ABSENCE_FUNCTIONS = (
    ("distress", _("Avoiding distress tied to school")),
    ("escape", _("Escaping social or evaluative situations")),
    ("attention", _("Attention and closeness at home")),
    ("rewards", _("Rewards outside school")),
)


class Intake(models.Model):
    """The intake interview with a new pupil and the family: one per pupil.

    `section_versions` contains a counter per form section, so that two people
    saving different sections at once do not conflict, while two saves of the
    same section from stale pages do.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINISHED = "finished", _("Finished")

    pupil = models.OneToOneField(
        Pupil, on_delete=models.CASCADE, related_name="intake", verbose_name=_("pupil")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # RESTRICT rather than PROTECT, so deleting the pupil removes both.
    baseline = models.OneToOneField(
        Measurement,
        on_delete=models.RESTRICT,
        related_name="intake",
        verbose_name=_("baseline"),
    )

    held_on = models.DateField(_("date of the interview"), null=True, blank=True)
    led_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("led by"),
    )
    pupil_took_part = models.BooleanField(_("the pupil"), default=False)
    guardians_took_part = models.ManyToManyField(
        Guardian, blank=True, related_name="+", verbose_name=_("parents")
    )
    caseworker_took_part = models.BooleanField(_("the caseworker"), default=False)
    other_participants = models.CharField(
        _("others who took part"), max_length=300, blank=True
    )

    what_is_hard = models.TextField(_("what is hard at school"), blank=True)
    what_helps = models.TextField(_("what helps"), blank=True)
    interests_strengths = models.TextField(_("interests and strengths"), blank=True)
    pupil_hopes = models.TextField(_("what the pupil hopes for"), blank=True)
    family_hopes = models.TextField(_("what the family hopes for"), blank=True)
    mornings_sleep = models.TextField(_("mornings and sleep"), blank=True)

    last_school_absence_percent = models.DecimalField(
        _("absence at the last school (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    last_school_absence_from = models.DateField(_("from"), null=True, blank=True)
    last_school_absence_to = models.DateField(_("to"), null=True, blank=True)
    last_school_absence_source = models.CharField(
        _("according to"), max_length=20, choices=RecordSource.choices, blank=True
    )
    last_school_absence_reference = models.CharField(
        _("document"),
        max_length=200,
        blank=True,
        help_text=_("Which document, and its date."),
    )

    distress_rating = models.PositiveSmallIntegerField(
        _("weight"), choices=FunctionRating.choices, null=True, blank=True
    )
    distress_reason = models.TextField(_("reason"), blank=True)
    escape_rating = models.PositiveSmallIntegerField(
        _("weight"), choices=FunctionRating.choices, null=True, blank=True
    )
    escape_reason = models.TextField(_("reason"), blank=True)
    attention_rating = models.PositiveSmallIntegerField(
        _("weight"), choices=FunctionRating.choices, null=True, blank=True
    )
    attention_reason = models.TextField(_("reason"), blank=True)
    rewards_rating = models.PositiveSmallIntegerField(
        _("weight"), choices=FunctionRating.choices, null=True, blank=True
    )
    rewards_reason = models.TextField(_("reason"), blank=True)

    section_versions = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finished by"),
    )

    history = HistoricalRecords(
        excluded_fields=["section_versions"], m2m_fields=[guardians_took_part]
    )

    class Meta:
        verbose_name = _("intake interview")
        verbose_name_plural = _("intake interviews")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_school_absence_percent__gte=0)
                & models.Q(last_school_absence_percent__lte=100)
                | models.Q(last_school_absence_percent__isnull=True),
                name="absence_percent_from_0_to_100",
            )
        ]

    def __str__(self):
        return f"{self.pupil} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED

    def section_version(self, key: str) -> int:
        return int(self.section_versions.get(key, 0))


class SchoolPlacement(VersionedModel):
    """An earlier school or placement, in the pupil's words and in the records'."""

    class Kind(models.TextChoices):
        MAINSTREAM = "mainstream", _("Mainstream school")
        SPECIAL_CLASS = "special_class", _("Special class")
        SPECIAL_SCHOOL = "special_school", _("Special school")
        DAY_TREATMENT = "day_treatment", _("Day treatment")
        HOME = "home", _("Home teaching or no schooling")
        OTHER = "other", _("Other")

    intake = models.ForeignKey(
        Intake,
        on_delete=models.CASCADE,
        related_name="placements",
        verbose_name=_("intake interview"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("school or placement"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("to"), null=True, blank=True)
    grade_from = models.PositiveSmallIntegerField(
        _("from grade"),
        choices=[(level, str(level)) for level in range(0, 11)],
        null=True,
        blank=True,
    )
    grade_to = models.PositiveSmallIntegerField(
        _("to grade"),
        choices=[(level, str(level)) for level in range(0, 11)],
        null=True,
        blank=True,
    )
    why_ended = models.TextField(_("why it ended"), blank=True)
    absence_percent = models.DecimalField(
        _("absence there (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    absence_description = models.CharField(
        _("about the absence"), max_length=300, blank=True
    )
    pupil_account = models.TextField(_("as the pupil tells it"), blank=True)
    records_account = models.TextField(_("as the records describe it"), blank=True)
    records_source = models.CharField(
        _("record type"), max_length=20, choices=RecordSource.choices, blank=True
    )
    records_reference = models.CharField(
        _("document"),
        max_length=200,
        blank=True,
        help_text=_("Which document, and its date."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("earlier school or placement")
        verbose_name_plural = _("earlier schools and placements")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name or str(_("School or placement"))

    @property
    def is_blank(self) -> bool:
        return not (self.name or self.pupil_account or self.records_account)


class IntakeGoal(VersionedModel):
    """A first goal agreed at the intake; finishing the intake makes it a `Goal`."""

    intake = models.ForeignKey(
        Intake,
        on_delete=models.CASCADE,
        related_name="first_goals",
        verbose_name=_("intake interview"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("area")
    )
    title = models.CharField(_("goal"), max_length=300, blank=True)
    success_criteria = models.TextField(_("what success looks like"), blank=True)
    actions = models.TextField(_("actions"), blank=True)
    responsible = models.CharField(_("responsible"), max_length=200, blank=True)
    review_date = models.DateField(_("review date"), null=True, blank=True)
    goal = models.OneToOneField(
        Goal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intake_goal",
        verbose_name=_("goal on the front page"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("first goal")
        verbose_name_plural = _("first goals")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title or str(_("Goal"))

    @property
    def is_blank(self) -> bool:
        return not (
            self.title or self.success_criteria or self.actions or self.responsible
        )


class IntakeAmendment(models.Model):
    """A change to a finished intake, with the values before and after.

    `changes` is a list of {"field": label, "before": text, "after": text}, the
    values as the interview showed them, so the original stays readable even if
    a label or a choice is renamed later.
    """

    intake = models.ForeignKey(
        Intake,
        on_delete=models.CASCADE,
        related_name="amendments",
        verbose_name=_("intake interview"),
    )
    section = models.CharField(_("section"), max_length=40)
    subject = models.CharField(_("what was changed"), max_length=300)
    reason = models.TextField(_("reason for the change"))
    changes = models.JSONField(_("changes"), default=list)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("amendment of an intake")
        verbose_name_plural = _("amendments of intakes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.subject} ({self.created_at:%d.%m.%Y})"
