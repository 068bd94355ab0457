"""The one beat schedule: every periodic job, how often it runs, and why. Each entry is a thin trigger of a
service (its task calls one). Exactly one beat process runs it (`make beat`; apps.core.beat keeps a second
one standing by).

Settings import this module once (CELERY_BEAT_SCHEDULE = beat_schedule(...)); they are read before any app
is loaded, so an entry names its task by its registered name. tests/core/test_beat_schedule.py checks that
every name is a registered task and that each runs.
"""

HOUR, DAY = 3600.0, 86400.0


def beat_schedule(*, redrive_seconds: float, audit_anchor_seconds: float, transparency_head_seconds: float) -> dict:
    def every(seconds: float, task: str, **kwargs: object) -> dict:
        return {"task": task, "schedule": float(seconds), **({"kwargs": kwargs} if kwargs else {})}

    return {
        # --- work a broker outage or a killed worker left behind, published again ---------------------
        "erasure-redrive": every(redrive_seconds, "apps.subjects.tasks.erasure_redrive_task"),
        "link-requests-redrive": every(redrive_seconds, "apps.selfservice.tasks.link_requests_redrive_task"),
        "notifications-redrive": every(30, "apps.notifications.tasks.notifications_redrive_task"),
        "erasure-notices-redrive": every(60, "apps.notifications.tasks.erasure_notices_redrive_task"),
        "campaigns-redrive": every(30, "apps.policies.tasks.campaigns_redrive_task"),
        # --- retention: what the policy promises to erase, when ------------------------------------
        "enforce-retention": every(HOUR, "apps.subjects.tasks.enforce_retention_task"),
        "retention-notices": every(HOUR, "apps.selfservice.tasks.retention_notices_task"),
        # A vacancy VACANCY_CLOSE_GRACE_DAYS past its closing date is closed (its applicants' data erased).
        "vacancies-close": every(HOUR, "apps.subjects.tasks.vacancies_close_task"),
        "intakes-expire": every(HOUR, "apps.recruitment.tasks.intakes_expire_task"),
        "uploads-kept-expire": every(300, "apps.recruitment.tasks.uploads_kept_expire_task"),
        "referee-notices-expire": every(DAY, "apps.recruitment.tasks.referee_notices_expire_task"),
        # --- policy versions: a version comes into force on its date (recorded once) ----------------
        "policies-in-force": every(60, "apps.policies.tasks.policies_bring_into_force_task"),
        # --- evidence: the audit chain heads published outside the database (only when they moved): a log
        # line, a stored anchor and a signed leaf of the public transparency log; an email daily ----------
        "audit-anchor": every(audit_anchor_seconds, "apps.vault.tasks.audit_anchor_log_task"),
        "audit-anchor-email": every(DAY, "apps.vault.tasks.audit_anchor_log_task", email=True),
        "transparency-head": every(transparency_head_seconds, "apps.vault.tasks.tree_head_publish_task"),
    }
