"""The plan PDF itself: what each audience receives, page furniture, layout, escaping.

Each test renders a real PDF with WeasyPrint and reads its text back with pypdf.
"""

import io
import re
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from absence import services as absence_services
from absence.models import Success
from schoolplan import documents, roles, sections
from schoolplan.models import Amendment, Area, Entry, FrontPage, School
from schoolplan.sections import Audience, Period, Section
from tests.factories import EntryFactory, GoalFactory, make_staff
from tests.pdf_reading import (
    fonts,
    full_text,
    image_count,
    link_targets,
    page_texts,
)

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PERIOD = Period(date(2026, 8, 1), date(2027, 7, 31))

# Which entry text each audience may receive. The struck entry is shared with
# everyone, but an outside audience never receives a struck-through entry.
SHARED_ENTRIES = {
    "Kun internt: søvnen er stadig et problem.": {Audience.INTERNAL},
    "Til forældrene: madpakken var en succes.": {Audience.INTERNAL, Audience.PARENTS},
    "Til sagsbehandleren: netværksmødet er flyttet.": {
        Audience.INTERNAL,
        Audience.CASEWORKER,
    },
    "Til kommunen: fremmødet er steget til 70 %.": {
        Audience.INTERNAL,
        Audience.MUNICIPALITY,
    },
    "Til alle: Søren læste højt for klassen.": set(Audience.values),
}
STRUCK_TEXT = "Skrevet på den forkerte elev ved en fejl."


def _render(pupil, audience, made_by, period=PERIOD):
    return documents.render_plan(pupil, period, audience, made_by=made_by)


def _add_sharing_cases(pupil, author):
    for text, audiences in SHARED_ENTRIES.items():
        EntryFactory(
            pupil=pupil,
            author=author,
            text=text,
            shared_with_parents=Audience.PARENTS in audiences,
            shared_with_caseworker=Audience.CASEWORKER in audiences,
            shared_with_municipality=Audience.MUNICIPALITY in audiences,
        )
    EntryFactory(
        pupil=pupil,
        author=author,
        text=STRUCK_TEXT,
        shared_with_parents=True,
        shared_with_caseworker=True,
        shared_with_municipality=True,
        struck_by=author,
        struck_at="2026-11-03T10:00:00+01:00",
        strike_reason="Forkert elev.",
    )


def _flat(text: str) -> str:
    """Join the lines pypdf breaks a paragraph into, so phrases can be found."""
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("audience", Audience.values)
def test_audience_gets_only_shared_entries(audience, pupil, teacher, leader):
    _add_sharing_cases(pupil, teacher)

    text = _flat(full_text(_render(pupil, audience, leader).pdf))

    for entry_text, audiences in SHARED_ENTRIES.items():
        if audience in audiences:
            assert entry_text in text, f"{audience} should receive {entry_text!r}"
        else:
            assert entry_text not in text, f"{audience} must not get {entry_text!r}"


@pytest.mark.parametrize("audience", Audience.values)
def test_struck_entry_only_in_internal_version(audience, pupil, teacher, leader):
    _add_sharing_cases(pupil, teacher)

    text = _flat(full_text(_render(pupil, audience, leader).pdf))

    assert (STRUCK_TEXT in text) == (audience == Audience.INTERNAL)


def test_entries_outside_period_left_out(pupil, teacher, leader):
    EntryFactory(
        pupil=pupil,
        author=teacher,
        text="Før perioden.",
        concerns_date=date(2026, 7, 31),
    )
    EntryFactory(
        pupil=pupil, author=teacher, text="I perioden.", concerns_date=date(2026, 8, 1)
    )
    EntryFactory(
        pupil=pupil,
        author=teacher,
        text="Efter perioden.",
        concerns_date=date(2027, 8, 1),
    )

    text = full_text(_render(pupil, Audience.INTERNAL, leader).pdf)

    assert "I perioden." in text
    assert "Før perioden." not in text
    assert "Efter perioden." not in text


def _fill_log(pupil, author, count):
    Entry.objects.bulk_create(
        Entry(
            pupil=pupil,
            author=author,
            kind=Entry.Kind.DAILY,
            concerns_date=date(2026, 8, 10 + number % 20),
            text=f"Dagbog {number}: Søren mødte kl. 9 og arbejdede roligt med dansk.",
            shared_with_parents=True,
        )
        for number in range(count)
    )


