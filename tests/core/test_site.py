import os
import secrets
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import ROOT


@pytest.mark.django_db  # the home page lists the open jobs
def test_the_home_page_explains_what_happens_to_personal_data(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="#main"' in body  # skip link
    assert "<main" in body and "<footer" in body
    assert reverse("privacy-policy") in body and "/cookies/" in body
    assert "http://" not in body.replace("http://testserver", "") and "https://" not in body


@pytest.mark.django_db
def test_the_home_page_speaks_swahili_when_asked(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="sw")
    assert response.status_code == 200
    assert 'lang="sw"' in response.content.decode()
    assert "Tunachofanya na data yako binafsi" in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_ok_when_the_database_answers(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_does_not_answer(client, settings):
    from privacy_portal.celery import app

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    previous = app.conf.broker_url
    app.conf.broker_url = settings.REDIS_URL
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "failed": ["broker"]}


@pytest.mark.django_db
def test_seed_demo_can_run_twice(django_user_model, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert django_user_model.objects.filter(username="admin").count() == 1


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=120)


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="0", ALLOWED_HOSTS="example.org", SITE_URL="https://example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_deployment_checklist_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                     SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.org",
                     SITE_URL="https://example.org")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
