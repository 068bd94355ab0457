import pytest
from django.core.management import call_command


@pytest.fixture
def demo_purposes(db, settings):
    """The demo purposes and policy v1, as seed_demo makes them."""
    from io import StringIO

    from apps.consent.seed import seed_demo as seed_purposes
    from apps.policies.seed import seed_demo as seed_policy

    seed_policy(StringIO())
    seed_purposes(StringIO())
    settings.RATELIMIT_ENABLE = False


__all__ = ["call_command"]
