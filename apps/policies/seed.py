from django.utils import translation

from apps.audit.services import Actor

from . import text
from .models import PolicyDisclosure, PolicyVersion
from .selectors import policy_in_force
from .services import policy_version_publish

BODY = """## What we collect and how

We collect your name, mobile number, email address, postal address, reference contact details and legal
identification only with your consent, and we explain at the time we ask what each item is for.

We get your personal and professional details directly from you, or from the company (controller) that asked us to
recruit for them.

## How we protect it

Personally identifiable information is encrypted with a key that belongs to you alone. Only employees who need to
know can see it, and every time they reveal it, it is recorded.

## How long we keep it

We permanently delete your data immediately after the service is complete, including the copies in our backups: we
destroy your key, then the data, and keep only a certificate that says when it was deleted and why.

## Who receives it

We do not make personal information available to third parties without your permission, except when the law
requires it. If we decide to disclose personal information in a way different from what we told you when we
collected it, we will notify you by email or text and you will be able to opt out.

## Your rights

You can see, correct, download or delete your data, and withdraw your consent, through the private link in your
confirmation message. We will post every change to this policy here; every past version stays available."""

BODY_SW = """## Tunachokusanya na jinsi tunavyokusanya

Tunakusanya jina lako, nambari yako ya simu ya mkononi, anwani yako ya barua pepe, anwani yako ya posta, taarifa za
mawasiliano za wadhamini wako na kitambulisho chako rasmi kwa idhini yako tu, na tunaeleza wakati tunapoviomba kila
kimoja ni cha nini.

Tunapata taarifa zako binafsi na za kikazi moja kwa moja kutoka kwako, au kutoka kwa kampuni (mdhibiti) iliyotuomba
tuwatafutie wafanyakazi.

## Jinsi tunavyoilinda

Taarifa zinazokutambulisha husimbwa kwa njia fiche kwa ufunguo ulio wako peke yako. Ni wafanyakazi wanaohitaji
kujua tu wanaoweza kuziona, na kila wanapozifichua, hilo hurekodiwa.

## Tunaihifadhi kwa muda gani

Tunafuta data yako kabisa mara tu huduma inapokamilika, pamoja na nakala zilizo kwenye nakala zetu za akiba:
tunaharibu ufunguo wako, kisha data yenyewe, na tunabaki na cheti tu kinachosema ilifutwa lini na kwa nini.

## Nani anaipokea

Hatutoi taarifa binafsi kwa wahusika wengine bila ruhusa yako, isipokuwa sheria inapotutaka kufanya hivyo. Tukiamua
kutoa taarifa binafsi kwa njia tofauti na ile tuliyokueleza tulipoikusanya, tutakuarifu kwa barua pepe au ujumbe mfupi
na utaweza kujiondoa.

## Haki zako

Unaweza kuona, kusahihisha, kupakua au kufuta data yako, na kuondoa idhini yako, kupitia kiungo cha faragha kilicho
kwenye ujumbe wako wa uthibitisho. Tutaweka hapa kila mabadiliko ya sera hii; kila toleo la awali litabaki
likipatikana."""

DISCLOSURES = [
    {"key": "hiring-company", "recipient_en": "The client company hiring for the job",
     "recipient_sw": "Kampuni ya mteja inayoajiri kwa kazi hiyo",
     "recipient_category_en": "Employer (client company)", "recipient_category_sw": "Mwajiri (kampuni ya mteja)",
     "purpose_en": "deciding whether to hire you", "purpose_sw": "kuamua kama watakuajiri",
     "purpose_slug": "share-with-employer", "data_categories": ["identity", "contact", "address", "referee"],
     "compatible": True},
]


def seed_demo(stdout) -> None:
    if PolicyVersion.objects.filter(number=1).exists():
        stdout.write("policy v1: present")
        _republish_if_table_changed(stdout)
        return
    version = PolicyVersion.objects.create(
        title_en="Privacy policy", title_sw="Sera ya faragha", summary_en="First published version.",
        summary_sw="Toleo la kwanza kuchapishwa.", body_en=BODY, body_sw=BODY_SW)
    for data in DISCLOSURES:
        PolicyDisclosure.objects.create(version=version, **data)
    policy_version_publish(version=version, actor=Actor.system("seed"))
    stdout.write("policy v1: created")


def _republish_if_table_changed(stdout) -> None:
    """A demo seeded before the personal-data map's texts were translated has a version whose Swahili table is
    half English, frozen at publish. Published versions never change, so the same text is published again as a
    new version (its disclosures unchanged: nobody is notified), whose table is frozen in every language now."""
    current = policy_in_force()
    if current is None:
        return
    disclosures = list(current.disclosures.all())
    with translation.override("sw"):
        table = text.data_table(disclosures)
    if (current.data_table or {}).get("sw") == table:
        return
    version = PolicyVersion.objects.create(
        title_en=current.title_en, title_sw=current.title_sw, body_en=current.body_en, body_sw=current.body_sw,
        summary_en="The same policy again, its table of what we collect now in Swahili too.",
        summary_sw="Sera ileile tena, na jedwali la tunachokusanya sasa kwa Kiswahili pia.")
    copied = [f.name for f in PolicyDisclosure._meta.concrete_fields if f.name not in ("id", "version")]
    for disclosure in disclosures:
        PolicyDisclosure.objects.create(version=version, **{name: getattr(disclosure, name) for name in copied})
    policy_version_publish(version=version, actor=Actor.system("seed"))
    stdout.write(f"policy v{version.number}: v{current.number} again, its table in every language")
