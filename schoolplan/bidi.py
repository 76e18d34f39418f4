"""Keep bidi controls in staff-written text from reordering the text around it.

An embedding, override or isolate (U+202A-U+202E, U+2066-U+2068) reorders
everything after it up to its closing character or the end of the paragraph.
WeasyPrint 70 lays out each text node of the HTML on its own and ignores the
CSS property `unicode-bidi`. So an unclosed U+202E RIGHT-TO-LEFT OVERRIDE in
a school's name would print the document id after it in the page footer
backwards, and one in an author's name the rest of the log entry heading.
"""

import re

# Opened by LRE, RLE, LRO and RLO; closed by U+202C POP DIRECTIONAL FORMATTING.
EMBEDDING_OPENERS = frozenset("\u202a\u202b\u202d\u202e")
POP_DIRECTIONAL_FORMATTING = "\u202c"
# Opened by LRI, RLI and FSI; closed by U+2069 POP DIRECTIONAL ISOLATE.
ISOLATE_OPENERS = frozenset("\u2066\u2067\u2068")
POP_DIRECTIONAL_ISOLATE = "\u2069"

_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A tag, captured so that re.split keeps it. The HTML is the project's own
# template output, and autoescaping turns every `<` and `>` of staff text into
# an entity, so a `>` inside a tag cannot occur.
_TAG = re.compile(r"(<[^>]*>)")


def drop_unpaired_bidi_controls(text: str) -> str:
    """Remove the bidi controls in `text` that nothing in `text` pairs up.

    Controls pair up as in the Unicode Bidirectional Algorithm (UAX #9, rules
    X1-X8). PDF closes the latest embedding or override unless an isolate was
    opened after it. PDI closes the latest isolate and every embedding still
    open inside it. Paired controls stay, so deliberately formatted
    right-to-left text keeps its order, but their effect ends inside `text`.
    """
    if not _BIDI_CONTROL.search(text):
        return text

    unpaired = set()
    open_scopes = []  # Indices of the openers not closed yet, the latest last.
    for index, character in enumerate(text):
        if character in EMBEDDING_OPENERS or character in ISOLATE_OPENERS:
            open_scopes.append(index)
        elif character == POP_DIRECTIONAL_FORMATTING:
            if open_scopes and text[open_scopes[-1]] in EMBEDDING_OPENERS:
                open_scopes.pop()
            else:
                unpaired.add(index)
        elif character == POP_DIRECTIONAL_ISOLATE:
            isolates = [i for i in open_scopes if text[i] in ISOLATE_OPENERS]
            if isolates:
                del open_scopes[open_scopes.index(isolates[-1]) :]
            else:
                unpaired.add(index)
    unpaired.update(open_scopes)

    return "".join(
        character for index, character in enumerate(text) if index not in unpaired
    )


def drop_unpaired_bidi_controls_in_html(html: str) -> str:
    """Apply `drop_unpaired_bidi_controls` to each text node of `html`.

    A text node is the unit that WeasyPrint lays out, so afterwards no bidi
    control reaches past the end of the text node it sits in. Tags and their
    attributes are left as they are.

    NOTE: a text node can hold more than one staff-written value, as in "Made
    by {name}, {school}". An opener in the first value and a closer in the
    second then make a pair, and the template text between them is reordered.
    """
    if not _BIDI_CONTROL.search(html):
        return html

    parts = _TAG.split(html)
    return "".join(
        part if index % 2 else drop_unpaired_bidi_controls(part)
        for index, part in enumerate(parts)
    )
