"""Bench-only: the baseline for bench/api.py, a plain JSON endpoint that stores a candidate's fields
unencrypted in one row. Never installed in the product (only bench/api_settings.py adds it)."""
