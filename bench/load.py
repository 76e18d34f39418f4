"""Load test: 30 simulated staff against gunicorn and PostgreSQL on 127.0.0.1.

    .venv/bin/python bench/load.py [--users 30] [--seconds 120] [--ramp-up 30]

Creates its own database (--database, skoleplan_load by default), loads the
demo school, starts its own Redis for the page cache (--cache memory keeps the
cache in each worker instead) and gunicorn, both on 127.0.0.1 only, and lets
each simulated staff
member loop through a morning's work: open the pupil list and plans, write
entries and save the morning register (when the absence app offers one).
The staff log in one after another, spread evenly over the first --ramp-up
seconds. With --ramp-up 0 they all log in at once.
Leadership also exports a plan as PDF (when the plan offers one), first right
after saving the register and then once a minute. The run is bounded by
--seconds and by --max-requests. Afterwards it prints requests per second,
latency percentiles per kind of request and the errors, and checks that every
entry and registration that got a success response is in the database.
"""

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "skoleplan-demo"
TEACHERS = ["mette", "jonas", "sofie", "ahmad", "birgitte"]
LEADER = "lene"
# The leader comes first so that a short run with a few users still exports
# PDFs. The first 30 accounts are 25 teachers, each coordinator twice and the
# leader once.
ACCOUNTS = [LEADER] + TEACHERS * 5 + ["karen", "rasmus"] * 2 + [LEADER]
EXPORT_INTERVAL_SECONDS = 60
SCHOOL_TIME_ZONE = ZoneInfo("Europe/Copenhagen")


def school_today() -> date:
    return datetime.now(SCHOOL_TIME_ZONE).date()


def register_day() -> date:
    """Return the day whose register the staff save: today, or the last weekday.

    A weekend has no register to save, so a run on Saturday saves Friday's, as
    a teacher correcting it would. A weekday off in the demo calendar still
    gets no register, and the report then shows no registers saved.
    """
    day = school_today()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


CSRF_PATTERN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # (seconds from the run's start to the response, kind, latency in seconds)
    timeline: list[tuple[float, str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    errors: list[str] = field(default_factory=list)
    saved_entries: list[str] = field(default_factory=list)
    # (group id, day, pupil id, note) of each register saved
    saved_registers: list[tuple[str, date, str, str]] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.timeline.append((time.monotonic() - self.started, kind, seconds))
            self.requests += 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def run(command, **kwargs):
    return subprocess.run(command, cwd=ROOT, check=True, **kwargs)


def prepare_database(database_url: str, name: str) -> None:
    run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name])
    run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name])
    environment = server_environment(database_url)
    run([PYTHON, "manage.py", "migrate", "-v0"], env=environment)
    run([PYTHON, "manage.py", "load_demo"], env=environment, stdout=subprocess.DEVNULL)
    run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=environment,
    )


def server_environment(database_url: str, redis_url: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "load-test-only-secret-key-" + "q" * 40,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        # Plain HTTP on 127.0.0.1: cookies must not be marked Secure here.
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        # The load comes from one address; lockout would only measure itself.
        "AXES_FAILURE_LIMIT": "1000",
    }


