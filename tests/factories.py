"""Factories for tests. People are made through the service, so their data is really encrypted."""

import datetime

import factory
from django.utils import timezone
from faker import Faker

from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import Controller, DataSubject, ServiceEngagement, Vacancy

fake = Faker()

# Real, valid Kenyan mobile numbers in the Safaricom range (Faker's are not always valid).
def kenyan_mobile(n: int) -> str:
    return f"+2547{(12000000 + n) % 100000000:08d}"


class ControllerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Controller
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Client Company {n}")


class VacancyFactory(factory.django.DjangoModelFactory):
    """An open vacancy with English and Swahili texts, closing in a month."""

    class Meta:
        model = Vacancy

    controller = factory.SubFactory(ControllerFactory)
    title_en = factory.Sequence(lambda n: f"Warehouse supervisor {n}")
    title_sw = factory.Sequence(lambda n: f"Msimamizi wa ghala {n}")
    description_en = "Lead a team of six in our client's Mombasa warehouse."
    description_sw = "Ongoza timu ya watu sita katika ghala la mteja wetu huko Mombasa."
    location_en = "Mombasa"
    location_sw = "Mombasa"
    closing_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class SubjectFactory(factory.Factory):
    """Builds the service's keyword arguments and creates the person through subject_create."""

    class Meta:
        model = DataSubject

    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    mobile = factory.Sequence(kenyan_mobile)
    address = factory.Faker("address")
    referees = factory.LazyFunction(
        lambda: [
            {"name": fake.name(), "phone": kenyan_mobile(fake.random_int(0, 9999)), "relationship": "Former manager"},
            {"name": fake.name(), "phone": kenyan_mobile(fake.random_int(0, 9999)), "relationship": "Lecturer"},
        ]
    )
    legal_id_type = "national-id"
    legal_id_number = factory.Sequence(lambda n: f"{30000000 + n}")

    @classmethod
    def _create(cls, model_class, **kwargs) -> DataSubject:
        return services.subject_create(actor=Actor.system("test"), **kwargs)


class EngagementFactory(factory.Factory):
    class Meta:
        model = ServiceEngagement

    subject = factory.SubFactory(SubjectFactory)
    service = ServiceEngagement.Service.RECRUITMENT
    reference = factory.Sequence(lambda n: f"REQ-{n:05d}")
    controller = None

    @classmethod
    def _create(cls, model_class, **kwargs) -> ServiceEngagement:
        return services.engagement_open(actor=Actor.system("test"), **kwargs)


# Smallest valid files of each accepted type, and one that is not.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"passport scan " * 20
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 64
