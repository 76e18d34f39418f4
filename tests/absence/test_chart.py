"""Month labels under the week charts."""

from datetime import date

from django.utils import translation

from absence.chart import count_month_ticks


def _labels(first: date, last: date) -> list[str]:
    with translation.override("da"):
        return [label for _x, label in count_month_ticks(first=first, last=last)]


def test_week_into_new_month_gets_its_label():
    # The week of Monday 30 November contains Tuesday 1 December.
    assert _labels(date(2026, 11, 2), date(2026, 12, 4)) == ["nov", "dec"]


def test_month_starting_on_sunday_labels_next_week():
    # 1 February 2026 is a Sunday, so February starts at Monday 2 February.
    assert _labels(date(2026, 1, 5), date(2026, 2, 27)) == ["jan", "feb"]


def test_week_of_month_end_keeps_old_month():
    # Monday 26 to Friday 30 January is January's, not February's.
    assert _labels(date(2026, 1, 5), date(2026, 1, 30)) == ["jan"]


def test_first_week_labelled_unless_month_follows():
    assert _labels(date(2026, 8, 10), date(2026, 9, 25)) == ["aug", "sept"]
    assert _labels(date(2026, 8, 24), date(2026, 9, 25)) == ["sept"]
