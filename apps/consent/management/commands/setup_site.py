"""Load what a site needs before its forms open (purposes, then policy v1, cookie categories, the first
vacancies, in English and Swahili) from a file.

Lives in consent, the highest app it needs (policies, cookies, consent). Idempotent.
"""

import tomllib
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.audit.services import Actor
from apps.consent.selectors import form_missing
from apps.consent.services import PURPOSE_TEXTS, purpose_ensure
from apps.cookies.services import cookie_category_ensure
from apps.policies.services import POLICY_TEXTS, policy_version_ensure
from apps.subjects.services import vacancy_ensure

ACTOR = Actor.system("setup_site")


def _translations(spec: dict, fields: tuple[str, ...]) -> dict[str, str]:
    """The texts given in other languages: `name_sw = "…"` next to `name = "…"`."""
    return {f"{field}_{language}": str(spec[f"{field}_{language}"]).strip()
            for field in fields for language, _name in settings.LANGUAGES if f"{field}_{language}" in spec}


class Command(BaseCommand):
    help = ("Set up the controller's policy v1, purposes, cookie categories and first vacancies from a TOML file "
            "(idempotent).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="path", type=Path, required=True,
                            help="the site file (see deploy/site.example.toml)")

    def handle(self, *args, path: Path, **options) -> None:
        try:
            site = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        controller = site.get("controller", {})
        for key, setting in [("name", "CONTROLLER_NAME"), ("privacy_officer_email", "PRIVACY_OFFICER_EMAIL")]:
            if key in controller and controller[key] != getattr(settings, setting):
                raise CommandError(f"The file's controller {key} is {controller[key]!r} but {setting} is "
                                   f"{getattr(settings, setting)!r}: set {setting} in the environment to match.")
        for spec in site.get("purposes", []):
            purpose, created = purpose_ensure(
                slug=spec["slug"], name=spec["name"], explanation=spec["explanation"],
                legal_basis=spec.get("legal_basis", "consent"), required=spec.get("required", False),
                collection_points=spec["collection_points"], recipients=spec.get("recipients", ""),
                retention_days=spec.get("retention_days"), order=spec.get("order", 0),
                translations=_translations(spec, PURPOSE_TEXTS), actor=ACTOR)
            self.stdout.write(f"purpose {purpose.slug}: {'created' if created else 'present'}")
        # After the purposes: publishing freezes the policy's "what we collect" table, which lists them.
        policy = site.get("policy")
        if policy:
            version, created = policy_version_ensure(
                version=str(policy["version"]), title=policy["title"], summary=policy["summary"],
                body=policy["body"].strip(), effective_at=None, translations=_translations(policy, POLICY_TEXTS),
                actor=ACTOR)
            self.stdout.write(f"policy v{version.version}: {'published' if created else 'present'}")
        for spec in site.get("cookie_categories", []):
            category, created = cookie_category_ensure(
                slug=spec["slug"], name=spec["name"], description=spec["description"],
                is_necessary=spec.get("is_necessary", False), off_under_gpc=spec.get("off_under_gpc", False),
                order=spec.get("order", 0), translations=_translations(spec, ("name", "description")))
            self.stdout.write(f"cookie category {category.slug}: {'created' if created else 'present'}")
        for spec in site.get("vacancies", []):
            texts = {f"{name}_{language}": spec[f"{name}_{language}"]
                     for name in ("title", "description", "location") for language in ("en", "sw")}
            vacancy, created = vacancy_ensure(
                controller_name=spec["company"], texts=texts, actor=ACTOR,
                closing_date=timezone.localdate() + timedelta(days=int(spec.get("open_days", 30))))
            self.stdout.write(f"vacancy {vacancy.title_en}: {'created' if created else 'present'}")
        for kind in ["apply", "contact"]:
            gaps = form_missing(kind)
            state = "open" if not gaps else "closed: needs " + ", ".join(str(g) for g in gaps)
            self.stdout.write(f"{kind} form: {state}")
