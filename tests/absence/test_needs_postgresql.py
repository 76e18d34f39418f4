"""On the SQLite quick start, absence figures give an explanation, not an error."""

from django.db import connections
from django.urls import reverse


def test_plan_page_explains_missing_figures(monkeypatch, client_for, teacher, pupil):
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")

    response = client_for(teacher).get(reverse("schoolplan:plan", args=[pupil.pk]))

    assert response.status_code == 200
    assert "kræver PostgreSQL" in response.content.decode()


def test_dashboard_explains_missing_figures(monkeypatch, client_for, leader):
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")

    response = client_for(leader).get(reverse("absence:dashboard"))

    assert response.status_code == 503
    assert "kræver PostgreSQL" in response.content.decode()
