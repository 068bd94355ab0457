from django.urls import path

from privacy_portal.urls import urlpatterns as product

from . import views

urlpatterns = [path("apply/", views.minimum, name="minimum-apply"), *product]
