from django.urls import path

from privacy_portal.urls import urlpatterns as product

from . import views

urlpatterns = [path("apply/", views.peer, name="peer-apply"), path("ok/", views.ok, name="baseline-ok"), *product]
