from django.core.management.base import BaseCommand

from apps.core.datamap import records_of_processing, render_records


class Command(BaseCommand):
    help = ("Print the records of processing (what personal data we hold, why, on what basis, for how long, "
            "where, and what erasure does), generated from the personal-data map.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["markdown", "csv"], default="markdown")

    def handle(self, *args, format: str, **options) -> None:  # noqa: A002 (the option's name)
        self.stdout.write(render_records(records_of_processing(), format=format), ending="")
