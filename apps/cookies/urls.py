from django.urls import path

from . import views

app_name = "cookies"
urlpatterns = [
    path("cookies/", views.preferences, name="preferences"),
    path("cookies/save/", views.save, name="save"),
    path(".well-known/gpc.json", views.gpc_json, name="gpc-json"),
]
