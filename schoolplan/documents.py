"""The plan document: the registered plan sections rendered as one PDF by WeasyPrint.

`render_plan_pdf` is the one entry point; views and commands only store and
serve its bytes. The document is drawn from the same registered sections as
the front page (`schoolplan.sections`), so a section that another app
registers appears in the PDF without a change here.

Two things keep rendering safe:

- WeasyPrint loads every stylesheet, font and image through
  `StaticFilesFetcher`, which reads the project's own static files from disk
  and rejects every other URL, so no content can make the server open any
  other file or a network connection.
- WeasyPrint runs in a forked child process that is killed when it passes
  the time limit, so a document that never finishes cannot hold a worker.
"""

import gc
import logging
import multiprocessing
import os
import resource
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from weasyprint.urls import URLFetcher, URLFetcherResponse

from schoolplan.bidi import drop_unpaired_bidi_controls_in_html
from schoolplan.models import Pupil
from schoolplan.sections import Audience, Period, render_context

logger = logging.getLogger(__name__)

# Relative URLs in the document resolve against this base. RFC 2606 reserves
# the .invalid top-level domain so that it never resolves, and the fetcher maps
# these URLs to files on disk without opening any connection.
DOCUMENT_BASE_URL = "https://skoleplan.invalid/"
ATTACHMENT_URL_PREFIX = DOCUMENT_BASE_URL + "attachments/"
LOGO_URL = ATTACHMENT_URL_PREFIX + "school-logo"

