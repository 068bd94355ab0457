"""Demo client companies and vacancies, each text in English and Swahili. Idempotent."""

import uuid
from datetime import timedelta

from django.utils import timezone

from apps.core.cache import content_bump

from .models import Controller, Vacancy
from .selectors import VACANCIES

DEMO_VACANCIES = [
    {"id": uuid.UUID("00000000-0000-4000-8000-0000000a0b01"), "controller": "Pwani Logistics Ltd", "days": 30,
     "title_en": "Warehouse supervisor", "title_sw": "Msimamizi wa ghala",
     "location_en": "Mombasa", "location_sw": "Mombasa",
     "description_en": "Lead a team of six in a busy warehouse near the port: plan shifts, check deliveries "
                       "against orders and keep the stock records right.\n\nAt least two years in a warehouse or "
                       "store; a forklift licence is a plus.",
     "description_sw": "Ongoza timu ya watu sita katika ghala lenye shughuli nyingi karibu na bandari: panga zamu, "
                       "kagua mizigo inayoingia dhidi ya maagizo na hakikisha rekodi za bidhaa ni sahihi.\n\nUzoefu "
                       "wa angalau miaka miwili katika ghala au stoo; leseni ya forklift ni faida ya ziada."},
    {"id": uuid.UUID("00000000-0000-4000-8000-0000000a0b02"), "controller": "Savanna Health Clinics", "days": 45,
     "title_en": "Customer care agent", "title_sw": "Wakala wa huduma kwa wateja",
     "location_en": "Nairobi (Westlands)", "location_sw": "Nairobi (Westlands)",
     "description_en": "Answer patients' calls and messages in English and Swahili, book appointments and follow "
                       "up on payments.\n\nA diploma and one year in customer service; good phone manner.",
     "description_sw": "Jibu simu na jumbe za wagonjwa kwa Kiingereza na Kiswahili, panga miadi na fuatilia "
                       "malipo.\n\nStashahada na mwaka mmoja katika huduma kwa wateja; adabu nzuri kwenye simu."},
]
SWAHILI = ("title_sw", "description_sw", "location_sw")


def seed_demo(stdout) -> None:
    for data in DEMO_VACANCIES:
        controller, _created = Controller.objects.get_or_create(name=data["controller"])
        texts = {k: v for k, v in data.items() if k.endswith(("_en", "_sw"))}
        vacancy, created = Vacancy.objects.get_or_create(
            pk=data["id"], defaults={"controller": controller, **texts,
                                     "closing_date": timezone.localdate() + timedelta(days=data["days"])})
        # A demo seeded before the texts had Swahili gets them now (only where none was written).
        missing = {f: data[f] for f in SWAHILI if not getattr(vacancy, f)}
        if missing:
            Vacancy.objects.filter(pk=vacancy.pk).update(**missing)
        stdout.write(f"vacancy {vacancy.title_en}: {'created' if created else 'present'}")
    content_bump(VACANCIES)  # written around vacancy_save: the pages list them at once all the same
