"""WeasyPrint may load nothing but the project's static files, and must finish in time.

A tiny HTTP server on 127.0.0.1 records every request it gets. The tests
assert that it got none, both when the hostile URL comes from staff text
(which is escaped) and when it reaches WeasyPrint as raw markup (which the
URL fetcher rejects).
"""

import base64
import json
import multiprocessing
import os
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

from schoolplan import documents, exports
from schoolplan.documents import FetchRejected, StaticFilesFetcher
from schoolplan.sections import Audience, Period
from tests.factories import EntryFactory
from tests.pdf_reading import full_text, image_count, link_targets

# A valid 1×1 PNG, so a refused data: URL is refused by the fetcher and not
# merely ignored as a broken image.
ONE_PIXEL_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cf000000030101007a2e1d70"
        "0000000049454e44ae426082"
    )
).decode()


class _RecordingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(base64.b64decode(ONE_PIXEL_PNG))

    def log_message(self, format, *args):
        pass


@pytest.fixture
def trap_server():
    """An HTTP server on 127.0.0.1 that records the path of every request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _trap_url(server, path):
    return f"http://127.0.0.1:{server.server_port}{path}"


STATIC = "https://skoleplan.invalid/static/"
PERIOD = Period(date(2026, 8, 1), date(2027, 7, 31))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "data:image/png;base64," + ONE_PIXEL_PNG,
        "http://127.0.0.1/static/schoolplan/pdf.css",
        "https://example.com/static/schoolplan/pdf.css",
        "ftp://skoleplan.invalid/static/schoolplan/pdf.css",
        "https://skoleplan.invalid.example.com/static/schoolplan/pdf.css",
        "https://user@skoleplan.invalid/static/schoolplan/pdf.css",
        "https://skoleplan.invalid:8443/static/schoolplan/pdf.css",
        "https://skoleplan.invalid/etc/passwd",
        "https://skoleplan.invalid/media/logos/logo.png",
        STATIC + "../settings.py",
        STATIC + "%2e%2e/%2e%2e/kanonskolen/settings.py",
        STATIC + "schoolplan/..%2f..%2f..%2fetc/passwd",
        STATIC + "schoolplan/%252e%252e/pdf.css",
        STATIC + "schoolplan//pdf.css",
        STATIC + "schoolplan/./pdf.css",
        STATIC + "schoolplan\\..\\pdf.css",
        STATIC + "schoolplan/pdf.css%00.png",
        STATIC + "schoolplan/pdf.css?v=1",
        STATIC + "schoolplan/pdf.css#top",
        STATIC + "schoolplan/no-such-file.css",
        STATIC + "schoolplan/export.py",
        STATIC,
    ],
)
def test_fetcher_rejects(url):
    with pytest.raises(FetchRejected):
        StaticFilesFetcher().fetch(url)


def test_fetcher_serves_own_stylesheet_and_font():
    fetcher = StaticFilesFetcher()

    stylesheet = fetcher.fetch(STATIC + "schoolplan/pdf.css")
    font = fetcher.fetch(
        STATIC + "vendor/source-sans-3/files/source-sans-3-latin-400-normal.woff2"
    )

    assert stylesheet.content_type == "text/css"
    assert b"@page" in stylesheet.read()
    assert font.content_type == "font/woff2"
    assert font.read(4) == b"wOF2"


def test_fetcher_serves_hashed_name_from_manifest(tmp_path, settings):
    manifest = {
        "paths": {"schoolplan/pdf.css": "schoolplan/pdf.0123456789ab.css"},
        "version": "1.1",
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        },
    }

    response = StaticFilesFetcher().fetch(STATIC + "schoolplan/pdf.0123456789ab.css")

    assert b"@page" in response.read()


def test_raw_markup_fetches_nothing(trap_server):
    html = f"""
      <link rel="stylesheet" href="{_trap_url(trap_server, "/style.css")}">
      <style>@import url("{_trap_url(trap_server, "/import.css")}");</style>
      <p>Indhold</p>
      <img src="file:///etc/passwd">
      <img src="{_trap_url(trap_server, "/image.png")}">
      <img src="data:image/png;base64,{ONE_PIXEL_PNG}">
      <div style="background: url('{_trap_url(trap_server, "/bg.png")}')">x</div>
      <object data="{_trap_url(trap_server, "/object")}"></object>
      <a href="{_trap_url(trap_server, "/link")}">link</a>
    """

    rendered = documents.weasyprint_render(html)

    assert trap_server.requests == []
    assert image_count(rendered.data) == 0
    assert "root:" not in full_text(rendered.data)


def test_escaped_entry_fetches_nothing(
    export_root, trap_server, pupil, teacher, leader
):
    image = _trap_url(trap_server, "/entry.png")
    link = _trap_url(trap_server, "/entry-link")
    text = (
        f'<img src="file:///etc/passwd"> <img src="{image}"> '
        f'<a href="{link}">se her</a> <link rel="stylesheet" href="{link}"> {link}'
    )
    EntryFactory(pupil=pupil, author=teacher, text=text, shared_with_parents=True)

    export = exports.plan_export_create(
        pupil=pupil,
        audience=Audience.PARENTS,
        period=PERIOD,
        user=leader,
    )
    pdf = export.file.read()
    # Long URLs wrap at any character, so compare with all whitespace removed.
    printed = "".join(full_text(pdf).split())

    assert trap_server.requests == []
    assert "".join(text.split()) in printed
    assert image_count(pdf) == 0
    assert link_targets(pdf) == []
    assert "root:" not in printed


@override_settings(PDF_RENDER_TIMEOUT_SECONDS=0.01)
def test_render_timeout_kills_child(pupil, leader):
    with pytest.raises(documents.PdfRenderTimeout) as raised:
        documents.render_plan_pdf(pupil, PERIOD, Audience.INTERNAL, made_by=leader)

    assert "0.01 sekunder" in str(raised.value)
    assert multiprocessing.active_children() == []


def _crash(*args, **kwargs):
    os._exit(3)


def _fail(*args, **kwargs):
    raise RuntimeError("layout exploded")


def _report_niceness(*args, **kwargs):
    return documents.RenderedPdf(b"%PDF-1.7", page_count=os.nice(0))


@override_settings(PDF_RENDER_NICENESS=7)
def test_render_runs_at_lower_priority(monkeypatch):
    documents._warm_up()
    monkeypatch.setattr(documents, "weasyprint_render", _report_niceness)

    rendered = documents.html_to_pdf("<p>Prioritet</p>")

    assert rendered.page_count == os.nice(0) + 7


@pytest.mark.parametrize("broken", [_crash, _fail])
def test_render_failure_reported_in_danish(broken, monkeypatch, pupil, leader):
    documents._warm_up()
    monkeypatch.setattr(documents, "weasyprint_render", broken)

    with pytest.raises(documents.PdfRenderError) as raised:
        documents.render_plan_pdf(pupil, PERIOD, Audience.INTERNAL, made_by=leader)

    assert str(raised.value).startswith("PDF’en kunne ikke laves")
