from .models import Purpose

# Each visitor-facing text in English and Swahili (django-modeltranslation columns).
DEMO_PURPOSES = [
    {"slug": "recruitment", "required": True, "legal_basis": "consent", "order": 1, "collection_points": ["apply"],
     "name_en": "Recruitment", "name_sw": "Uajiri",
     "explanation_en": "We use your details, ID and referees to assess your application and match you with the job "
                       "you applied for.",
     "explanation_sw": "Tunatumia taarifa zako, kitambulisho chako na wadhamini wako kukagua ombi lako la kazi na "
                       "kukulinganisha na kazi uliyoiomba."},
    {"slug": "share-with-employer", "required": True, "order": 2, "legal_basis": "consent",
     "collection_points": ["apply"],
     "name_en": "Sharing with the hiring company", "name_sw": "Kuwapa taarifa kampuni inayoajiri",
     "recipients_en": "the client company that is hiring for this job",
     "recipients_sw": "kampuni ya mteja inayoajiri kwa kazi hii",
     "explanation_en": "We send your application to the company that asked us to recruit for them, so that they can "
                       "decide whether to hire you.",
     "explanation_sw": "Tunatuma ombi lako kwa kampuni iliyotuomba tuwatafutie wafanyakazi, ili waamue kama "
                       "watakuajiri."},
    {"slug": "enquiry-response", "required": True, "order": 3, "legal_basis": "consent",
     "collection_points": ["contact"],
     "name_en": "Answering your enquiry", "name_sw": "Kujibu swali lako",
     "explanation_en": "We use your name, email (and mobile, if you give it) and your message only to answer you.",
     "explanation_sw": "Tunatumia jina lako, barua pepe yako (na nambari yako ya simu, ukiitoa) na ujumbe wako kwa "
                       "ajili ya kukujibu tu."},
    {"slug": "marketing", "required": False, "order": 4, "legal_basis": "consent",
     "collection_points": ["apply", "contact"],
     "name_en": "News about new jobs", "name_sw": "Habari za kazi mpya",
     "explanation_en": "Occasional emails about new jobs that match your profile. Optional: you can say no and still "
                       "send the form.",
     "explanation_sw": "Barua pepe za mara kwa mara kuhusu kazi mpya zinazolingana na wasifu wako. Ni hiari: "
                       "unaweza kukataa na bado ukatuma fomu."},
]
SWAHILI = ("name_sw", "explanation_sw", "recipients_sw")


def seed_demo(stdout) -> None:
    for data in DEMO_PURPOSES:
        slug = data["slug"]
        purpose, created = Purpose.objects.get_or_create(
            slug=slug, defaults={k: v for k, v in data.items() if k != "slug"})
        # A site seeded before the texts had Swahili gets them now (only where none was written).
        missing = {f: data[f] for f in SWAHILI if f in data and not getattr(purpose, f)}
        if missing:
            Purpose.objects.filter(pk=purpose.pk).update(**missing)
        stdout.write(f"purpose {slug}: {'created' if created else 'present'}")
