from django.apps import AppConfig


class ApiBaselineConfig(AppConfig):
    name = "bench.api_baseline"
    label = "api_baseline"
