"""Settings read from the environment reject bad values with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kanonskolen import settings

ROOT = Path(__file__).resolve().parent.parent


def test_env_bool_rejects_malformed(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")

    with pytest.raises(
        ImproperlyConfigured, match="SOME_FLAG='maybe' is not a boolean"
    ):
        settings.env_bool("SOME_FLAG", False)


def test_env_int_rejects_malformed(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ti")

    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        settings.env_int("SOME_NUMBER", 1)


def test_env_reads_file_variant(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("fra-fil\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))

    assert settings.env("SOME_SECRET") == "fra-fil"


def test_missing_secret_key_refuses_to_start():
    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }

    result = subprocess.run(
        [sys.executable, "-c", "import kanonskolen.settings"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr
