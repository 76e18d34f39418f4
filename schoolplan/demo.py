"""A fictional school for demonstrations and manual testing.

Every name, note and number here is invented. The same seed always gives the
same school; `populate` skips a school that is already loaded.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from schoolplan import roles
from schoolplan.models import (
    Amendment,
    Area,
    Challenge,
    Entry,
    FrontPage,
    Goal,
    GoalReview,
    Guardian,
    Pupil,
    PupilGroup,
    School,
    StaffMember,
)

SCHOOL_NAME = "Kanonskolen"
DEMO_PASSWORD = "skoleplan-demo"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    last_name: str
    role: str
    title: str
    groups: tuple[str, ...] = ()


STAFF = [
    DemoStaff("mette", "Mette", "Kjær", roles.TEACHER, "Lærer", ("Egeholdet",)),
    DemoStaff(
        "jonas", "Jonas", "Bøgh", roles.TEACHER, "Pædagog", ("Egeholdet", "Bøgeholdet")
    ),
    DemoStaff("sofie", "Sofie", "Lund", roles.TEACHER, "Lærer", ("Bøgeholdet",)),
    DemoStaff("ahmad", "Ahmad", "Rasuli", roles.TEACHER, "Lærer", ("Lindeholdet",)),
    DemoStaff(
        "birgitte", "Birgitte", "Østergaard", roles.TEACHER, "Pædagog", ("Lindeholdet",)
    ),
    DemoStaff("karen", "Karen", "Holm", roles.COORDINATOR, "Skolekoordinator"),
    DemoStaff("rasmus", "Rasmus", "Friis", roles.COORDINATOR, "Skolekoordinator"),
    DemoStaff("lene", "Lene", "Skov", roles.LEADERSHIP, "Skoleleder"),
]

GROUPS = {"Egeholdet": (1, 4), "Bøgeholdet": (5, 7), "Lindeholdet": (7, 9)}

FIRST_NAMES = [
    "Søren",
    "Ida",
    "Malthe",
    "Freja",
    "Mikkel",
    "Alma",
    "Oliver",
    "Clara",
    "Noah",
    "Ellen",
    "Emil",
    "Asta",
    "Lukas",
    "Maja",
    "Villads",
    "Åse",
    "Aksel",
    "Sigrid",
    "Bjørn",
    "Liv",
    "Johan",
    "Nora",
    "Magnus",
    "Rosa",
]
LAST_NAMES = [
    "Ærø",
    "Nørgaard",
    "Holm",
    "Damgaard",
    "Kristoffersen",
    "Bach",
    "Thøgersen",
    "Winther",
    "Løkke",
    "Mørch",
    "Krogh",
    "Vestergaard",
    "Juhl",
    "Bruun",
    "Brødsgaard",
    "Sønderby",
]
MUNICIPALITIES = [
    "Aarhus Kommune",
    "Favrskov Kommune",
    "Skanderborg Kommune",
    "Syddjurs Kommune",
]
CASEWORKERS = [
    "Hanne Vinther",
    "Peter Graae",
    "Louise Smed",
    "Tobias Kirk",
    "Ditte Hørlyck",
]

# Fragments of daily entries, grouped by how the pupil's day went, so that no
# entry reports the pupil absent and then describes what the pupil did here.
# {clock} is an arrival time that fits the situation.
# NOTE: absence/demo.py draws the registrations later and independently, so a
# daily entry can still disagree with that day's registration.
_LESSONS = (
    "Arbejdede koncentreret med matematik i 35 minutter og bad selv om hjælp til brøker.",
    "Trak sig fra gruppearbejdet i dansk, men skrev fint alene bagefter.",
    "Spillede kort med to andre elever i frikvarteret og grinede meget.",
    "Blev urolig, da der kom en vikar. Gik ud i grupperummet og kom tilbage efter et kvarter.",
    "Læste højt for mig i fem minutter uden at gå i stå.",
)


@dataclass(frozen=True)
class DaySituation:
    """The fragments of a daily entry that fit one kind of school day."""

    openings: tuple[str, ...]
    middles: tuple[str, ...]
    closings: tuple[str, ...] = ()
    clocks: tuple[str, ...] = ("8.00", "8.05", "8.10", "8.15", "8.20")
    max_middles: int = 3


WHOLE_DAY = DaySituation(
    openings=(
        "{name} kom kl. {clock} med taxa og gik selv ind i klassen.",
        "{name} kom kl. {clock}, var træt og ville helst sidde i sofaen de første 20 minutter.",
        "{name} var her hele dagen og deltog i morgensamlingen.",
        "{name} blev sat af ved døren kl. {clock} og sagde godmorgen til de voksne.",
    ),
    middles=(
        *_LESSONS,
        "Fortalte begejstret om en film, familien havde set, og virkede glad og afslappet.",
        "Nægtede at gå med på tur til skoven. Blev på skolen sammen med mig og byggede i "
        "værkstedet.",
        "Var meget stille hele formiddagen. Jeg spurgte ind, men fik kun korte svar.",
        "Hjalp en yngre elev med at finde sit skema og var tydeligt stolt af det.",
        "Spiste frokost sammen med de andre og var med til sidste time.",
    ),
)
LATE_ARRIVAL = DaySituation(
    openings=(
        "{name} blev hentet af skolefraværspatruljen og var her fra kl. {clock}.",
        "{name} kom først kl. {clock}, fordi morgenen var gået i stå derhjemme.",
        "{name} kom kl. {clock} sammen med mor, der blev i garderoben de første ti minutter.",
    ),
    middles=(
        *_LESSONS,
        "Havde brug for ti minutter i grupperummet, før det lykkedes at gå ind til de andre.",
        "Hjalp en yngre elev med at finde sit skema og var tydeligt stolt af det.",
    ),
    clocks=("9.00", "9.15", "9.30", "9.45", "10.00", "10.30"),
)
LEFT_EARLY = DaySituation(
    openings=(
        "{name} kom kl. {clock} og gik selv ind i klassen.",
        "{name} kom kl. {clock}, var træt og ville helst sidde i sofaen de første 20 minutter.",
    ),
    middles=_LESSONS,
    closings=(
        "Fik hovedpine i anden lektion og gik hjem kl. 11.30 efter aftale med mor.",
        "Blev hentet af far kl. 12.15 efter en konflikt i frikvarteret, som {name} ikke "
        "kunne slippe.",
        "Ville hjem efter frokost. Vi ringede til mor, som hentede kl. 12.30.",
    ),
    max_middles=2,
)
ABSENT = DaySituation(
    openings=(
        "{name} mødte ikke op i dag. Mor ringede kl. 8.10 og fortalte, at morgenen var "
        "gået i stå.",
        "{name} var hjemme i dag. Far skrev kl. 7.50, at {name} havde ondt i maven.",
        "{name} kom ikke i dag, og kl. 8.30 havde vi ikke fået besked hjemmefra.",
    ),
    middles=(
        "Jeg ringede hjem kl. 10 og talte kort med {name}, som lå i sengen.",
        "Jeg sendte en sms med morgendagens program, så {name} ved, hvad der venter.",
        "Aftalte med mor, at jeg ringer kl. 7.45 i morgen og siger godmorgen.",
        "To elever spurgte efter {name} til fællesspillet.",
        "Lagde dagens matematikopgaver i mappen, så de er klar i morgen.",
    ),
    max_middles=2,
)
DAY_SITUATIONS = [(WHOLE_DAY, 50), (LATE_ARRIVAL, 20), (LEFT_EARLY, 10), (ABSENT, 20)]
PARENT_CONTACT = [
    "Telefonsamtale med mor. Hun fortæller, at søvnen er blevet bedre, efter at skærmen "
    "bliver afleveret kl. 21. Vi aftalte, at hun sender en sms, hvis morgenen går skævt.",
    "Far ringede, bekymret over at {name} igen taler om ondt i maven søndag aften. Vi aftalte "
    "at prøve en kortere mandag med start kl. 9.30 de næste tre uger.",
    "Samtale med begge forældre på skolen. De oplever {name} som gladere derhjemme, men "
    "morgenerne er stadig hårde. Vi gennemgik fraværet for måneden sammen.",
    "Sms fra mor: {name} har sovet dårligt og bliver hjemme i dag. Jeg svarede og spurgte, "
    "om vi må ringe kl. 10 og tale med {name} selv.",
]
MEETINGS = [
    "Netværksmøde med sagsbehandler, PPR og forældre. Vi gennemgik målene for fremmøde og "
    "trivsel. Sagsbehandler foreslår at undersøge muligheden for en familiebehandler. "
    "Næste møde om otte uger.",
    "Statusmøde i teamet. Vi er enige om, at den faste voksen om morgenen gør en forskel, og "
    "at vi fortsætter ordningen frem til efterårsferien.",
    "Møde med PPR-psykolog om angsten omkring prøvesituationer. Aftale: ingen test uden "
    "forvarsel, og opgaver gives i små bidder.",
]
OBSERVATIONS = [
    "Observation i frikvarteret: {name} står tæt på de andre, men går ikke ind i legen. Når "
    "en voksen inviterer, siger {name} ja.",
    "{name} tjekker uret ofte fra kl. 12 og spørger flere gange, hvornår der er fri.",
    "I idræt holdt {name} sig i omklædningsrummet, indtil de andre var gået ud.",
]
PUPIL_CONVERSATIONS = [
    "Elevsamtale. {name} siger, at det værste ved skolen er bussen og larmen i "
    "garderoben. Det bedste er værkstedet og at blive kaldt ved navn, når man kommer.",
    "Elevsamtale om målene. {name} giver sig selv 6 ud af 10 for at komme afsted om "
    "morgenen, mod 3 ud af 10 før sommerferien. Vil gerne prøve en hel dag om onsdagen.",
]
ACTIONS = [
    "Handleplan for morgenen: fast voksen tager imod i døren kl. 8.15, {name} får en opgave "
    "med det samme (fodre fiskene), og der er altid en plads ved vinduet.",
    "Indsats: skolefraværspatruljen ringer kl. 8.00 mandag og torsdag, og ved udeblivelse "
    "kører de ud kl. 9.00. Evalueres om fire uger.",
]
# Long daily entries, one paragraph a string. Each describes a one-off event,
# so a pupil's log contains each story at most once.
LONG_STORIES = [
    (
        "Dagen startede svært. {name} sad i bilen i parkeringskælderen i et kvarter og ville "
        "ikke ud. Mor ringede ind, og jeg gik ned og satte mig på kantstenen ved siden af bilen.",
        "Vi talte om alt muligt andet end skolen: hunden, der er blevet syg, og det nye "
        "computerspil. Efter et stykke tid spurgte {name}, om vi kunne gå ind ad bagdøren.",
        "Indenfor gik det bedre. Vi startede i det lille lokale med en opgave, {name} kender, og "
        "efter frikvarteret var {name} med i klassen til dansk i næsten en hel lektion.",
        "Før frokost kom en brandøvelse, som ingen havde fortalt om. {name} blev meget "
        "forskrækket, løb ud på toilettet og ville ringe hjem. Jeg sad uden for døren, og efter "
        "tyve minutter kom {name} ud af sig selv.",
        "Vi aftalte, at {name} fremover får besked om den slags dagen før. Jeg har skrevet til "
        "ledelsen om det. Mor blev orienteret ved afhentning og var glad for, at dagen ikke "
        "endte med, at {name} blev hentet tidligt.",
    ),
    (
        "I dag var klassen på tur til stranden, og {name} havde på forhånd sagt, at det "
        "ville blive for meget. Vi aftalte i går, at {name} kunne gå sammen med mig "
        "bagerst og selv bestemme, hvornår vi skulle hjem.",
        "Bussen var fyldt, og {name} sad med hætten oppe hele vejen og svarede ikke, når "
        "de andre spurgte om noget. Ved stranden gik {name} et stykke væk fra gruppen og "
        "begyndte at samle sten.",
        "Efter en halv time kom to af de andre elever hen og spurgte, om {name} ville være "
        "med til at bygge en dæmning. Det ville {name} gerne, og de tre arbejdede sammen i "
        "næsten en time og grinede højt, da vandet brød igennem.",
        "På vejen hjem sad {name} ved siden af en af dem i bussen og viste billeder på "
        "telefonen. Det er første gang i dette skoleår, jeg har set {name} tale så meget "
        "med en jævnaldrende.",
        "Jeg ringede til far efter skoletid og fortalte om dagen. Far sagde, at {name} "
        "havde været bange for turen hele weekenden, og at han ville rose {name} for at "
        "være taget med.",
    ),
    (
        "{name} kom kl. 8.15 og virkede i godt humør. I første lektion arbejdede vi med en "
        "læsetekst om vikinger, og {name} læste to sider selv og svarede på spørgsmålene "
        "bagefter.",
        "I frikvarteret opstod der en konflikt ved bordtennisbordet. En anden elev tog "
        "bolden, og {name} råbte og kastede batten mod væggen. Jeg gik hen og bad {name} "
        "gå med ind i grupperummet.",
        "Det tog lang tid, før {name} kunne tale om det. {name} sad med armene over kors og "
        "sagde, at det altid er {name}, der får skylden. Jeg lyttede og sagde, at jeg havde "
        "set, at bolden blev taget først.",
        "Da {name} var faldet til ro, talte vi om, hvad {name} kan gøre næste gang: gå væk "
        "og hente en voksen i stedet for at kaste med noget. {name} foreslog selv at sige "
        "undskyld til den anden elev, og det skete før frokost.",
        "Resten af dagen gik roligt. Jeg har sendt en besked til mor, så hun hører om "
        "konflikten fra os og ved, at {name} selv fandt en god løsning.",
    ),
    (
        "I dag skulle klassen have en kort læseprøve, og vi havde fortalt {name} om den "
        "dagen før, som vi aftalte med PPR. Alligevel var {name} urolig fra "
        "morgensamlingen og spurgte flere gange, om prøven tæller.",
        "{name} fik lov til at tage prøven i det lille lokale med mig ved siden af. De "
        "første fem minutter skrev {name} ingenting og sad bare og kiggede på papiret.",
        "Jeg foreslog, at vi tog én opgave ad gangen, og dækkede resten af arket med en "
        "bog. Så gik det. {name} svarede på alle opgaver i første del og sagde selv stop "
        "efter anden del.",
        "Bagefter var {name} træt og ville hvile sig i sofaen i et kvarter. Efter frokost "
        "var {name} med til idræt, men holdt sig i udkanten af legen.",
        "Resultatet er ikke det vigtige her. Det vigtige er, at {name} tog prøven i stedet "
        "for at blive hjemme. Jeg fortæller kontaktlæreren om det på teammødet torsdag.",
    ),
]
STATUS_NOTE = (
    "Status for perioden: {name} har haft et fremmøde på omkring {percent} % i de seneste "
    "fire uger. Morgenerne er fortsat det sværeste, men {name} deltager nu i morgensamlingen "
    "de fleste dage og har fået en fast makker i værkstedet. Fagligt arbejder {name} "
    "stabilt i dansk og matematik i korte moduler. Vi fortsætter med den faste voksen om "
    "morgenen og den ugentlige samtale med kontaktlæreren."
)

CHALLENGES = {
    Area.Code.ATTENDANCE: [
        "Har svært ved at komme afsted om morgenen; fravær især mandag og efter ferier.",
        "Langvarigt fravær fra tidligere skole, to perioder på mere end tre måneder.",
    ],
    Area.Code.LEARNING: [
        "Store faglige huller i matematik efter lang tids fravær.",
        "Undgår opgaver, der kan bedømmes, og giver op, hvis noget virker svært.",
    ],
    Area.Code.SOCIAL: [
        "Har ingen faste venner på skolen og trækker sig i frikvarterer.",
        "Bruger meget tid online om natten og har få fritidsinteresser uden for hjemmet.",
    ],
    Area.Code.EMOTIONAL: [
        "Bekymringer og ondt i maven før skoledage; angst i nye situationer.",
        "Vrede udbrud ved uforudsete skift i dagen.",
    ],
    Area.Code.HEALTH: ["Uregelmæssig døgnrytme og for lidt søvn i hverdagen."],
    Area.Code.FAMILY: ["Forældrene er usikre på, hvordan de skal støtte om morgenen."],
}
GOALS = [
    (
        Area.Code.ATTENDANCE,
        "Kommer i skole fire dage om ugen",
        "Fremmøde på mindst 80 % over fire uger, målt i fraværsregistreringen.",
        "Fast voksen tager imod om morgenen; patruljen ringer mandag og torsdag.",
    ),
    (
        Area.Code.LEARNING,
        "Arbejder 30 minutter i træk med dansk",
        "Kan arbejde selvstændigt i 30 minutter tre gange om ugen.",
        "Korte moduler med tydelig start og slut; valg mellem to opgaver.",
    ),
    (
        Area.Code.SOCIAL,
        "Deltager i en fælles aktivitet om ugen",
        "Er med i fredagens fællesspil eller værkstedet sammen med mindst én anden elev.",
        "Voksen inviterer personligt og sidder med de første gange.",
    ),
    (
        Area.Code.EMOTIONAL,
        "Siger til, når bekymringen bliver for stor",
        "Bruger det aftalte kort til at bede om en pause i stedet for at gå hjem.",
        "Pausekort, aftalt pauserum, ugentlig samtale med kontaktlærer.",
    ),
]


# A pupil starts here at least this long after starting school, so that the
# intake has an earlier school to tell about.
MIN_DAYS_OF_EARLIER_SCHOOLING = 240


def school_year_of(day: date) -> int:
    """Return the year in which the school year around `day` began.

    July counts to the school year that ends, August to the one that begins.
    """
    return day.year if day.month >= 8 else day.year - 1


def first_school_day(year: int) -> date:
    """Return the usual first school day of the school year beginning in `year`.

    Danish schools usually start on the Monday of ISO week 33.
    """
    return date.fromisocalendar(year, 33, 1)


def last_school_day(year: int) -> date:
    """Return the usual last school day of the school year beginning in `year`.

    Danish schools usually break up on the Friday of ISO week 26.
    """
    return date.fromisocalendar(year + 1, 26, 5)


def grade_on(date_of_birth: date, day: date) -> int:
    """Return the grade on `day` of a pupil who has never skipped or repeated one.

    Danish children start in 0. klasse in August of the year they turn six.
    The result is negative before that.
    """
    return school_year_of(day) - date_of_birth.year - 6


def next_school_day(day: date) -> date:
    """Return the first school day on or after `day`, skipping weekends and summer."""
    year = school_year_of(day)
    if day > last_school_day(year):
        day = first_school_day(year + 1)
    elif day < first_school_day(year):
        day = first_school_day(year)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _start_date(rng, today: date, date_of_birth: date) -> date:
    """Return a start date here that leaves the pupil time at an earlier school."""
    earliest = first_school_day(date_of_birth.year + 6) + timedelta(
        days=MIN_DAYS_OF_EARLIER_SCHOOLING
    )
    offsets = [60, 120, 200, 300, 400, 500, 700]
    possible = [days for days in offsets if today - timedelta(days=days) >= earliest]
    start = today - timedelta(days=rng.choice(possible or offsets[:1]))
    return min(next_school_day(start), today)


def _aware(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _is_usual_school_day(day: date) -> bool:
    """Return whether `day` is a weekday outside the usual Danish school breaks.

    The breaks are the summer holiday, the autumn break (ISO week 42), the
    Christmas holiday (21 December to 1 January) and the winter break (ISO week 7).
    NOTE: Easter and the single public holidays in spring are not skipped.
    """
    year = school_year_of(day)
    christmas = (day.month, day.day) >= (12, 21) or (day.month, day.day) == (1, 1)
    return (
        day.weekday() < 5
        and first_school_day(year) <= day <= last_school_day(year)
        and day.isocalendar().week not in (7, 42)
        and not christmas
    )


def _school_days(start: date, end: date):
    day = start
    while day <= end:
        if _is_usual_school_day(day):
            yield day
        day += timedelta(days=1)


def _create_staff(school: School) -> dict[str, object]:
    user_model = get_user_model()
    users = {}
    for person in STAFF:
        user = user_model.objects.create_user(
            username=person.username,
            password=DEMO_PASSWORD,
            first_name=person.first_name,
            last_name=person.last_name,
            email=f"{person.username}@kanonskolen.example",
        )
        user.groups.add(Group.objects.get(name=person.role))
        StaffMember.objects.create(user=user, school=school, title=person.title)
        users[person.username] = user

    return users


def _long_story(story: tuple[str, ...], name: str) -> str:
    return "\n\n".join(part.format(name=name) for part in story)


def _daily_text(rng: random.Random, name: str) -> str:
    situations = [situation for situation, _weight in DAY_SITUATIONS]
    weights = [weight for _situation, weight in DAY_SITUATIONS]
    situation = rng.choices(situations, weights)[0]
    sentences = [rng.choice(situation.openings)]
    sentences += rng.sample(situation.middles, rng.randint(1, situation.max_middles))
    if situation.closings:
        sentences.append(rng.choice(situation.closings))
    clock = rng.choice(situation.clocks)
    return " ".join(sentences).format(name=name, clock=clock)


def _entry_text(rng: random.Random, kind: str, name: str, *, untold: list) -> str:
    """Return an invented text of `kind`. A long daily entry uses a story from `untold`."""
    if kind == Entry.Kind.DAILY:
        if untold and rng.random() < 0.08:
            return _long_story(rng.choice(untold), name)
        return _daily_text(rng, name)

    pools = {
        Entry.Kind.PARENT_CONTACT: PARENT_CONTACT,
        Entry.Kind.MEETING: MEETINGS,
        Entry.Kind.OBSERVATION: OBSERVATIONS,
        Entry.Kind.PUPIL_CONVERSATION: PUPIL_CONVERSATIONS,
        Entry.Kind.ACTION: ACTIONS,
    }
    if kind == Entry.Kind.STATUS_NOTE:
        return STATUS_NOTE.format(name=name, percent=rng.randint(45, 92))
    return rng.choice(pools[kind]).format(name=name)


# A pupil's log repeats no text within this many days. The pools of some kinds
# hold only two to four texts, so a kind with no fresh text left gives way to
# another draw of the kind.
REPEAT_WINDOW_DAYS = 30
TRIES_PER_KIND = 4
MAX_TRIES = 24


def _fresh_kind_and_text(rng, kinds, weights, name, day, last_used, untold):
    """Return a kind and a text that the pupil's log has not had in the window."""
    kind = rng.choices(kinds, weights)[0]
    for attempt in range(1, MAX_TRIES + 1):
        text = _entry_text(rng, kind, name, untold=untold)
        used_on = last_used.get(text)
        if used_on is None or (day - used_on).days >= REPEAT_WINDOW_DAYS:
            return kind, text
        if attempt % TRIES_PER_KIND == 0:
            kind = rng.choices(kinds, weights)[0]
    # NOTE: reached only if every draw repeats a recent text, which the thousands
    # of daily texts make very unlikely. The repeat is then accepted.
    return kind, text


