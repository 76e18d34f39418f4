from django.db import migrations

# The built-in default set (school = NULL) that every school starts from. The
# wording is stored data, not a translation: a school edits it as its own text.
# Each row: question, what 0 means, what 10 means, whether higher is better.
DEFAULT_QUESTIONS = [
    ("Hvordan har du det med at være i skole?", "Rigtig dårligt", "Rigtig godt", True),
    ("Hvor meget har du lyst til at gå i skole?", "Slet ikke", "Rigtig meget", True),
    (
        "Hvor let er det at komme op og ud ad døren om morgenen?",
        "Umuligt",
        "Helt let",
        True,
    ),
    (
        "Hvordan er det at være sammen med de voksne på skolen?",
        "Rigtig svært",
        "Rigtig godt",
        True,
    ),
    (
        "Hvordan er det at være sammen med de andre elever?",
        "Rigtig svært",
        "Rigtig godt",
        True,
    ),
    (
        "Hvor meget tror du på, at du kan lære det, du skal i skolen?",
        "Slet ikke",
        "Fuldt og helt",
        True,
    ),
    (
        "Hvor bekymret er du, før du skal i skole?",
        "Slet ikke bekymret",
        "Meget bekymret",
        False,
    ),
]


def create_default_question_set(apps, schema_editor):
    """Create the default set unless it exists. Tests call this after a flush."""
    QuestionSet = apps.get_model("intake", "QuestionSet")
    ScaledQuestion = apps.get_model("intake", "ScaledQuestion")
    QuestionSetItem = apps.get_model("intake", "QuestionSetItem")

    question_set, created = QuestionSet.objects.get_or_create(
        school=None, version=1
    )
    if not created:
        return

    for position, (text, low, high, higher_is_better) in enumerate(DEFAULT_QUESTIONS):
        question = ScaledQuestion.objects.create(
            text=text,
            low_label=low,
            high_label=high,
            higher_is_better=higher_is_better,
        )
        QuestionSetItem.objects.create(
            question_set=question_set, question=question, position=position
        )


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [
        migrations.RunPython(create_default_question_set, migrations.RunPython.noop)
    ]