def test_pages_numbered_side_x_af_n(pupil, teacher, leader):
    _fill_log(pupil, teacher, 120)

    rendered = _render(pupil, Audience.PARENTS, leader)
    pages = page_texts(rendered.pdf)

    assert len(pages) == rendered.page_count
    assert rendered.page_count >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Side {number} af {rendered.page_count}" in text


def test_page_header_names_pupil_fortroligt(pupil, teacher, leader):
    _fill_log(pupil, teacher, 120)

    pages = page_texts(_render(pupil, Audience.PARENTS, leader).pdf)

    for number, text in enumerate(pages, start=1):
        assert "Søren Ærø" in text, f"page {number} lacks the pupil's name"
        assert "Fortroligt" in text, f"page {number} lacks the confidentiality mark"


def test_danish_letters_in_embedded_font(pupil, teacher, leader):
    FrontPage.objects.create(
        pupil=pupil, overview="Åse og Søren spiste æblegrød på Ærø. ÆØÅ æøå."
    )

    pdf = _render(pupil, Audience.PARENTS, leader).pdf

    assert "Åse og Søren spiste æblegrød på Ærø. ÆØÅ æøå." in full_text(pdf)
    used = fonts(pdf)
    assert used, "the PDF uses no fonts"
    assert all(name.startswith("Source-Sans-3") for name in used), used
    assert all(used.values()), f"fonts not embedded: {used}"


def test_cover_lists_recipient_and_contact(pupil, teacher, leader):
    pupil.contact_teacher = teacher
    pupil.save()

    first_page = _flat(page_texts(_render(pupil, Audience.CASEWORKER, leader).pdf)[0])

    assert "Kanonskolen" in first_page
    assert "Søren Ærø" in first_page
    assert "1. august 2026 – 31. juli 2027" in first_page
    assert "Modtager Sagsbehandler" in first_page
    assert f"Kontaktperson {teacher.get_full_name()}, kontaktlærer" in first_page


@pytest.mark.parametrize("audience", Audience.values)
def test_full_cover_fits_one_page(audience, pupil, teacher, leader):
    """The contents list ends on the cover, not with one line on a page of its own."""
    school = pupil.school
    school.address = "Skolevej 12\n8000 Aarhus C"
    school.phone, school.email = "86 12 34 56", "kontor@kanonskolen.example"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (31, 95, 139)).save(buffer, format="PNG")
    school.logo.save("logo.png", ContentFile(buffer.getvalue()))
    teacher.email = "laerer@kanonskolen.example"
    teacher.save()
    pupil.contact_teacher = teacher
    pupil.save()

    pages = page_texts(_render(pupil, audience, leader).pdf)

    assert "Om dokumentet" in _flat(pages[0])
    assert "Indhold" in _flat(pages[0])


def test_end_section_names_maker_and_time(pupil, leader):
    leader.first_name, leader.last_name = "Lene", "Skov"
    leader.save()

    rendered = documents.render_plan(
        pupil,
        PERIOD,
        Audience.PARENTS,
        made_by=leader,
        made_at=timezone.make_aware(datetime(2026, 12, 3, 14, 5)),
    )
    last_page = _flat(page_texts(rendered.pdf)[-1])

    assert "Om dokumentet" in last_page
    assert "Udarbejdet af Lene Skov, Kanonskolen, den 3. december 2026 kl. 14.05." in (
        last_page
    )


def test_school_logo_on_cover(pupil, leader):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (31, 95, 139)).save(buffer, format="PNG")
    pupil.school.logo.save("logo.png", ContentFile(buffer.getvalue()))

    pdf = _render(pupil, Audience.PARENTS, leader).pdf

    assert image_count(pdf) == 1


