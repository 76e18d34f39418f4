"""Every form on every page, posted with hostile values, never gives a server error.

The pages come from the URL configuration and the field names from each
page's own forms, so the forms that later apps add are covered too.
"""

import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.security.test_hostile_input import (
    HOSTILE_DATES,
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
)
from tests.security.test_url_walk import EXPECTED, _application_urls, _url

FIELD_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
QUERY_FORM = re.compile(r'<form[^>]*method="get"[^>]*>(.*?)</form>', re.S | re.I)
SKIPPED_FIELDS = {"csrfmiddlewaretoken"}
HOSTILE_TIMES = ["25:99", "24:00", "-1:00", "8", "08:00:00:00", "\x00"]

values = st.one_of(
    st.sampled_from(HOSTILE_TEXT + HOSTILE_DATES + HOSTILE_NUMBERS + HOSTILE_TIMES),
    st.text(max_size=50),
)
# Shrinking is skipped: the failure message already names the page and the
# values, and shrinking dozens of pages at once takes many minutes.
EXAMPLES = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _pages_for(role):
    """Return (name, url) of every page the role may open with a 200."""
    return [
        (name, pattern)
        for name, pattern in sorted(_application_urls().items())
        if EXPECTED[name].get(role) == 200 and name not in ("login",)
    ]


@pytest.mark.parametrize("role", ["coordinator", "leader", "teacher"])
@EXAMPLES
@given(data=st.data())
def test_forms_survive_hostile_posts(client, cast, url_arguments, role, data):
    client.force_login(cast[role])
    failures = []
    posted = 0

    for name, pattern in _pages_for(role):
        url = _url(name, pattern, url_arguments)
        page = client.get(url)
        if page.status_code != 200 or "text/html" not in page["Content-Type"]:
            continue
        html = page.content.decode()
        fields = sorted(set(FIELD_NAME.findall(html)) - SKIPPED_FIELDS)
        if not fields:
            continue

        payload = {
            field: data.draw(values, label=f"{name}.{field}") for field in fields
        }
        response = client.post(url, payload)
        posted += 1
        if response.status_code >= 500:
            failures.append(f"POST {url} {payload!r}: {response.status_code}")

        query_fields = [
            field
            for form in QUERY_FORM.findall(html)
            for field in FIELD_NAME.findall(form)
        ]
        if query_fields:
            query = {field: data.draw(values) for field in query_fields}
            response = client.get(url, query)
            if response.status_code >= 500:
                failures.append(f"GET {url} {query!r}: {response.status_code}")

    assert failures == []
    # The page discovery itself must keep working, or this test proves nothing.
    assert posted >= 8
