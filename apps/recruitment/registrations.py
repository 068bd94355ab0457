"""What this app tells the apps below it, registered in RecruitmentConfig.ready() once the models are loaded:
what it holds (the personal-data map), and which data keys it owns (the orphan-key sweep in subjects)."""

from apps.core import datamap
from apps.subjects.services import key_owners_register

from .holdings import HOLDINGS
from .intake import key_owners


def register() -> None:
    datamap.register(*HOLDINGS)
    # A held form and a kept file own their data keys: the orphan sweep must not take them.
    key_owners_register(key_owners)