# The only kinds of static file a document may load.
STATIC_CONTENT_TYPES = {
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

RENDER_FAILED = _(
    "The PDF could not be made because of an error. Nothing was saved, and the "
    "plan is unchanged. Try again. If it fails again, tell the person who runs "
    "Skoleplan."
)
RENDER_TIMED_OUT = _(
    "Making the PDF took more than %(seconds)s seconds and was stopped. Nothing "
    "was saved, and the plan is unchanged. Choose a shorter period, or try again "
    "later."
)


class FetchRejected(ValueError):
    """A URL that a plan document may not load."""


class PdfRenderError(Exception):
    """WeasyPrint did not produce a PDF. `str(error)` is the message for the user."""


class PdfRenderTimeout(PdfRenderError):
    """WeasyPrint ran past the time limit and was killed."""


@dataclass(frozen=True)
class Attachment:
    """A resource the server hands to the document itself, such as the logo."""

    data: bytes
    content_type: str


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF and, when it was rendered in a child process, what that cost.

    `memory_kib` is how far the child's peak resident memory rose above what it
    inherited from the parent at the fork (resource.getrusage, ru_maxrss).
    """

    data: bytes
    page_count: int
    seconds: float | None = None
    memory_kib: int | None = None


@dataclass(frozen=True)
class RenderedPlan:
    """A plan PDF, the HTML it was rendered from, and what rendering cost."""

    pdf: bytes
    page_count: int
    html: str
    render_seconds: float | None = None
    memory_kib: int | None = None


# The URL fetcher


def static_name_for_url(url: str) -> str:
    """Return the static file name that `url` addresses, or raise FetchRejected.

    Only URLs under STATIC_URL resolved against DOCUMENT_BASE_URL qualify, and
    only with a clean relative path: no `.` or `..` segments, no empty
    segments, no backslash, NUL or second layer of percent-encoding.
    """
    prefix = urlsplit(urljoin(DOCUMENT_BASE_URL, settings.STATIC_URL))
    parts = urlsplit(url)

    if (parts.scheme, parts.netloc) != (prefix.scheme, prefix.netloc):
        raise FetchRejected(f"not a static file URL: scheme {parts.scheme!r}")
    if parts.query or parts.fragment:
        raise FetchRejected("static file URLs take no query or fragment")
    if not parts.path.startswith(prefix.path):
        raise FetchRejected("path outside STATIC_URL")

    name = unquote(parts.path[len(prefix.path) :])
    segments = name.split("/")
    if any(character in name for character in "\\\x00%") or any(
        segment in ("", ".", "..") for segment in segments
    ):
        raise FetchRejected("malformed static file path")
    if PurePosixPath(name).suffix.lower() not in STATIC_CONTENT_TYPES:
        raise FetchRejected("a document may not load this kind of file")

    return name


def _source_name(name: str) -> str:
    """Map a hashed name from ManifestStaticFilesStorage back to its source name.

    `{% static %}` hashes names when the manifest storage is on (production),
    but the finders know the files by their source names.
    """
    hashed_files = getattr(staticfiles_storage, "hashed_files", None) or {}
    for source, hashed in hashed_files.items():
        if hashed == name:
            return source
    return name


class StaticFilesFetcher(URLFetcher):
    """WeasyPrint's URL fetcher for plan documents.

    Serves the project's static files, found through the staticfiles finders
    and read from disk, and the attachments given to it (the school's logo).
    Every other URL is rejected: file://, data:, http(s) to any real host,
    and paths that try to leave the static directories.
    """

    def __init__(self, attachments: dict[str, Attachment] | None = None):
        # The inherited urllib machinery gets no protocol at all: `fetch`
        # below is the only way in, and it never calls the parent's.
        super().__init__(allowed_protocols=frozenset(), allow_redirects=False)
        self.attachments = dict(attachments or {})

    def fetch(self, url, headers=None):
        try:
            body, content_type = self._resolve(url)
        except FetchRejected as error:
            logger.warning(
                "Rejected a %s URL in a plan document: %s",
                urlsplit(url).scheme or "relative",
                error,
            )
            raise

        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def _resolve(self, url: str) -> tuple[bytes, str]:
        attachment = self.attachments.get(url)
        if attachment is not None:
            return attachment.data, attachment.content_type

        name = static_name_for_url(url)
        path = finders.find(_source_name(name))
        if path is None:
            raise FetchRejected(f"no static file {name!r}")

        content_type = STATIC_CONTENT_TYPES[PurePosixPath(name).suffix.lower()]
        with open(path, "rb") as static_file:
            return static_file.read(), content_type


# Rendering with a time limit


def weasyprint_render(
    html: str, *, attachments: dict[str, Attachment] | None = None
) -> RenderedPdf:
    """Run WeasyPrint on `html` in this process, with no time limit."""
    document = weasyprint.HTML(
        string=html,
        base_url=DOCUMENT_BASE_URL,
        url_fetcher=StaticFilesFetcher(attachments),
    ).render()
    return RenderedPdf(document.write_pdf(), len(document.pages))


def _render_in_child(html, attachments, sender) -> None:
    # A plan takes a core for seconds. At a lower priority it uses what the
    # pages that staff wait for leave over.
    os.nice(settings.PDF_RENDER_NICENESS)
    # The objects inherited from the parent are never garbage here; freezing
    # them spares every collection a walk over the whole inherited heap.
    gc.freeze()
    # Right after the fork, the peak is the parent's resident memory.
    inherited_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        result = weasyprint_render(html, attachments=attachments)
    except Exception as error:
        # Every failure goes back to the parent, as the type and the frames
        # only: a layout error's message may quote the document's text, which
        # must not reach the technical log.
        frames = "".join(traceback.format_tb(error.__traceback__))
        sender.send(("error", f"{type(error).__name__}\n{frames}"))
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = replace(
            result,
            seconds=time.perf_counter() - started,
            memory_kib=peak_kib - inherited_kib,
        )
        sender.send(("ok", result))
    finally:
        sender.close()


_warm_up_lock = threading.Lock()
_warmed_up = False


def _warm_up() -> None:
    """Render a tiny document in this process once, before the first fork.

    WeasyPrint imports much of itself lazily and fontconfig builds its caches
    on first use. Done here, every forked child inherits that work instead of
    repeating it. The warm-up document is fixed, so it needs no time limit.
    """
    global _warmed_up
    with _warm_up_lock:
        if _warmed_up:
            return
        stylesheet = urljoin(DOCUMENT_BASE_URL, settings.STATIC_URL)
        weasyprint_render(
            f'<link rel="stylesheet" href="{stylesheet}schoolplan/pdf.css">'
            "<p>Skoleplan <b>æøå</b> <i>ÆØÅ</i></p>"
        )
        _warmed_up = True


def html_to_pdf(
    html: str,
    *,
    attachments: dict[str, Attachment] | None = None,
    timeout: float | None = None,
) -> RenderedPdf:
    """Render `html` in a forked child process and return the PDF.

    The child is killed after `timeout` seconds (PDF_RENDER_TIMEOUT_SECONDS by
    default) and PdfRenderTimeout is raised; any other failure raises
    PdfRenderError. A child process, unlike a thread, can be stopped outright,
    and its memory is returned to the system when it ends.

    Forking is cheap because the parent has imported and warmed up WeasyPrint
    already. The child only runs WeasyPrint on a string and reads static files,
    so it never touches the parent's database connection. Multiprocessing ends
    the child with os._exit, so no inherited resource is closed twice.

    NOTE: Python 3.12 and later emit a DeprecationWarning when a process with
    threads forks, as a threaded app server does. The parent runs WeasyPrint
    only in `_warm_up`, under a lock and before any fork, so no other thread is
    inside WeasyPrint or fontconfig at fork time. The suite runs on 3.11 only.
    """
    if timeout is None:
        timeout = settings.PDF_RENDER_TIMEOUT_SECONDS
    _warm_up()

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_render_in_child, args=(html, attachments, sender), daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            logger.error(
                "PDF rendering passed %s s; killing pid %s", timeout, child.pid
            )
            raise PdfRenderTimeout(RENDER_TIMED_OUT % {"seconds": timeout})
        status, payload = receiver.recv()
    except EOFError:
        logger.error("PDF render process %s ended without a result", child.pid)
        raise PdfRenderError(RENDER_FAILED) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()

    if status != "ok":
        logger.error("PDF rendering failed in pid %s:\n%s", child.pid, payload)
        raise PdfRenderError(RENDER_FAILED)

    logger.info(
        "Rendered a %d-page PDF in %.2f s; the render process grew by %d MiB",
        payload.page_count,
        payload.seconds,
        payload.memory_kib // 1024,
    )
    return payload


# The plan document


def logo_attachment(school) -> Attachment | None:
    """Return the school's logo for the cover, or None if it is missing or unusable."""
    if not school.logo:
        return None

    try:
        with school.logo.open("rb") as logo:
            data = logo.read()
    except OSError:
        logger.warning(
            "The logo of school %s cannot be read; leaving it out", school.pk
        )
        return None

    suffix = PurePosixPath(school.logo.name).suffix.lower()
    content_type = STATIC_CONTENT_TYPES.get(suffix)
    if content_type is None or not content_type.startswith("image/"):
        logger.warning(
            "The logo of school %s is not an image; leaving it out", school.pk
        )
        return None

    return Attachment(data, content_type)


def plan_document_context(
    pupil: Pupil,
    period: Period,
    audience: str,
    *,
    made_by,
    made_at: datetime,
    reference: uuid.UUID | None,
    logo_url: str | None,
) -> dict:
    """Return the template context of the plan document.

    Every registered section visible to `audience` is included, those not on
    the front page (the running log) as well. `reference` is None in a
    preview, which has no document id yet.
    """
    return {
        "school": pupil.school,
        "pupil": pupil,
        "period": period,
        "audience": audience,
        "audience_label": Audience(audience).label,
        "is_internal": audience == Audience.INTERNAL,
        "sections": render_context(pupil, period, audience),
        "made_by": made_by,
        "made_by_title": getattr(getattr(made_by, "staff", None), "title", ""),
        "made_at": made_at,
        "reference": reference,
        "logo_url": logo_url,
    }


def render_plan_html(pupil, period, audience, *, made_by, made_at, reference, logo_url):
    """Return the plan document as HTML, in the school's language (Danish).

    Bidi controls that staff text leaves unpaired are dropped, so that they
    cannot print the text after them backwards. The stored text keeps them.
    """
    context = plan_document_context(
        pupil,
        period,
        audience,
        made_by=made_by,
        made_at=made_at,
        reference=reference,
        logo_url=logo_url,
    )
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("schoolplan/pdf/document.html", context)

    return drop_unpaired_bidi_controls_in_html(html)


def render_plan(
    pupil: Pupil,
    period: Period,
    audience: str,
    *,
    made_by,
    made_at: datetime | None = None,
    reference: uuid.UUID | None = None,
    timeout: float | None = None,
) -> RenderedPlan:
    """Render the plan as a PDF and return it with its page count and HTML.

    Raises PdfRenderError (or its subclass PdfRenderTimeout) when WeasyPrint
    fails or passes the time limit.
    """
    made_at = made_at or timezone.now()
    reference = reference or uuid.uuid4()
    logo = logo_attachment(pupil.school)

    html = render_plan_html(
        pupil,
        period,
        audience,
        made_by=made_by,
        made_at=made_at,
        reference=reference,
        logo_url=LOGO_URL if logo else None,
    )
    attachments = {LOGO_URL: logo} if logo else None
    rendered = html_to_pdf(html, attachments=attachments, timeout=timeout)

    return RenderedPlan(
        rendered.data,
        rendered.page_count,
        html,
        render_seconds=rendered.seconds,
        memory_kib=rendered.memory_kib,
    )


def render_plan_pdf(
    pupil: Pupil, period: Period, audience: str, *, made_by, **options
) -> bytes:
    """Return the plan of `pupil` for `period` as a PDF for `audience`.

    Only the sections visible to the audience are included, and of the log
    only the entries shared with it. `options` are passed to `render_plan`.
    """
    return render_plan(pupil, period, audience, made_by=made_by, **options).pdf
