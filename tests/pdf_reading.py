"""Read rendered PDFs back with pypdf, for assertions about what they hold."""

import io

from pypdf import PdfReader


def reader_for(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    """Return the extracted text of each page, in order."""
    return [page.extract_text() for page in reader_for(data).pages]


def full_text(data: bytes) -> str:
    return "\n".join(page_texts(data))


def link_targets(data: bytes) -> list[str]:
    """Return the URI of every link annotation in the document."""
    targets = []
    for page in reader_for(data).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                targets.append(str(action["/URI"]))
    return targets


def image_count(data: bytes) -> int:
    """Return the number of distinct images the pages draw.

    WeasyPrint shares one resource dictionary between pages, so images are
    counted by object number, not per page.
    """
    images = set()
    for page in reader_for(data).pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for name, reference in xobjects.items():
            if reference.get_object().get("/Subtype") == "/Image":
                images.add(getattr(reference, "idnum", name))
    return len(images)


def fonts(data: bytes) -> dict[str, bool]:
    """Return each font's base name (without the subset prefix) and whether the
    PDF carries the font's glyphs."""
    found = {}
    for page in reader_for(data).pages:
        page_fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in page_fonts.values():
            font = font.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            descriptors = [
                descendant.get_object()["/FontDescriptor"]
                for descendant in font.get("/DescendantFonts") or []
            ]
            found[name] = any(
                key in descriptor
                for descriptor in descriptors
                for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return found
