import secrets
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.core.models import BeatRun
from tests.core.helpers import manage


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
def test_healthz_names_each_check_and_reports_ok_when_they_pass(client, settings):
    settings.REDIS_URL = ""  # jobs in-process: no broker, worker or beat to check
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "media_space": "ok"}}


@pytest.mark.django_db
def test_healthz_fails_media_space_when_the_disk_under_media_root_is_nearly_full(client, settings):
    settings.REDIS_URL = ""
    settings.HEALTH_MEDIA_FREE_MB = 10 ** 12  # more than any disk here has free
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["media_space"]
    assert client.get("/healthz/ready").status_code == 200  # the web host can still serve


@pytest.mark.django_db
def test_healthz_names_the_broker_workers_and_beat_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "fail", "workers": "fail", "beat": "fail",
                                         "media_space": "ok"}
    # Liveness and readiness do not depend on what every web host shares: no load balancer drops them for it.
    assert client.get("/healthz/live").json() == {"status": "ok"}
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_sees_a_beat_that_recorded_a_run_recently(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    BeatRun.objects.create(name="notifications-redrive", last_run_at=timezone.now() - timedelta(seconds=89))
    assert client.get("/healthz").json()["checks"]["beat"] == "ok"
    BeatRun.objects.update(last_run_at=timezone.now() - timedelta(seconds=91))  # three runs missed
    assert client.get("/healthz").json()["checks"]["beat"] == "fail"


def test_readiness_fails_when_the_database_does_not_answer(client):
    with mock.patch("apps.core.selectors._database", return_value=False):
        response = client.get("/healthz/ready")
    assert response.status_code == 503 and response.json() == {"status": "fail", "failed": ["database"]}
    assert client.get("/healthz/live").status_code == 200


@pytest.mark.django_db
def test_seed_demo_can_run_twice(django_user_model, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert django_user_model.objects.filter(username="admin").count() == 1


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="example.org", SITE_URL="https://example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_deployment_checklist_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                     SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.org",
                     SITE_URL="https://example.org")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
