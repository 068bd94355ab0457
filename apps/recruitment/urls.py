from django.urls import path

from . import views

app_name = "recruitment"
urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("contact/", views.contact, name="contact"),
    path("rights/", views.rights, name="rights"),
    path("sent/", views.done, name="done"),
    path("sent/code/", views.code, name="code"),
    path("confirm/<str:token>/", views.pending, name="pending"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<uuid:pk>/", views.job, name="job"),
]
