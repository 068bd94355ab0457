from django.core.management.base import BaseCommand

from apps.vault.keyring import get_keyring
from apps.vault.services import datakeys_rewrap


class Command(BaseCommand):
    help = ("Rewrap every data key under the newest key in PII_MASTER_KEYS. Resumable; afterwards older "
            "master keys can be removed from the setting.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options) -> None:
        current = get_keyring().current_id
        done = 0
        for done, remaining in datakeys_rewrap(batch_size=batch_size):
            self.stdout.write(f"rewrapped {done}, {remaining} to go")
        self.stdout.write(f"done: {done} keys rewrapped; every data key is now under {current!r}")
