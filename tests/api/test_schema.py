"""Schemathesis against the served schema, with a valid token: no 5xx, and every answer (success or error)
is what /api/v1/openapi.json says it is. A test run, not a fuzzing marathon (see max_examples)."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from apps.api.views import api
from privacy_portal.wsgi import application
from tests.api.helpers import make_token, make_vacancy
from tests.factories import ControllerFactory, EngagementFactory

pytestmark = pytest.mark.django_db

# The schema the site serves (test_docs checks /api/v1/openapi.json is this), called in-process over WSGI.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application


@pytest.fixture
def token(db, demo_purposes, settings) -> str:
    settings.API_RATE = "100000/m"
    controller = ControllerFactory()
    make_vacancy(controller)
    EngagementFactory(controller=controller, reference="ATS-1")
    # As Django's test client does: a request ending must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield make_token(controller)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_every_answer_conforms_to_the_schema_and_none_is_a_server_error(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
