"""A bench-only Django app: the same-run baseline of bench/intake.py and bench/pages.py.

Not part of the product (never in INSTALLED_APPS of privacy_portal.settings): enabled only by
bench.baseline.settings, which is the product's production settings with Django's default
middleware, this app, and its own URLs. It answers what plain Django costs on the same machine:
a bare view returning "ok", and a ModelForm creating one row with the application's text fields.
"""