@pytest.fixture
def extra_section(settings):
    """Register sections as another app would; remove them afterwards."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], TEST_TEMPLATES]}]
    keys = []

    def register(section):
        sections.register(section)
        keys.append(section.key)

    yield register
    for key in keys:
        sections.unregister(key)


def test_other_app_section_for_audience(extra_section, pupil, leader):
    extra_section(
        Section(
            "test_successes",
            "Succeser fra en anden app",
            "tests/marker_section.html",
            70,
            lambda pupil, period, audience: {"marker": "Markør fra fraværsappen"},
            audiences=frozenset({Audience.PARENTS}),
        )
    )

    for_parents = full_text(_render(pupil, Audience.PARENTS, leader).pdf)
    for_municipality = full_text(_render(pupil, Audience.MUNICIPALITY, leader).pdf)

    assert "Succeser fra en anden app" in for_parents
    assert "Markør fra fraværsappen" in for_parents
    assert "Markør fra fraværsappen" not in for_municipality


def test_section_off_front_page_still_in_pdf(extra_section, pupil, leader):
    extra_section(
        Section(
            "test_appendix",
            "Bilag kun til PDF",
            "tests/marker_section.html",
            950,
            lambda pupil, period, audience: {"marker": "Kun i dokumentet"},
            on_front_page=False,
        )
    )

    text = full_text(_render(pupil, Audience.INTERNAL, leader).pdf)

    assert "Løbende log" in text
    assert "Kun i dokumentet" in text


def test_long_table_repeats_header_keeps_rows(extra_section, pupil, leader):
    rows = [f"{number:03d}" for number in range(1, 121)]
    extra_section(
        Section(
            "test_table",
            "Lang tabel",
            "tests/long_table_section.html",
            60,
            lambda pupil, period, audience: {"rows": rows},
        )
    )

    pages = page_texts(_render(pupil, Audience.INTERNAL, leader).pdf)

    table_pages = [text for text in pages if "start-" in text]
    assert len(table_pages) >= 2, "the table should span several pages"
    for text in table_pages:
        assert "Kolonnehoved uge" in text
    for row in rows:
        holding = [text for text in pages if f"Række {row}" in text]
        assert len(holding) == 1, f"row {row} appears on {len(holding)} pages"
        assert f"start-{row}" in holding[0]
        assert f"slut-{row}" in holding[0], f"row {row} was split across pages"


def test_long_entry_splits_below_heading(pupil, teacher, leader):
    paragraphs = [f"Afsnit {number:02d} om en lang dag." * 6 for number in range(60)]
    entry = EntryFactory(
        pupil=pupil,
        author=teacher,
        text="\n\n".join(paragraphs),
        shared_with_parents=True,
    )
    Amendment.objects.create(entry=entry, author=teacher, text="Tilføjet bagefter.")

    pages = page_texts(_render(pupil, Audience.PARENTS, leader).pdf)

    first = next(index for index, text in enumerate(pages) if "Afsnit 00" in text)
    last = next(index for index, text in enumerate(pages) if "Afsnit 59" in text)
    assert last > first, "the entry should continue on a later page"
    assert "Mandag 2. november" in pages[first], "the heading left its first lines"
    text = "".join(pages)
    missing = [number for number in range(60) if f"Afsnit {number:02d}" not in text]
    assert missing == []
    amendment = next(i for i, text in enumerate(pages) if "Tilføjet bagefter." in text)
    assert amendment >= last


HOSTILE_TEXT = (
    '<img src="file:///etc/passwd"> <b>fed</b> <script>alert(1)</script> '
    '<a href="https://example.com/">link</a>'
)


def test_staff_markup_printed_as_text(pupil, teacher, leader):
    EntryFactory(
        pupil=pupil, author=teacher, text=HOSTILE_TEXT, shared_with_parents=True
    )

    pdf = _render(pupil, Audience.PARENTS, leader).pdf
    text = _flat(full_text(pdf))

    assert '<img src="file:///etc/passwd">' in text
    assert "<b>fed</b>" in text
    assert "<script>alert(1)</script>" in text
    assert "root:" not in text
    assert image_count(pdf) == 0
    assert link_targets(pdf) == []


def _long_word(start: str) -> str:
    """Return a word of more than 300 letters, far wider than an A4 line."""
    return start + "abcdefghij" * 30 + "Slut"


def test_long_words_wrap_and_stay_whole(pupil, teacher, leader):
    words = {
        place: _long_word(place.capitalize())
        for place in ("notat", "tilfojelse", "overblik", "ressourcer", "succes")
    }
    entry = EntryFactory(pupil=pupil, author=teacher, text=f"Se {words['notat']} her.")
    Amendment.objects.create(entry=entry, author=teacher, text=words["tilfojelse"])
    FrontPage.objects.create(
        pupil=pupil, overview=words["overblik"], resources=words["ressourcer"]
    )
    GoalFactory(pupil=pupil, success_criteria=words["succes"])

    text = full_text(_render(pupil, Audience.INTERNAL, leader).pdf)

    # pypdf reads back glyphs drawn past the margin as well, so a word cut off
    # at the margin still reads whole, but on one line.
    joined = re.sub(r"\s+", "", text)
    for place, word in words.items():
        assert word not in text, f"the long word in {place} ran past the margin"
        assert word in joined, f"letters of the long word in {place} are missing"


def test_long_word_in_table_cell_wraps(pupil):
    # The cover and the end of the document name the maker in a table cell.
    first_name = _long_word("Navn")[:150]
    maker = make_staff(
        school=pupil.school,
        role=roles.LEADERSHIP,
        username="lang",
        first_name=first_name,
    )

    text = full_text(_render(pupil, Audience.INTERNAL, maker).pdf)

    assert first_name not in text, "the name ran past the margin on one line"
    assert first_name in re.sub(r"\s+", "", text)


RIGHT_TO_LEFT_OVERRIDE = "\u202e"


def test_bidi_override_stays_in_its_text(pupil, teacher, leader):
    # WeasyPrint lays out each text node on its own. An unpaired override thus
    # reverses the template text after the value in the same text node, such
    # as the document id after the school name in the footer.
    School.objects.filter(pk=pupil.school_id).update(
        name=f"Kanon{RIGHT_TO_LEFT_OVERRIDE}skolen"
    )
    pupil.group.name = f"Ege{RIGHT_TO_LEFT_OVERRIDE}holdet"
    pupil.group.save()
    pupil.refresh_from_db()
    author = make_staff(
        school=pupil.school,
        role=roles.TEACHER,
        groups=[pupil.group],
        username="omvendt",
        first_name="Anna",
        last_name=f"Ho{RIGHT_TO_LEFT_OVERRIDE}lm",
    )
    entry_text = f"Før {RIGHT_TO_LEFT_OVERRIDE}efter"
    entry = EntryFactory(
        pupil=pupil, author=author, text=entry_text, shared_with_parents=True
    )

    reference = uuid.UUID("0123abcd-0000-4000-8000-000000000000")

    pdf = documents.render_plan(
        pupil, PERIOD, Audience.INTERNAL, made_by=leader, reference=reference
    ).pdf

    pages = page_texts(pdf)
    footer = "Kanonskolen · dokument 0123abcd"
    for number, text in enumerate(pages, start=1):
        assert footer in text, f"the footer of page {number} is reordered"
    text = _flat("\n".join(pages))
    assert "Egeholdet · 6. klasse" in text
    assert "Anna Holm · Delt med forældre" in text
    assert "Før efter" in text
    entry.refresh_from_db()
    assert entry.text == entry_text, "the stored text lost its control character"


def _success(pupil, teacher, text, *, shared_with_parents=False):
    success = absence_services.success_create(
        pupil=pupil,
        user=teacher,
        day=date(2026, 11, 2),
        area=Area.objects.get(code=Area.Code.ATTENDANCE),
        pattern=Success.Pattern.HARD_MORNING,
        what_happened=text,
    )
    Entry.objects.filter(pk=success.entry_id).update(
        shared_with_parents=shared_with_parents
    )


@pytest.mark.parametrize("audience", Audience.values)
def test_success_text_follows_its_entrys_sharing(audience, pupil, teacher, leader):
    _success(pupil, teacher, "Kom ind sammen med Mads fra 7. b.")
    _success(pupil, teacher, "Spiste frokost i klassen.", shared_with_parents=True)

    text = _flat(full_text(_render(pupil, audience, leader).pdf))

    internal_text_shown = "Kom ind sammen med Mads fra 7. b." in text
    shared_text_shown = "Spiste frokost i klassen." in text
    assert internal_text_shown == (audience == Audience.INTERNAL)
    assert shared_text_shown == (audience in {Audience.INTERNAL, Audience.PARENTS})
    assert "2 succeser i dette skoleår." in text


def test_outside_audience_gets_newest_note_shared_with_it(pupil, teacher, leader):
    EntryFactory(
        pupil=pupil,
        author=teacher,
        kind=Entry.Kind.STATUS_NOTE,
        text="Status til sagsbehandleren: fremmødet er stabilt.",
        concerns_date=date(2026, 10, 1),
        shared_with_caseworker=True,
    )
    EntryFactory(
        pupil=pupil,
        author=teacher,
        kind=Entry.Kind.STATUS_NOTE,
        text="Intern status: vi overvejer et skift af hold.",
        concerns_date=date(2026, 11, 1),
    )

    caseworker = _flat(full_text(_render(pupil, Audience.CASEWORKER, leader).pdf))
    internal = _flat(full_text(_render(pupil, Audience.INTERNAL, leader).pdf))

    assert "Status til sagsbehandleren: fremmødet er stabilt." in caseworker
    assert "Intern status" not in caseworker
    assert "Intern status: vi overvejer et skift af hold." in internal
