"""The staff roles (Django groups) and exactly the permissions each needs (docs: README "Staff roles").

Need to know: support see people masked and the state of their services, never in clear; recruiters
work people's services and may reveal with a reason; the privacy officer oversees everything that
proves the promises are kept. A permission named here that does not exist fails roles_sync loudly.
"""

from django.utils.translation import gettext_lazy as _

SUPPORT = "support"
RECRUITER = "recruiter"
PRIVACY_OFFICER = "privacy officer"

ROLE_NAMES = {SUPPORT: _("Support"), RECRUITER: _("Recruiter"), PRIVACY_OFFICER: _("Privacy officer")}

_SUPPORT = [
    "subjects.view_datasubject",  # masked only: support has no reveal permission
    "subjects.view_serviceengagement",
    "subjects.view_enquiry",  # that one exists and when, never its message
    "subjects.view_controller",
    "subjects.view_vacancy",
    "staff.send_private_link",  # to the address on file only: the person asked on the phone for a new link
]
_RECRUITER = [
    *_SUPPORT,
    "subjects.reveal_personal_data",
    "subjects.add_serviceengagement",
    "subjects.change_serviceengagement",  # its reference, and marking it complete (which erases)
    "subjects.add_vacancy",
    "subjects.change_vacancy",  # and closing it, which erases its applicants with no other open service
    "subjects.view_identitydocument",
    "staff.answer_enquiry",
    "staff.add_person",  # an application or enquiry received by email or phone, with the consent evidence
]
_PRIVACY_OFFICER = [
    *_RECRUITER,
    "subjects.add_controller", "subjects.change_controller",
    "api.view_apitoken", "api.add_apitoken", "api.change_apitoken",  # issue, see and revoke client API tokens
    "subjects.view_erasurejob", "subjects.view_reveal",
    "audit.view_auditevent",
    "vault.view_deletioncertificate",
    "consent.view_purpose", "consent.add_purpose", "consent.change_purpose",
    "consent.view_consentrecord",
    "cookies.view_cookiecategory", "cookies.add_cookiecategory", "cookies.change_cookiecategory",
    "cookies.view_cookiedeclaration", "cookies.add_cookiedeclaration", "cookies.change_cookiedeclaration",
    "cookies.view_cookieconsent",
    "policies.view_policyversion", "policies.add_policyversion", "policies.change_policyversion",
    # a draft's disclosures (the inline), the campaigns and their call list, the disclosure register
    "policies.view_policydisclosure", "policies.add_policydisclosure", "policies.change_policydisclosure",
    "policies.delete_policydisclosure",
    "policies.view_campaign", "policies.change_campaign",
    "policies.view_campaignrecipient", "policies.change_campaignrecipient",
    "policies.view_disclosure", "policies.add_disclosure", "policies.view_disclosurechoice",
    "notifications.view_notification",
    "staff.view_dashboard",
    "staff.view_rightsrequest", "staff.add_rightsrequest", "staff.change_rightsrequest",
    "staff.view_breach", "staff.add_breach", "staff.change_breach", "staff.view_breachnotice",
    "staff.restrict_processing", "staff.notify_breach", "staff.issue_enrolment_code",
    "staff.approve_bulk_erasure",  # more than STAFF_BULK_ERASURE_LIMIT people at once, or approve a recruiter doing so
]

ROLES: dict[str, list[str]] = {SUPPORT: _SUPPORT, RECRUITER: _RECRUITER, PRIVACY_OFFICER: _PRIVACY_OFFICER}


def groups_apply(*, group_model, permission_model, strict: bool = True) -> dict[str, int]:
    """Make each role's group hold exactly its permissions. Takes the model classes so the data migration
    (historical models) and roles_sync (real ones) share it. Returns the permission count per role.

    The migration is not strict: a permission added here later may belong to a model whose migration runs
    after it; `manage.py staff_roles` (strict) completes the groups once every migration has run."""
    counts = {}
    for name, wanted in ROLES.items():
        pairs = {tuple(label.split(".", 1)) for label in wanted}
        found = [p for p in permission_model.objects.select_related("content_type")
                 if (p.content_type.app_label, p.codename) in pairs]
        missing = pairs - {(p.content_type.app_label, p.codename) for p in found}
        if missing and strict:
            raise LookupError(f"role {name!r} names permissions that do not exist: {sorted(missing)}")
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.set(found)
        counts[name] = len(found)
    return counts
