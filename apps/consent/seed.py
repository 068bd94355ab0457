from .models import Purpose

DEMO_PURPOSES = [
    {"slug": "recruitment", "name": "Recruitment", "required": True, "legal_basis": "consent", "order": 1,
     "collection_points": ["apply"],
     "explanation": "We use your details, ID and referees to assess your application and match you with the job "
                    "you applied for."},
    {"slug": "share-with-employer", "name": "Sharing with the hiring company", "required": True, "order": 2,
     "legal_basis": "consent", "collection_points": ["apply"],
     "recipients": "the client company that is hiring for this job",
     "explanation": "We send your application to the company that asked us to recruit for them, so that they can "
                    "decide whether to hire you."},
    {"slug": "enquiry-response", "name": "Answering your enquiry", "required": True, "order": 3,
     "legal_basis": "consent", "collection_points": ["contact"],
     "explanation": "We use your name, email (and mobile, if you give it) and your message only to answer you."},
    {"slug": "marketing", "name": "News about new jobs", "required": False, "order": 4, "legal_basis": "consent",
     "collection_points": ["apply", "contact"],
     "explanation": "Occasional emails about new jobs that match your profile. Optional: you can say no and still "
                    "send the form."},
]


def seed_demo(stdout) -> None:
    for data in DEMO_PURPOSES:
        slug = data["slug"]
        _, created = Purpose.objects.get_or_create(slug=slug, defaults={k: v for k, v in data.items() if k != "slug"})
        stdout.write(f"purpose {slug}: {'created' if created else 'present'}")
