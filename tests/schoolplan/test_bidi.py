"""Dropping the bidi controls that staff text leaves unpaired."""

import pytest

from schoolplan.bidi import (
    drop_unpaired_bidi_controls,
    drop_unpaired_bidi_controls_in_html,
)

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ingen styretegn", "Ingen styretegn"),
        (f"a{RLO}b", "ab"),
        (f"a{LRO}b{RLE}c", "abc"),
        (f"a{RLO}b{PDF}c", f"a{RLO}b{PDF}c"),
        (f"a{PDF}b", "ab"),
        (f"a{RLI}b{PDI}c", f"a{RLI}b{PDI}c"),
        (f"a{FSI}b", "ab"),
        (f"a{PDI}b", "ab"),
        # PDI closes the override opened inside its isolate.
        (f"{LRI}a{RLO}b{PDI}c", f"{LRI}a{RLO}b{PDI}c"),
        # PDF cannot close an override from inside a later isolate.
        (f"{RLO}a{RLI}b{PDF}c{PDI}", f"a{RLI}bc{PDI}"),
        (f"{LRE}{RLE}a{PDF}", f"{RLE}a{PDF}"),
        (f"{RLE}a{PDF}{PDF}", f"{RLE}a{PDF}"),
    ],
)
def test_drop_unpaired_bidi_controls(text, expected):
    assert drop_unpaired_bidi_controls(text) == expected


def test_html_pairs_only_within_text_node():
    html = f'<p title="x{RLO}">A{RLO}B</p><p>C{RLO}<b>D</b>{PDF}E</p>'

    result = drop_unpaired_bidi_controls_in_html(html)

    assert result == f'<p title="x{RLO}">AB</p><p>C<b>D</b>E</p>'


def test_html_keeps_pair_within_text_node():
    html = f"<p>Anna {RLO}Holm{PDF} · Delt med forældre</p>"

    assert drop_unpaired_bidi_controls_in_html(html) == html