def start_redis(port: int, directory: str) -> subprocess.Popen:
    """Start a Redis for the page cache that keeps nothing on disk."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise SystemExit(
            "redis-server not found: install Debian's redis-server package, "
            "or run with --cache memory"
        )
    server = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", directory]
        + ["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],
        stdout=subprocess.DEVNULL,
    )
    for _attempt in range(50):
        if subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "ping"],
            capture_output=True,
        ).stdout.startswith(b"PONG"):
            return server
        time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"redis-server did not start on 127.0.0.1:{port}")


def start_gunicorn(
    database_url: str,
    redis_url: str,
    port: int,
    workers: int,
    threads: int,
    access_log: str | None,
) -> subprocess.Popen:
    # gunicorn's %(D)s is the time from reading the request to sending the
    # response, in microseconds; it leaves out the wait in the listen queue.
    access_options = (
        ["--access-logfile", access_log]
        + ["--access-logformat", "%(m)s %(U)s %(s)s %(D)s"]
        if access_log
        else []
    )
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "kanonskolen.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--log-level",
            "warning",
            *access_options,
        ],
        cwd=ROOT,
        env=server_environment(database_url, redis_url),
    )
    # The first request also loads WeasyPrint in the worker, so allow it time.
    for _attempt in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=30)
            return server
        except requests.RequestException:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not start on 127.0.0.1:{port}")


class Staff:
    """One simulated staff member with a logged-in session."""

    def __init__(self, base: str, username: str, results: Results, rng: random.Random):
        self.base = base
        self.username = username
        self.results = results
        self.rng = rng
        self.session = requests.Session()

    def timed(self, kind: str, method: str, path: str, **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, timeout=60, allow_redirects=False, **kwargs
            )
        except requests.RequestException as error:
            self.results.error(f"{kind} {path}: {error}")
            return None
        self.results.record(kind, time.perf_counter() - started)
        if response.status_code >= 400:
            self.results.error(f"{kind} {path}: HTTP {response.status_code}")
        return response

    def csrf(self, html: str) -> str:
        match = CSRF_PATTERN.search(html)
        return match.group(1) if match else ""

    def login(self) -> bool:
        page = self.timed("login form", "GET", "/login/")
        if page is None:
            return False
        response = self.timed(
            "login",
            "POST",
            "/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.csrf(page.text),
            },
            headers={"Referer": self.base + "/login/"},
        )
        return response is not None and response.status_code == 302

    def pupil_ids(self) -> list[str]:
        response = self.timed("pupil list", "GET", "/elever/")
        if response is None:
            return []
        return sorted(set(re.findall(r'href="/elever/(\d+)/"', response.text)))


def write_entry(staff: Staff, pupil_id: str, marker: str) -> None:
    plan = staff.timed("plan page", "GET", f"/elever/{pupil_id}/")
    if plan is None or plan.status_code != 200:
        return
    response = staff.timed(
        "write entry",
        "POST",
        f"/elever/{pupil_id}/notater/nyt/",
        data={
            "csrfmiddlewaretoken": staff.csrf(plan.text),
            "concerns_date": school_today().isoformat(),
            "kind": "daily",
            "text": f"Belastningstest {marker}: kom kl. 8.40 og læste i 20 minutter.",
        },
        headers={"Referer": staff.base + f"/elever/{pupil_id}/"},
    )
    if response is not None and response.status_code == 302:
        with staff.results.lock:
            staff.results.saved_entries.append(marker)


class RegisterFormReader(HTMLParser):
    """Collect what a browser sends from the register form as it was loaded.

    Text, time and hidden inputs send their value, radio buttons and check
    boxes only when checked, and a select its selected option.
    """

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.in_form = False
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.in_form = "register-form" in (attributes.get("class") or "")
        if not self.in_form or not attributes.get("name"):
            if tag == "option" and self.select and "selected" in attributes:
                self.fields[self.select] = attributes.get("value") or ""
            return
        name = attributes["name"]
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in attributes:
                    self.fields[name] = attributes.get("value") or "on"
            elif kind != "submit":
                self.fields[name] = attributes.get("value") or ""
        elif tag == "select":
            self.select = name
            self.fields.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None


def save_register(staff: Staff, marker: str) -> None:
    """Save a morning register of one of the teacher's groups.

    The form goes back as loaded, with "the rest are present" and one pupil
    marked present with a note that names `marker`, so that the check after
    the run can find this save in the database.
    """
    index = staff.timed("register", "GET", "/fravaer/")
    if index is None:
        return
    if index.status_code == 302:
        path = index.headers["Location"]
    else:
        links = sorted(set(re.findall(r'href="(/fravaer/hold/\d+/)"', index.text)))
        if not links:
            return
        path = staff.rng.choice(links)
    day = register_day()
    path += f"?day={day.isoformat()}"
    form = staff.timed("register", "GET", path)
    if form is None or form.status_code != 200:
        return

    reader = RegisterFormReader()
    reader.feed(form.text)
    data = reader.fields | {"rest_present": ""}
    pupil_ids = sorted(
        name.removesuffix("-version").removeprefix("p")
        for name in data
        if re.fullmatch(r"p\d+-version", name)
    )
    if not pupil_ids:
        staff.results.error(f"register {path}: no pupils in the form")
        return
    pupil_id = staff.rng.choice(pupil_ids)
    note = f"Belastningstest {marker}"
    data |= {f"p{pupil_id}-status": "present", f"p{pupil_id}-note": note}

    response = staff.timed(
        "save register", "POST", path, data=data, headers={"Referer": staff.base + path}
    )
    if response is not None and response.status_code == 302:
        group_id = re.search(r"/hold/(\d+)/", path).group(1)
        with staff.results.lock:
            staff.results.saved_registers.append((group_id, day, pupil_id, note))


def export_pdf(staff: Staff, pupil_id: str) -> None:
    """Export the pupil's plan for the municipality, for the school year so far."""
    page = staff.timed("pdf form", "GET", f"/elever/{pupil_id}/pdf/")
    if page is None or page.status_code != 200:
        return
    today = school_today()
    first_year = today.year if today.month >= 8 else today.year - 1
    response = staff.timed(
        "pdf export",
        "POST",
        f"/elever/{pupil_id}/pdf/",
        data={
            "csrfmiddlewaretoken": staff.csrf(page.text),
            "audience": "municipality",
            "date_from": f"{first_year}-08-01",
            "date_to": today.isoformat(),
        },
        headers={"Referer": staff.base + f"/elever/{pupil_id}/pdf/"},
    )
    if response is not None and response.status_code == 200:
        if not response.content.startswith(b"%PDF"):
            staff.results.error(f"pdf export {pupil_id}: the response is not a PDF")


