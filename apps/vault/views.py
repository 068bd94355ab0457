"""Public proofs: the signing keys, the transparency log's heads and proofs, signed certificates, /verify/."""

import uuid

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.uploads import UploadLimits, accepts_uploads

from . import transparency
from .models import DeletionCertificate, TreeHead
from .proofs import public_keys
from .routers import vault_db

MAX_PROOF_BYTES = 64 * 1024


def _public(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"  # anyone may check our proofs from anywhere
    return response


@require_GET
def keys(request: HttpRequest) -> JsonResponse:
    return _public(JsonResponse(public_keys()))


@require_GET
def head_latest(request: HttpRequest) -> JsonResponse:
    head = TreeHead.objects.using(vault_db()).order_by("-size").first()
    if head is None:
        return JsonResponse({"error": "no tree head has been published yet"}, status=404)
    return _public(JsonResponse(transparency.head_json(head)))


@require_GET
def head_by_size(request: HttpRequest, size: int) -> JsonResponse:
    return _public(JsonResponse(transparency.head_json(get_object_or_404(TreeHead.objects.using(vault_db()),
                                                                         size=size))))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@require_GET
def proof_inclusion(request: HttpRequest) -> JsonResponse:
    leaf_hash, size = request.GET.get("hash", ""), _int(request.GET.get("size"))
    if size is None:
        head = TreeHead.objects.using(vault_db()).order_by("-size").first()
        size = head.size if head else 0
    if len(leaf_hash) != 64 or not size:
        return JsonResponse({"error": "give hash (hex SHA-256 of 0x00 || the certificate) and size"}, status=400)
    proof = transparency.inclusion_proof(leaf_hash=leaf_hash, size=size)
    if proof is None:
        return JsonResponse({"error": "no such leaf in a tree of that size"}, status=404)
    return _public(JsonResponse(proof))


@require_GET
def proof_consistency(request: HttpRequest) -> JsonResponse:
    first, second = _int(request.GET.get("first")), _int(request.GET.get("second"))
    if first is None or second is None:
        return JsonResponse({"error": "give first and second tree sizes"}, status=400)
    try:
        return _public(JsonResponse(transparency.consistency_proof(first=first, second=second)))
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)


@require_GET
def certificate(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A signed deletion certificate, by its random id. It names only a pseudonymous id."""
    signed = (DeletionCertificate.objects.using(vault_db()).filter(pk=pk).exclude(signed="")
              .values_list("signed", flat=True).first())
    if signed is None:
        raise Http404
    response = HttpResponse(signed, content_type="application/jose")
    response["Content-Disposition"] = f'attachment; filename="deletion-certificate-{pk}.jws"'
    return _public(response)


class VerifyForm(forms.Form):
    proof = forms.CharField(label=_("Paste the receipt or certificate"), required=False, max_length=MAX_PROOF_BYTES,
                            widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}))
    file = forms.FileField(label=_("Or choose the file"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_PROOF_BYTES:
                raise forms.ValidationError(_("That file is too large to be a receipt or certificate."))
            try:
                data["proof"] = upload.read().decode("ascii")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("That file is not a receipt or certificate.")) from None
        if not data.get("proof", "").strip():
            raise forms.ValidationError(_("Paste a receipt or certificate, or choose its file."))
        return data


@require_http_methods(["GET", "POST"])
@accepts_uploads(lambda: UploadLimits(max_body_bytes=MAX_PROOF_BYTES + 16 * 1024, file_fields=frozenset({"file"})))
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None, request.FILES or None)
    check = None
    if request.method == "POST" and form.is_valid():
        check = transparency.proof_check(token=form.cleaned_data["proof"])
    elif request.method == "GET" and request.GET.get("certificate"):  # the link in a deletion notice
        check = transparency.certificate_check(certificate_id=request.GET["certificate"][:64])
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "vault/verify.html", {"form": form, "check": check}, status=status)
