from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.liveness, name="healthz-live"),
    path("healthz/ready", views.readiness, name="healthz-ready"),
]