KIND_WEIGHTS = [
    (Entry.Kind.DAILY, 60),
    (Entry.Kind.PARENT_CONTACT, 14),
    (Entry.Kind.OBSERVATION, 8),
    (Entry.Kind.PUPIL_CONVERSATION, 5),
    (Entry.Kind.MEETING, 5),
    (Entry.Kind.ACTION, 4),
    (Entry.Kind.STATUS_NOTE, 4),
]


def _create_pupil_plan(rng, pupil, staff_for_group, coordinators, areas, today):
    name = pupil.first_name
    coordinator = rng.choice(coordinators)

    challenge_codes = rng.sample(list(CHALLENGES), 3)
    if Area.Code.ATTENDANCE not in challenge_codes:
        challenge_codes[0] = Area.Code.ATTENDANCE
    for code in challenge_codes:
        Challenge.objects.create(
            pupil=pupil,
            area=areas[code],
            description=rng.choice(CHALLENGES[code]),
            since=max(
                pupil.start_date - timedelta(days=rng.randint(200, 900)),
                first_school_day(pupil.date_of_birth.year + 6),
            ),
            status=rng.choice(
                [Challenge.Status.OPEN] * 3 + [Challenge.Status.IMPROVING]
            ),
            updated_by=coordinator,
        )

    goals = []
    for code, title, criteria, actions in rng.sample(GOALS, 3):
        goals.append(
            Goal.objects.create(
                pupil=pupil,
                area=areas[code],
                title=title,
                success_criteria=criteria,
                actions=actions,
                responsible=f"{coordinator.get_full_name()} og kontaktlærer",
                start_date=pupil.start_date + timedelta(days=14),
                review_date=today + timedelta(days=rng.randint(7, 90)),
                updated_by=coordinator,
            )
        )
    Goal.objects.create(
        pupil=pupil,
        parent=goals[0],
        area=goals[0].area,
        title="Møder til morgensamling kl. 8.30 to dage om ugen",
        start_date=pupil.start_date + timedelta(days=14),
        updated_by=coordinator,
    )

    FrontPage.objects.create(
        pupil=pupil,
        overview=(
            f"{name} startede på skolen {pupil.start_date:%d.%m.%Y} efter en længere periode "
            f"med højt fravær. {name} er nysgerrig og hjælpsom, når trygheden er der, men "
            "reagerer stærkt på skift og nye voksne. Planen bygger på en fast voksen om "
            "morgenen, korte faglige moduler og tæt kontakt til hjemmet."
        ),
        resources=rng.choice(
            [
                "God til at tegne og bygge. Stærk relation til lillesøster.",
                "Interesseret i dyr og natur. Humoristisk og hjælpsom over for yngre elever.",
                "Dygtig til computerspil og engelsk. Har en morfar, der gerne kører.",
            ]
        ),
        updated_by=coordinator,
    )

    entries = []
    first_day = max(pupil.start_date, today - timedelta(days=365))
    kinds = [kind for kind, _weight in KIND_WEIGHTS]
    weights = [weight for _kind, weight in KIND_WEIGHTS]
    last_used: dict[str, date] = {}
    untold = list(LONG_STORIES)
    for day in _school_days(first_day, today):
        if rng.random() > 0.45:
            continue
        kind, text = _fresh_kind_and_text(
            rng, kinds, weights, name, day, last_used, untold
        )
        last_used[text] = day
        untold = [story for story in untold if _long_story(story, name) != text]
        author = (
            coordinator
            if kind in (Entry.Kind.MEETING, Entry.Kind.STATUS_NOTE)
            else (rng.choice(staff_for_group))
        )
        shared = (
            kind in (Entry.Kind.STATUS_NOTE, Entry.Kind.MEETING) or rng.random() < 0.1
        )
        entry = Entry(
            pupil=pupil,
            concerns_date=day,
            author=author,
            created_at=_aware(day, rng.randint(9, 15), rng.randint(0, 59)),
            kind=kind,
            text=text,
            goal=rng.choice(goals) if rng.random() < 0.25 else None,
            shared_with_parents=shared and rng.random() < 0.7,
            shared_with_caseworker=shared,
            shared_with_municipality=shared and kind != Entry.Kind.PARENT_CONTACT,
        )
        entries.append(entry)

    Entry.objects.bulk_create(entries)
    area_links = []
    area_list = list(areas.values())
    for entry in entries:
        for area in rng.sample(area_list, rng.randint(0, 2)):
            area_links.append(Entry.areas.through(entry_id=entry.pk, area_id=area.pk))
    Entry.areas.through.objects.bulk_create(area_links)

    _add_corrections(rng, entries, coordinator)
    _add_reviews(rng, goals, entries, coordinator)


