from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import engines

from .models import Application

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
