"""Bench-only URLs: the product's, plus the baseline endpoint (bench/api_settings.py)."""

from django.urls import path

from bench.api_baseline.views import plain_candidate
from privacy_portal.urls import urlpatterns as product

urlpatterns = [path("bench/plain-candidates", plain_candidate), *product]
