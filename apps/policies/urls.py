from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.policy_current, name="privacy-policy"),
    path("privacy/v/<str:version>/", views.policy_version, name="privacy-policy-version"),
]
