from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.core.views import records_of_processing_page
from apps.recruitment.views import home

urlpatterns = [
    # The home page lists the open jobs, which live above core: recruitment serves it.
    path("", home, name="home"),
    path("", include("apps.core.urls")),
    path("", include("apps.vault.urls")),
    path("", include("apps.cookies.urls")),
    path("", include("apps.policies.urls")),
    path("", include("apps.recruitment.urls")),
    path("me/", include("apps.selfservice.urls")),
    path("", include("apps.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path(f"{settings.ADMIN_URL}records-of-processing/", admin.site.admin_view(records_of_processing_page),
         name="records-of-processing"),
    path(settings.ADMIN_URL, admin.site.urls),
]
