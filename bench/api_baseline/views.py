import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import PlainCandidate


@csrf_exempt
@require_POST
def plain_candidate(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    person, consent = body["person"], body["consent"]
    row = PlainCandidate.objects.create(
        vacancy_id=body["vacancy"], reference=body.get("reference", ""), full_name=person["full_name"],
        email=person["email"], mobile=person["mobile"], address=person["address"],
        legal_id_type=person["legal_id_type"], legal_id_number=person["legal_id_number"],
        referees=person["referees"], purposes=consent["purposes"], obtained_at=consent["obtained_at"],
        obtained_how=consent["obtained_how"])
    return JsonResponse({"id": row.pk}, status=201)
