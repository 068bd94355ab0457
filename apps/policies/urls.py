from django.urls import path

from . import views

urlpatterns = [
    path("privacy/", views.policy_current, name="privacy-policy"),
    path("privacy/versions/", views.policy_versions, name="privacy-policy-versions"),
    path("privacy/versions/<int:number>/", views.policy_version, name="privacy-policy-version"),
    path("privacy/changes/<int:old>/<int:new>/", views.policy_changes, name="policy-changes"),
    path("privacy/choice/<str:token>/", views.policy_choice, name="policy-choice"),
    # Links printed before versions had their own pages.
    path("privacy/v/<int:number>/", views.policy_version_old_link),
]
