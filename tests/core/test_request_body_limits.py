"""One unauthenticated request must not be able to make a worker hold more than a form can take."""

import socket
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.recruitment.forms import ApplicationForm
from apps.subjects.models import DataSubject, IdentityDocument
from tests.consent.helpers import application_post, send_form
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024


def test_a_body_larger_than_the_form_declares_is_refused_with_413_and_stores_nothing(client, demo_purposes,
                                                                                    settings):
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    too_big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (200 * 1024), content_type="application/pdf")
    response = send_form(client, "/apply/", application_post(id_document=too_big))
    assert response.status_code == 413
    assert "larger than this form accepts" in response.content.decode()
    assert DataSubject.objects.count() == 0 and IdentityDocument.objects.count() == 0


def test_a_form_without_files_takes_no_large_body(client, demo_purposes, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024
    response = send_form(client, "/contact/", {"full_name": "Amani Wekesa", "message": "x",
                                         "junk": SimpleUploadedFile("a.bin", b"0" * (64 * 1024))})
    assert response.status_code == 413


def test_only_the_declared_file_field_is_read_and_only_its_first_file(client, demo_purposes):
    data = application_post()
    data["id_document"] = [SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf"),
                           SimpleUploadedFile("evil.html", b"<html>", content_type="text/html")]
    data["extra"] = SimpleUploadedFile("extra.pdf", PDF_BYTES, content_type="application/pdf")
    response = send_form(client, "/apply/", data)
    assert response.status_code == 302
    document = IdentityDocument.objects.get()
    assert document.size == len(PDF_BYTES)


CSRF = "a" * 32


def _post_headers(port: int, length: int, boundary: str) -> bytes:
    return (f"POST /apply/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: csrftoken={CSRF}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode()


def _part(boundary: str, name: str, size: int) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"x.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + b"%PDF-" + b"A" * (size - 5) + b"\r\n"


@pytest.mark.real_services
def test_the_memory_attack_leaves_a_real_worker_small(web_server, demo_purposes):
    """The attack in the issue: 99 file parts of 10 MB in one request (it took a worker from 87 to
    1,086 MiB). The server answers 413 from the headers, and the worker's memory does not move."""
    boundary = "b0undary"
    part = _part(boundary, "id_document", 10 * MIB)
    length = 99 * len(part) + len(f"--{boundary}--\r\n")
    for _ in range(3):  # a warm worker: code, templates and the database connection loaded
        with socket.create_connection(("127.0.0.1", web_server.port), timeout=30) as sock:
            sock.sendall(f"GET /apply/ HTTP/1.1\r\nHost: 127.0.0.1:{web_server.port}\r\nConnection: close\r\n\r\n"
                         .encode())
            while sock.recv(65536):
                pass
    before = web_server.worker_rss_kib()
    with socket.create_connection(("127.0.0.1", web_server.port), timeout=30) as sock:
        sock.sendall(_post_headers(web_server.port, length, boundary))
        sent = 0
        try:  # keep sending as an attacker would, until the server stops listening
            for _ in range(99):
                sock.sendall(part)
                sent += 1
        except OSError:
            pass
        response = b""
        try:
            while chunk := sock.recv(65536):
                response += chunk
        except OSError:
            pass
    time.sleep(0.2)
    after = web_server.worker_rss_kib()
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert (after - before) < 20 * 1024, f"worker RSS grew from {before // 1024} to {after // 1024} MiB"


@pytest.mark.real_services
def test_a_body_within_the_cap_in_undeclared_fields_is_skipped_by_a_real_worker(web_server, demo_purposes):
    """Under the cap, many small file parts in fields the form does not declare are not kept."""
    boundary = "b0undary"
    limit = ApplicationForm.upload_limits().max_body_bytes
    part = _part(boundary, "junk", 512 * 1024)
    csrf = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{CSRF}\r\n"
            .encode())
    count = (limit - 1024) // len(part)
    body = csrf + part * count + f"--{boundary}--\r\n".encode()
    with socket.create_connection(("127.0.0.1", web_server.port), timeout=30) as sock:
        sock.sendall(_post_headers(web_server.port, len(body), boundary) + body)
        response = sock.recv(65536)
    # Parsed to the end (the form answers that its fields are missing), and nothing of it stored.
    assert response.startswith(b"HTTP/1.1 400"), response[:200]
    assert DataSubject.objects.count() == 0