def work(
    staff: Staff, start: float, deadline: float, max_requests: int, number: int
) -> None:
    time.sleep(max(0.0, start - time.monotonic()))
    if not staff.login():
        staff.results.error(f"login failed for {staff.username}")
        return
    pupils = staff.pupil_ids()
    if not pupils:
        staff.results.error(f"{staff.username} sees no pupils")
        return

    save_register(staff, f"{staff.username}-{number}-register")
    step = 0
    next_export = time.monotonic() if staff.username == LEADER else float("inf")
    while time.monotonic() < deadline and staff.results.requests < max_requests:
        step += 1
        pupil_id = staff.rng.choice(pupils)
        choice = staff.rng.random()
        if choice < 0.45:
            staff.timed("plan page", "GET", f"/elever/{pupil_id}/")
        elif choice < 0.75:
            write_entry(staff, pupil_id, f"{staff.username}-{number}-{step}")
        elif choice < 0.85:
            staff.timed("pupil list", "GET", "/elever/")
        else:
            staff.timed("trivial page", "GET", "/konto/")
        if time.monotonic() >= next_export:
            export_pdf(staff, pupil_id)
            next_export += EXPORT_INTERVAL_SECONDS
        time.sleep(staff.rng.uniform(0.2, 1.0))


def check_saved(database_url_name: str, results: Results) -> list[str]:
    problems = []
    connection = psycopg2.connect(
        dbname=database_url_name, user="postgres", host="127.0.0.1"
    )
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT text FROM schoolplan_entry WHERE text LIKE 'Belastningstest %%'"
        )
        stored = {
            row[0].split(":")[0].removeprefix("Belastningstest ") for row in cursor
        }
    connection.close()
    for marker in results.saved_entries:
        if marker not in stored:
            problems.append(f"entry {marker} got a success response but is not stored")

    # Each saved register wrote its note on one pupil's morning notation, and
    # the history keeps that version. The note may be gone from the row only
    # if a later version replaced it, and no two saves may have written the
    # same version: that is what an overwrite past the version check leaves.
    connection = psycopg2.connect(
        dbname=database_url_name, user="postgres", host="127.0.0.1"
    )
    with connection, connection.cursor() as cursor:
        for group_id, day, pupil_id, note in results.saved_registers:
            cursor.execute(
                REGISTER_SAVE_CHECK_SQL,
                {"pupil_id": pupil_id, "day": day, "note": note},
            )
            noted, note_accounted_for, repeated = cursor.fetchone()
            where = f"register of group {group_id} on {day}, pupil {pupil_id}"
            if not noted:
                problems.append(f"{where}: no version has the note {note!r}")
            elif not note_accounted_for:
                problems.append(f"{where}: the note {note!r} was lost, not replaced")
            if repeated:
                problems.append(f"{where}: versions written twice: {repeated}")
    connection.close()
    return problems


