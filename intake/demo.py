"""Intake interviews and follow-ups for the demo school. Every word is invented.

Every pupil gets an intake; the most recently started pupil's is still a draft,
the rest are finished and most have two or three follow-ups. A few pupils'
scores rise while their absence stays high (PUPILS_RISING_WHILE_ABSENT), which
is the pattern the progression section exists to show.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from intake.models import (
    Intake,
    IntakeAmendment,
    IntakeGoal,
    Measurement,
    RecordSource,
    ScaleAnswer,
    SchoolPlacement,
)
from intake.selectors import questions_of
from intake.services import current_question_set
from schoolplan import roles
from schoolplan.demo import (
    first_school_day,
    grade_on,
    last_school_day,
    next_school_day,
    school_year_of,
)
from schoolplan.models import Goal, Pupil, School

# How many pupils, counted in start-date order, get rising scores while the
# notes say their absence stays high.
PUPILS_RISING_WHILE_ABSENT = 3

# Invented names of earlier schools; no pupil's story belongs to a real school.
SCHOOL_NAMES = [
    "Vestergårdsskolen",
    "Mosegårdens Skole",
    "Skovbakkeskolen",
    "Lindevangens Skole",
    "Fjordbyens Skole",
    "Bakkedalens Skole",
    "Højvangskolen",
]
SECOND_PLACEMENTS = [
    ("Specialklassen på Skovbakkeskolen", SchoolPlacement.Kind.SPECIAL_CLASS),
    ("Dagbehandlingstilbuddet Solsikken", SchoolPlacement.Kind.DAY_TREATMENT),
    ("Hjemmeundervisning via kommunen", SchoolPlacement.Kind.HOME),
]
MAINSTREAM = SchoolPlacement.Kind.MAINSTREAM
SPECIAL_CLASS = SchoolPlacement.Kind.SPECIAL_CLASS
DAY_TREATMENT = SchoolPlacement.Kind.DAY_TREATMENT
HOME = SchoolPlacement.Kind.HOME
AT_A_SCHOOL = (MAINSTREAM, SPECIAL_CLASS, DAY_TREATMENT)


@dataclass(frozen=True)
class HistoryText:
    """A text about an earlier placement and the placements it fits.

    A text with {grade} names a grade the pupil had there; the grade is drawn
    from the placement's grades, skipping the first `grades_before` of them.
    `last_only` marks a text that fits only the placement just before this school.
    """

    text: str
    kinds: tuple[str, ...]
    source: str = ""
    grades_before: int = 0
    last_only: bool = False


PUPIL_ACCOUNTS = [
    HistoryText(
        "{name} fortæller, at det gik fint i de små klasser, men at det blev svært, da "
        'der kom ny klasselærer i {grade}. klasse. "Hun råbte meget, og så fik jeg ondt '
        'i maven om morgenen."',
        (MAINSTREAM,),
        grades_before=2,
    ),
    HistoryText(
        "{name} siger, at det begyndte at gå skævt i {grade}. klasse, da de fik mange "
        'skift mellem lokalerne. "Jeg vidste aldrig, hvor jeg skulle være."',
        (MAINSTREAM,),
        grades_before=1,
    ),
    HistoryText(
        "{name} husker, at det var svært at sige farvel til mor ved lågen hver morgen. "
        '"Jeg græd tit, og så kom jeg for sent ind til de andre."',
        (MAINSTREAM,),
    ),
    HistoryText(
        '{name} siger, at frikvartererne var det værste. "Jeg vidste aldrig, hvem jeg '
        'skulle være sammen med, så jeg gik ud på toilettet."',
        AT_A_SCHOOL,
    ),
    HistoryText(
        "Ifølge {name} var det larmen og de mange skift i løbet af dagen, der gjorde det "
        'for meget. "Jeg kunne godt lide matematik, men ikke når alle snakkede."',
        (MAINSTREAM, SPECIAL_CLASS),
    ),
    HistoryText(
        "{name} siger, at de voksne var søde, men at turen i taxa tog en halv time hver "
        "vej, og at de andre børn var meget ældre.",
        (SPECIAL_CLASS, DAY_TREATMENT),
    ),
    HistoryText(
        "{name} husker ikke så meget fra den tid, men siger, at det var rart at være "
        "hjemme, fordi der ikke var nogen, der stillede krav.",
        (HOME,),
    ),
    HistoryText(
        "{name} fortæller, at dagene hjemme blev lange, og at det var svært at lave "
        "opgaverne uden en lærer ved siden af.",
        (HOME,),
    ),
]
# What each kind of record typically says, so the named source fits the text.
RECORDS_ACCOUNTS = [
    HistoryText(
        "Skolen beskriver stigende fravær fra efteråret, især mandage og efter ferier. "
        "{name} fremstår fagligt alderssvarende i dansk, men med huller i matematik.",
        AT_A_SCHOOL,
        source=RecordSource.EARLIER_SCHOOL,
    ),
    HistoryText(
        "PPR vurderer, at {name} har en høj grad af angst i sociale situationer, og "
        "anbefaler et mindre undervisningsmiljø med faste voksne.",
        (*AT_A_SCHOOL, HOME),
        source=RecordSource.PPR_STATEMENT,
    ),
    HistoryText(
        "Kommunens sag beskriver et samarbejde med familien siden {grade}. klasse og en "
        "bekymring for trivsel og døgnrytme hos {name}.",
        (*AT_A_SCHOOL, HOME),
        source=RecordSource.MUNICIPALITY_CASE,
    ),
    HistoryText(
        "Udtalelsen nævner gentagne episoder, hvor {name} gik hjem midt på dagen, og at "
        "forældrene havde svært ved at få {name} afsted om morgenen.",
        AT_A_SCHOOL,
        source=RecordSource.EARLIER_SCHOOL,
    ),
    HistoryText(
        "Kommunen bevilgede hjemmeundervisning fem timer om ugen, mens der blev søgt et "
        "nyt skoletilbud. Notatet beskriver, at {name} sjældent var klar, når læreren kom.",
        (HOME,),
        source=RecordSource.MUNICIPALITY_CASE,
    ),
]
WHY_ENDED = [
    HistoryText(
        "Flyttede skole efter en lang periode med konflikter i klassen.",
        (MAINSTREAM, SPECIAL_CLASS),
    ),
    HistoryText(
        "Fraværet blev så højt, at skolen og forældrene sammen søgte et andet tilbud.",
        AT_A_SCHOOL,
    ),
    HistoryText("Familien flyttede til kommunen.", (MAINSTREAM, SPECIAL_CLASS)),
    HistoryText(
        "Tilbuddet var midlertidigt, mens kommunen visiterede til en specialskole.",
        (DAY_TREATMENT, HOME),
        last_only=True,
    ),
    HistoryText(
        "Hjemmeundervisningen var en nødløsning og stoppede, da der blev fundet et "
        "nyt skoletilbud.",
        (HOME,),
    ),
]
HARD = [
    "At komme ind ad døren om morgenen. Når der er mange mennesker på gangen.",
    "Gruppearbejde og at skulle læse højt. Vikarer og ændringer i skemaet.",
    "Frikvartererne, fordi {name} ikke ved, hvem der er at være sammen med.",
    "Prøver og opgaver, hvor der bliver givet karakter eller point.",
]
HELPS = [
    "En voksen, der tager imod ved døren og ved, hvordan dagen ser ud.",
    "At vide på forhånd, hvad der skal ske. Et stille sted at trække sig tilbage til.",
    "Korte opgaver med en klar slutning, og at få lov at have høretelefoner på.",
    "At mor eller far kører helt hen til skolen, og at der er en aftale om, hvem der møder.",
]
INTERESTS = [
    "Tegner meget, især manga. Har styr på alt om hunderacer.",
    "Spiller Minecraft og bygger store byer. God til at forklare andre, hvordan ting virker.",
    "Elsker dyr og hjælper med morfars høns. Er hjælpsom over for yngre børn.",
    "Interesseret i fodbold og musik; spiller lidt guitar. Har humor og et godt blik for andre.",
]
PUPIL_HOPES = [
    "At have én ven i klassen og at kunne være i skole uden at få ondt i maven.",
    "At blive god til matematik igen og en dag tage på efterskole.",
    "At lærerne ikke bliver sure, hvis man ikke kan komme.",
    "At det bliver nemmere at sove om aftenen, så morgenerne ikke er så hårde.",
]
FAMILY_HOPES = [
    "At {name} kommer i skole hver dag og får en afgangsprøve.",
    "At {name} bliver glad igen og får nogle venner.",
    "At morgenerne bliver mindre kampe, så resten af familien også kan komme afsted.",
    "At der er én voksen på skolen, som de kan ringe til, og som kender {name}.",
]
MORNINGS = [
    "Står op kl. 7.30, men kommer først ud af sengen efter flere forsøg. Sover dårligt om "
    "søndagen. Skærmen bliver afleveret kl. 21 efter aftale.",
    "Falder sent i søvn, ofte efter midnat. Morgenerne går i stå ved påklædningen. "
    "Mor kører på arbejde kl. 7.15, så far står for morgenen.",
    "Vågner tidligt og er urolig. Vil ikke spise morgenmad på skoledage. "
    "Har det bedre, når tasken er pakket aftenen før.",
]
FUNCTION_REASONS = {
    "distress": [
        "Beskriver ondt i maven og uro fra søndag aften. Lettelse, når det er besluttet at blive hjemme.",
        "Ikke noget tydeligt ubehag knyttet til selve skolen.",
    ],
    "escape": [
        "Undgår især gruppearbejde og at blive set af de andre. Fravær stiger op til prøver.",
        "Sociale situationer fylder mindre; {name} har en god ven fra det tidligere tilbud.",
    ],
    "attention": [
        "Vil gerne være tæt på mor, der har været syg i en periode.",
        "Ingen tegn på, at det er samværet hjemme, der trækker.",
    ],
    "rewards": [
        "Dagene hjemme bruges på skærm og søvn; det er blevet et behageligt alternativ.",
        "Er mest alene hjemme og keder sig; hjemmet trækker ikke i sig selv.",
    ],
}
FOLLOW_UP_NOTES = [
    "Samtale med {name} og mor. Morgenerne går lidt lettere med den faste aftale om taxa.",
    "{name} har fået en makker i værkstedet og fortæller selv om det med stolthed.",
    "Mindre bekymring søndag aften end ved opstarten, men mandagene er stadig svære.",
    "{name} deltager i morgensamlingen de fleste dage og har været med på tur.",
]
ABSENT_NOTES = [
    "Fraværet er stadig højt, men {name} beskriver selv, at det er blevet rarere at være her, "
    "når det lykkes at komme.",
    "Stadig mange dage hjemme. Når {name} er her, er relationen til de voksne god, og "
    "bekymringen er tydeligt mindre.",
]


def _aware(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _coordinators(school: School):
    return list(
        get_user_model()
        .objects.filter(staff__school=school, groups__name=roles.COORDINATOR)
        .order_by("username")
    )


def _trend(rng, kind: str, step: int) -> int:
    """Return how much a score has moved `step` follow-ups after the baseline."""
    if kind == "flat":
        return rng.choice([-1, 0, 0, 1])
    if kind == "dip":
        return rng.choice([-2, -1, 0]) if step == 1 else rng.choice([0, 1, 2])
    return step * rng.choice([1, 1, 2]) + rng.choice([-1, 0, 0, 1])


def _score(value: int) -> int:
    return max(0, min(10, value))


def _answers(rng, measurement, questions, baseline_scores, kind, step):
    answers = []
    for question in questions:
        start = baseline_scores[question.pk]
        move = _trend(rng, kind, step)
        score = start - move if not question.higher_is_better else start + move
        answers.append(
            ScaleAnswer(measurement=measurement, question=question, score=_score(score))
        )
    return answers


def _previous_school_day(day: date) -> date:
    """Return the last school day on or before `day`, skipping weekends and summer."""
    year = school_year_of(day)
    if day < first_school_day(year):
        day = last_school_day(year - 1)
    elif day > last_school_day(year):
        day = last_school_day(year)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# The first school keeps the pupil from 0. klasse for at least this long.
MIN_DAYS_AT_FIRST_SCHOOL = 120


def _periods(rng, date_of_birth: date, last_day: date):
    """Return (name, kind, first day, last day) of each earlier placement in time order.

    The pupil starts 0. klasse at a mainstream school in August of the year of
    turning six. Later placements follow without overlap until `last_day`.
    """
    school_start = first_school_day(date_of_birth.year + 6)
    later = rng.sample(SECOND_PLACEMENTS, rng.choice([0, 1, 1, 2]))
    periods = []
    end = last_day
    for name, kind in later:
        start = next_school_day(end - timedelta(days=rng.choice([150, 300, 450])))
        end_before = _previous_school_day(start - timedelta(days=rng.randint(7, 40)))
        if (end_before - school_start).days < MIN_DAYS_AT_FIRST_SCHOOL:
            break
        periods.append((name, kind, start, end))
        end = end_before
    periods.append((rng.choice(SCHOOL_NAMES), MAINSTREAM, school_start, end))
    periods.reverse()
    return periods


def _pick_text(rng, texts, used, kind, grades, *, last: bool):
    """Return a text that fits the placement, preferring an unused one, and its grade."""
    fitting = [
        text
        for text in texts
        if kind in text.kinds
        and len(grades) > text.grades_before
        and (last or not text.last_only)
    ]
    fresh = [text for text in fitting if text not in used] or fitting
    chosen = rng.choice(fresh)
    used.add(chosen)
    return chosen, rng.choice(grades[chosen.grades_before :])


def _placements(rng, intake, name, periods):
    pupil_used, records_used, why_used = set(), set(), set()
    placements = []
    for position, (school_name, kind, started, ended) in enumerate(periods):
        birth = intake.pupil.date_of_birth
        grades = list(range(grade_on(birth, started), grade_on(birth, ended) + 1))
        last = position == len(periods) - 1
        pupil_text, pupil_grade = _pick_text(
            rng, PUPIL_ACCOUNTS, pupil_used, kind, grades, last=last
        )
        records, records_grade = _pick_text(
            rng, RECORDS_ACCOUNTS, records_used, kind, grades, last=last
        )
        why_ended, _grade = _pick_text(
            rng, WHY_ENDED, why_used, kind, grades, last=last
        )
        placements.append(
            SchoolPlacement(
                intake=intake,
                position=position,
                name=school_name,
                kind=kind,
                started_on=started,
                ended_on=ended,
                grade_from=grades[0],
                grade_to=grades[-1],
                why_ended=why_ended.text,
                absence_percent=Decimal(rng.randint(25, 90)),
                absence_description=rng.choice(
                    ["især mandage", "hele dage", "mest sidst på dagen", ""]
                ),
                pupil_account=pupil_text.text.format(name=name, grade=pupil_grade),
                records_account=records.text.format(name=name, grade=records_grade),
                records_source=records.source,
                records_reference=f"Udtalelse af {ended - timedelta(days=20):%d.%m.%Y}",
            )
        )
    SchoolPlacement.objects.bulk_create(placements)


def _first_goals(intake, coordinator):
    goals = Goal.objects.filter(pupil=intake.pupil, parent__isnull=True).order_by("pk")
    IntakeGoal.objects.bulk_create(
        IntakeGoal(
            intake=intake,
            position=position,
            area=goal.area,
            title=goal.title,
            success_criteria=goal.success_criteria,
            actions=goal.actions,
            responsible=goal.responsible,
            review_date=goal.review_date,
            goal=goal,
            updated_by=coordinator,
        )
        for position, goal in enumerate(goals[:2])
    )


def _intake(rng, pupil, question_set, questions, coordinator, *, finished: bool):
    name = pupil.first_name
    held_on = pupil.start_date - timedelta(days=rng.randint(3, 14))
    baseline = Measurement.objects.create(
        pupil=pupil,
        kind=Measurement.Kind.BASELINE,
        taken_on=held_on,
        question_set=question_set,
        created_by=coordinator,
        created_at=_aware(held_on, 10),
    )
    last_school_end = _previous_school_day(
        held_on - timedelta(days=rng.randint(20, 60))
    )
    periods = _periods(rng, pupil.date_of_birth, last_school_end)
    last_school_start = periods[-1][2]
    ratings = {stem: rng.choice([0, 1, 2, 3]) for stem in FUNCTION_REASONS}
    intake = Intake.objects.create(
        pupil=pupil,
        baseline=baseline,
        held_on=held_on,
        led_by=coordinator,
        pupil_took_part=rng.random() < 0.85,
        caseworker_took_part=rng.random() < 0.6,
        other_participants=rng.choice(["", "", "PPR-psykolog Mads Thomsen", "Mormor"]),
        what_is_hard=rng.choice(HARD).format(name=name),
        what_helps=rng.choice(HELPS),
        interests_strengths=rng.choice(INTERESTS),
        pupil_hopes=rng.choice(PUPIL_HOPES),
        family_hopes=rng.choice(FAMILY_HOPES).format(name=name),
        mornings_sleep="" if not finished else rng.choice(MORNINGS),
        last_school_absence_percent=Decimal(rng.randint(380, 880)) / 10,
        last_school_absence_from=max(
            last_school_start, last_school_end - timedelta(days=300)
        ),
        last_school_absence_to=last_school_end,
        last_school_absence_source=rng.choice(
            [RecordSource.EARLIER_SCHOOL, RecordSource.MUNICIPALITY_CASE]
        ),
        last_school_absence_reference=f"Fraværsopgørelse af {last_school_end:%d.%m.%Y}",
        **{f"{stem}_rating": rating for stem, rating in ratings.items()},
        **{
            f"{stem}_reason": reasons[0 if ratings[stem] >= 2 else 1].format(name=name)
            for stem, reasons in FUNCTION_REASONS.items()
        },
        status=Intake.Status.FINISHED if finished else Intake.Status.DRAFT,
        created_by=coordinator,
        created_at=_aware(held_on, 9),
        updated_by=coordinator,
        finished_at=_aware(held_on, 15) if finished else None,
        finished_by=coordinator if finished else None,
    )
    intake.guardians_took_part.set(
        pupil.guardians.all()[: rng.choice([1, 2, 2])] if finished else []
    )
    _placements(rng, intake, name, periods)

    baseline_scores = {
        question.pk: rng.randint(5, 9)
        if not question.higher_is_better
        else rng.randint(1, 5)
        for question in questions
    }
    ScaleAnswer.objects.bulk_create(
        ScaleAnswer(
            measurement=baseline, question=question, score=baseline_scores[question.pk]
        )
        for question in questions
    )
    if finished:
        _first_goals(intake, coordinator)
    return intake, baseline_scores


def _follow_ups(rng, intake, question_set, questions, baseline_scores, kind, today):
    name = intake.pupil.first_name
    day = intake.held_on
    follow_ups = []
    for step in range(1, 4):
        day = day + timedelta(days=rng.randint(42, 70))
        if day > today:
            break
        notes = ABSENT_NOTES if kind == "rising_while_absent" else FOLLOW_UP_NOTES
        measurement = Measurement.objects.create(
            pupil=intake.pupil,
            kind=Measurement.Kind.FOLLOW_UP,
            taken_on=day,
            question_set=question_set,
            note=rng.choice(notes).format(name=name),
            created_by=intake.led_by,
            created_at=_aware(day, 13),
        )
        trend = "rising" if kind == "rising_while_absent" else kind
        ScaleAnswer.objects.bulk_create(
            _answers(rng, measurement, questions, baseline_scores, trend, step)
        )
        follow_ups.append(measurement)
    return follow_ups


def _amend_one(intake, coordinator):
    old = intake.last_school_absence_percent
    new = old + Decimal("4.5")
    IntakeAmendment.objects.create(
        intake=intake,
        section="absence",
        subject="Fravær på sidste skole",
        reason="Den endelige fraværsopgørelse fra den tidligere skole er modtaget.",
        changes=[
            {
                "field": "Fravær på sidste skole (%)",
                "before": f"{old:.1f}".replace(".", ","),
                "after": f"{new:.1f}".replace(".", ","),
            }
        ],
        author=coordinator,
        created_at=intake.finished_at + timedelta(days=12),
    )
    Intake.objects.filter(pk=intake.pk).update(last_school_absence_percent=new)


@transaction.atomic
def populate(*, school: School, seed: int, today: date | None = None) -> None:
    """Give every pupil of `school` without an intake an invented one."""
    today = today or timezone.localdate()
    rng = random.Random(f"intake-{seed}")
    coordinators = _coordinators(school)
    if not coordinators:
        return
    question_set = current_question_set(school)
    questions = questions_of(question_set)

    pupils = list(
        Pupil.objects.filter(school=school, intake__isnull=True).order_by(
            "-start_date", "pk"
        )
    )
    for index, pupil in enumerate(pupils):
        coordinator = coordinators[index % len(coordinators)]
        finished = index != 0
        intake, baseline_scores = _intake(
            rng, pupil, question_set, questions, coordinator, finished=finished
        )
        if not finished:
            continue
        if 1 <= index <= PUPILS_RISING_WHILE_ABSENT:
            kind = "rising_while_absent"
        else:
            kind = rng.choice(["rising", "rising", "rising", "flat", "dip"])
        _follow_ups(rng, intake, question_set, questions, baseline_scores, kind, today)
        if index % 7 == 3:
            _amend_one(intake, coordinator)