def _add_corrections(rng, entries, coordinator):
    for entry in rng.sample(entries, min(3, len(entries))):
        Amendment.objects.create(
            entry=entry,
            author=entry.author,
            created_at=entry.created_at + timedelta(days=rng.randint(1, 4)),
            text="Tilføjelse: mor har siden fortalt, at der var sket noget i bussen samme morgen.",
        )
    if len(entries) > 10:
        mistaken = entries[rng.randrange(len(entries))]
        mistaken.struck_at = mistaken.created_at + timedelta(hours=2)
        mistaken.struck_by = coordinator
        mistaken.strike_reason = "Skrevet på den forkerte elev."
        mistaken.save(update_fields=["struck_at", "struck_by", "strike_reason"])


def _add_reviews(rng, goals, entries, coordinator):
    for goal in goals[:2]:
        linked = [entry for entry in entries if entry.goal_id == goal.pk][:3]
        if not linked:
            continue
        review = GoalReview.objects.create(
            goal=goal,
            reviewed_on=linked[-1].concerns_date,
            author=coordinator,
            text="Delvist nået. Der er fremgang, men målet fastholdes til næste evaluering.",
            status=Goal.Status.ACTIVE,
        )
        review.entries.set(linked)


@transaction.atomic
def populate(*, seed: int = 2026, today: date | None = None) -> School:
    """Create the demo school, or return it untouched if it exists already."""
    existing = School.objects.filter(name=SCHOOL_NAME).first()
    if existing is not None:
        return existing

    rng = random.Random(seed)
    today = today or timezone.localdate()
    school = School.objects.create(
        name=SCHOOL_NAME,
        address="Skolevej 12\n8000 Aarhus C",
        leader_name="Lene Skov",
        phone="86 12 34 56",
        email="kontor@kanonskolen.example",
    )
    users = _create_staff(school)
    areas = {area.code: area for area in Area.objects.all()}
    coordinators = [users["karen"], users["rasmus"]]

    groups = {}
    for group_name in GROUPS:
        group = PupilGroup.objects.create(school=school, name=group_name)
        group.staff.set(
            [users[person.username] for person in STAFF if group_name in person.groups]
        )
        groups[group_name] = group

    first_names = rng.sample(FIRST_NAMES, len(FIRST_NAMES))
    for index, first_name in enumerate(first_names):
        group_name = list(GROUPS)[index % len(GROUPS)]
        low, high = GROUPS[group_name]
        grade = rng.randint(low, high)
        date_of_birth = date(
            school_year_of(today) - grade - 6, rng.randint(1, 12), rng.randint(1, 28)
        )
        staff_for_group = list(groups[group_name].staff.all())
        pupil = Pupil.objects.create(
            school=school,
            group=groups[group_name],
            first_name=first_name,
            last_name=LAST_NAMES[index % len(LAST_NAMES)],
            date_of_birth=date_of_birth,
            grade=grade,
            start_date=_start_date(rng, today, date_of_birth),
            contact_teacher=staff_for_group[index % len(staff_for_group)],
            municipality=rng.choice(MUNICIPALITIES),
            caseworker_name=rng.choice(CASEWORKERS),
            caseworker_phone=f"87 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            ppr_contact="PPR Aarhus, psykolog Mads Thomsen",
        )
        Guardian.objects.create(
            pupil=pupil,
            name=f"{rng.choice(['Anne', 'Trine', 'Maria', 'Helle'])} {pupil.last_name}",
            relation="mor",
            phone=f"2{rng.randint(1000000, 9999999)}",
            email=f"foraelder{index}@example.com",
        )
        Guardian.objects.create(
            pupil=pupil,
            name=f"{rng.choice(['Thomas', 'Kasper', 'Anders', 'Morten'])} {pupil.last_name}",
            relation="far",
            phone=f"4{rng.randint(1000000, 9999999)}",
            may_receive_plan=index % 5 != 0,
        )
        _create_pupil_plan(rng, pupil, staff_for_group, coordinators, areas, today)

    return school
