"""The OpenAPI schema and a readable docs page, served from our own origin under the site's CSP."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_and_describes_every_endpoint_and_the_error_shape(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/vacancies", "/api/v1/candidates", "/api/v1/candidates/{public_id}",
            "/api/v1/engagements/{reference}/complete", "/api/v1/vacancies/{id}/close",
            "/api/v1/erasures/{job_id}"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"code", "message", "fields"}


def test_the_docs_page_loads_nothing_from_another_origin_and_keeps_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert not re.search(r"https?://", html)
    assert "<script>" not in html.replace('<script type="application/json"', "")  # no inline script
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.real_services
def test_the_docs_page_renders_in_a_browser_under_the_csp(page, live_server):
    page.goto("/api/v1/docs")
    page.get_by_text("Your vacancies", exact=True).wait_for(timeout=20000)  # an operation's summary, from the schema
    assert page.foreign_requests == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
