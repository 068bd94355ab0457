from django.urls import path

from . import views

urlpatterns = [
    path("ok/", views.ok, name="baseline-ok"),
    path("apply/", views.apply, name="baseline-apply"),
]
