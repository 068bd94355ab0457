import json
import os
import uuid

from celery import current_app
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.utils.translation import get_language
from django_ratelimit.decorators import ratelimit

from apps.audit.models import Verb
from apps.audit.services import Actor, audit_record, audited_transaction
from apps.consent.services import purposes_shown
from apps.core.uploads import accepts_uploads
from apps.recruitment.forms import ApplicationForm as ProductApplicationForm
from apps.recruitment.views import apply as product_apply
from apps.vault.services import datakey_create, datakey_get, key_scope

from .models import Application, PeerApplication, PeerAudit, PeerConsent, SealedApplication

PAGE = engines["django"].from_string(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Apply</title></head><body>'
    '<form method="post" enctype="multipart/form-data">{% csrf_token %}{{ form }}<button>Send</button></form>'
    "</body></html>"
)


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = [f.name for f in Application._meta.fields if f.name != "id"]


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("baseline-ok")
    return HttpResponse(PAGE.render({"form": form}, request), status=400 if request.method == "POST" else 200)


@accepts_uploads(ProductApplicationForm.upload_limits)
@ratelimit(key="ip", rate=settings.FORM_POST_RATE, method="POST", block=True)
def minimum(request: HttpRequest) -> HttpResponse:
    """The least an accountable intake does, on the product's settings and middleware (bench/intake.py
    --minimum): the product's form page; on POST the same rate limit, upload limits, form and validation (the
    job, the phone numbers, the ID scan), the same look-up of the form's key, then one transaction that stores
    the data and the scan sealed (AES-GCM, pyca) under a key of its own kept wrapped in the key store (so it can be
    read back, and forgotten), in one row, and appends one audit event, one job published
    after commit, and the visitor's session for the done page. No person, record, consent receipt, engagement,
    messages or referee notices: the product's own work, which this leaves out."""
    if request.method != "POST":
        return product_apply(request)
    purposes = purposes_shown(kind="apply", language=get_language() or settings.LANGUAGE_CODE)
    key = request.POST.get("key", "")
    if SealedApplication.objects.filter(pk=key).exists():
        return redirect("recruitment:done")
    form = ProductApplicationForm(request.POST, request.FILES, purposes=purposes)
    if not form.is_valid():
        return HttpResponse("invalid", status=400)
    data = {k: str(v) for k, v in form.record_data().items()}
    scan = form.cleaned_data.get("id_document") or b""
    nonce = os.urandom(12)
    with key_scope(), audited_transaction(durable=True):
        # Sealed under a key of its own that is kept (wrapped, in the key store), so the row can be read back
        # and forgotten by destroying the key: the least a design that can do both costs.
        datakey_create(subject_id=form.cleaned_data["key"])
        sealed = nonce + AESGCM(datakey_get(subject_id=form.cleaned_data["key"])).encrypt(
            nonce, json.dumps(data).encode() + b"\0" + scan, None)
        SealedApplication.objects.create(key=form.cleaned_data["key"], sealed=sealed)
        audit_record(actor=Actor.system("apply-form"), verb=Verb.SUBJECT_MATCHED, target=str(form.cleaned_data["key"]))
        transaction.on_commit(lambda: current_app.send_task("bench.minimum", args=[str(form.cleaned_data["key"])]))
    request.session["bench_minimum"] = str(form.cleaned_data["key"])
    return redirect("recruitment:done")


PEER_FERNET = Fernet(Fernet.generate_key())  # one app-wide key, as a typical peer keeps in its settings


@accepts_uploads(ProductApplicationForm.upload_limits)  # the product's settings read only declared uploads
def peer(request: HttpRequest) -> HttpResponse:
    """A typical peer's intake (bench/intake.py --peer), on the product's settings with ATOMIC_REQUESTS: the
    product's form and validation, then personal fields encrypted with Fernet under one app-wide key, one
    consent row per ticked purpose, one audit row, the scan saved as a file, one Celery publish on commit."""
    if request.method != "POST":
        return product_apply(request)
    purposes = purposes_shown(kind="apply", language=get_language() or settings.LANGUAGE_CODE)
    form = ProductApplicationForm(request.POST, request.FILES, purposes=purposes)
    if not form.is_valid():
        return HttpResponse("invalid", status=400)
    data = form.record_data()

    def sealed(value) -> str:
        return PEER_FERNET.encrypt(str(value).encode()).decode()

    scan = default_storage.save(f"peer/{uuid.uuid4().hex}.pdf", ContentFile(form.cleaned_data["id_document"]))
    application = PeerApplication.objects.create(
        full_name=sealed(data["full_name"]), email=sealed(data["email"]), mobile=sealed(data["mobile"]),
        address=sealed(data["address"]), legal_id=sealed(f"{data['legal_id_type']}:{data['legal_id_number']}"),
        referees=sealed(json.dumps(data["referees"])), scan=scan, vacancy_id=form.cleaned_data["vacancy"].pk)
    PeerConsent.objects.bulk_create([PeerConsent(application=application, purpose=p.slug)
                                     for p in form.purposes_given()])
    PeerAudit.objects.create(action="application.received", target=str(application.pk))
    transaction.on_commit(lambda: current_app.send_task("bench.peer", args=[application.pk]))
    return redirect("baseline-ok")
