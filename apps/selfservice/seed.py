"""A demo applicant, so that the self-service pages can be tried from `make demo`."""

import uuid

from apps.consent.models import ConsentRecord, Purpose, Submission
from apps.consent.services import CollectionContext
from apps.recruitment.intake import submission_receive
from apps.subjects.links import link_url
from apps.subjects.models import Vacancy
from apps.subjects.seed import DEMO_VACANCIES

DEMO_KEY = uuid.UUID("00000000-0000-4000-8000-00000000d3e0")
PDF = b"%PDF-1.4\n% demo identity document\n%%EOF\n"


def seed_demo(stdout) -> list[tuple[str, str]]:
    submission = Submission.objects.filter(pk=DEMO_KEY).select_related("subject").first()
    created = submission is None
    if created:
        vacancy = Vacancy.objects.filter(pk=DEMO_VACANCIES[0]["id"], status=Vacancy.Status.OPEN).first()
        received = submission_receive(
            key=DEMO_KEY, kind="apply",
            data={"full_name": "Demo Applicant", "email": "demo.applicant@example.org", "mobile": "+254712000001",
                  "address": "P.O. Box 1-00100, Nairobi", "legal_id_type": "national-id",
                  "legal_id_number": "12345678", "experience": "Three years as a stores clerk in Nairobi.",
                  "referees": [{"name": "Demo Referee One", "phone": "+254722000001", "relationship": "Manager"},
                               {"name": "Demo Referee Two", "phone": "+254733000001", "relationship": "Lecturer"}]},
            purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer", "marketing"])),
            context=CollectionContext(collection_point="seed_demo", form_version="demo",
                                      source=ConsentRecord.Source.WEB_FORM),
            document=PDF, vacancy=vacancy,
        )
        submission = received.submission
    if submission.subject.is_erased:
        stdout.write("demo applicant: erased (run `make clean demo` for a fresh one)")
        return []
    stdout.write(f"demo applicant: {'created' if created else 'present'}")
    return [("The demo applicant's private link (open it to try the self-service pages)", link_url(submission.subject))]