# One row: versions with the note, whether the row still has it or a later
# version replaced it, and how many versions of the row were written twice.
# Deletions repeat the version they delete, so they are left out.
REGISTER_SAVE_CHECK_SQL = """
WITH noted AS (
    SELECT id, version FROM absence_historicalregistration
    WHERE pupil_id = %(pupil_id)s AND day = %(day)s AND notation = 'morning'
      AND note = %(note)s AND history_type <> '-'
), versions AS (
    SELECT history.version FROM absence_historicalregistration history
    WHERE history.id IN (SELECT id FROM noted) AND history.history_type <> '-'
)
SELECT
    (SELECT count(*) FROM noted),
    EXISTS (
        SELECT 1 FROM absence_registration current JOIN noted USING (id)
        WHERE current.note = %(note)s
    ) OR EXISTS (
        SELECT 1 FROM absence_historicalregistration later JOIN noted USING (id)
        WHERE later.version > noted.version AND later.history_type <> '-'
    ),
    (SELECT count(*) - count(DISTINCT version) FROM versions)
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def page_ratio(results: Results, after: float = 0.0) -> float | None:
    """Return the p95 of page requests over the trivial page's median.

    Only requests that ended `after` seconds or more into the run count.
    """
    pages = [
        seconds
        for at, kind, seconds in results.timeline
        if at >= after and kind in ("plan page", "pupil list")
    ]
    trivial = [
        seconds
        for at, kind, seconds in results.timeline
        if at >= after and kind == "trivial page"
    ]
    if not pages or not trivial:
        return None
    return percentile(pages, 0.95) / statistics.median(trivial)


def report(
    results: Results, seconds: float, ramp_up: float, problems: list[str]
) -> None:
    rate = results.requests / seconds
    print(f"\n{results.requests} requests in {seconds:.0f} s: {rate:.1f}/s")
    print(f"{'request':<16}{'count':>7}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
    for kind, values in sorted(results.latencies.items()):
        print(
            f"{kind:<16}{len(values):>7}{statistics.median(values) * 1000:>11.0f}"
            f"{percentile(values, 0.95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
        )
    ratio = page_ratio(results)
    if ratio is not None:
        print(
            f"p95 of page requests / median of trivial page: {ratio:.1f}x (target < 5x)"
        )
    steady = page_ratio(results, after=ramp_up) if ramp_up else None
    if steady is not None:
        print(f"the same, counting only requests after the ramp-up: {steady:.1f}x")
    print(
        f"entries saved: {len(results.saved_entries)}, registers saved: "
        f"{len(results.saved_registers)}"
    )
    print(f"errors: {len(results.errors)}")
    for message in results.errors[:20]:
        print(f"  {message}")
    print(f"lost writes: {len(problems)}")
    for message in problems[:20]:
        print(f"  {message}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def drive(options) -> tuple[Results, float]:
    """Run the simulated staff against the server; return results and seconds."""
    results = Results()
    base = f"http://127.0.0.1:{options.port}"
    rng = random.Random(7)
    staff = [
        Staff(
            base,
            ACCOUNTS[number % len(ACCOUNTS)],
            results,
            random.Random(rng.random()),
        )
        for number in range(options.users)
    ]
    started = results.started = time.monotonic()
    deadline = started + options.seconds
    spacing = options.ramp_up / max(1, options.users)
    threads = [
        threading.Thread(
            target=work,
            args=(member, started + n * spacing, deadline, options.max_requests, n),
        )
        for n, member in enumerate(staff)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=options.seconds + 120)
    return results, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument(
        "--cache",
        choices=["redis", "memory"],
        default="redis",
        help="the page cache: a Redis shared by the workers (the script starts "
        "its own on --port + 1), or each worker's memory",
    )
    parser.add_argument("--database", default="skoleplan_load")
    parser.add_argument(
        "--ramp-up",
        type=float,
        default=30,
        help="seconds over which the staff log in, one after another (default 30)",
    )
    parser.add_argument(
        "--access-log", help="file for gunicorn's access log with server times"
    )
    parser.add_argument(
        "--timeline",
        help="file for one line per request: seconds into the run, kind, latency ms",
    )
    options = parser.parse_args()

    database_url = f"postgres://postgres@127.0.0.1:5432/{options.database}"
    print(f"Preparing database {options.database} with the demo school ...")
    prepare_database(database_url, options.database)
    print(
        f"gunicorn: {options.workers} workers with {options.threads} threads; "
        f"page cache: {options.cache}"
    )
    with contextlib.ExitStack() as stack:
        redis_url = ""
        if options.cache == "redis":
            directory = stack.enter_context(tempfile.TemporaryDirectory())
            redis = start_redis(options.port + 1, directory)
            stack.callback(stop, redis)
            redis_url = f"redis://127.0.0.1:{options.port + 1}/0"
        server = start_gunicorn(
            database_url,
            redis_url,
            options.port,
            options.workers,
            options.threads,
            options.access_log,
        )
        stack.callback(stop, server)
        results, elapsed = drive(options)

    report(results, elapsed, options.ramp_up, check_saved(options.database, results))
    if options.timeline:
        with open(options.timeline, "w") as out:
            for at, kind, seconds in results.timeline:
                out.write(f"{at:.3f}\t{kind}\t{seconds * 1000:.1f}\n")


if __name__ == "__main__":
    main()
