"""Cookie categories and declarations (what we tell visitors) and the consent log (what they chose)."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CookieCategory(models.Model):
    """A group of cookies a visitor allows or refuses as one: necessary, preferences, analytics, marketing."""

    slug = models.SlugField(
        _("key"), max_length=40, unique=True,
        help_text=_("Used in templates, e.g. {% cookie_allowed \"analytics\" %}. Changing it breaks them."),
    )
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("plain-language description"))
    is_necessary = models.BooleanField(
        _("necessary"), default=False,
        help_text=_("Always on and cannot be switched off: the site cannot work without these cookies."),
    )
    off_under_gpc = models.BooleanField(
        _("off under Global Privacy Control"), default=False,
        help_text=_("A browser sending Global Privacy Control keeps this category off unless the visitor "
                    "explicitly turns it on."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("cookie category")
        verbose_name_plural = _("cookie categories")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(is_necessary=True) & Q(off_under_gpc=True)),
                name="cookies_category_necessary_not_gpc",
                violation_error_message=_("A necessary category cannot be switched off by Global Privacy Control."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CookieDeclaration(models.Model):
    """One cookie (or a family of cookies sharing a prefix) the site may set, as listed on /cookies/."""

    class Party(models.TextChoices):
        FIRST = "first", _("First party (this site)")
        THIRD = "third", _("Third party")

    name = models.CharField(
        _("name or pattern"), max_length=200,
        help_text=_("The cookie's name. End it with * to cover every cookie starting with that prefix."),
    )
    provider = models.CharField(_("provider"), max_length=200)
    category = models.ForeignKey(
        CookieCategory, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("category"),
    )
    purpose = models.TextField(_("purpose"))
    duration = models.CharField(_("duration"), max_length=100)
    party = models.CharField(_("party"), max_length=5, choices=Party.choices, default=Party.FIRST)

    class Meta:
        ordering = ["category__order", "name"]
        verbose_name = _("cookie declaration")
        verbose_name_plural = _("cookie declarations")
        constraints = [
            models.UniqueConstraint(fields=["name", "provider"], name="cookies_declaration_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="cookies_declaration_name_not_empty"),
            models.CheckConstraint(
                condition=Q(party__in=["first", "third"]), name="cookies_declaration_party_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pattern(self) -> bool:
        return self.name.endswith("*")

    def matches(self, cookie_name: str) -> bool:
        if self.is_pattern:
            return cookie_name.startswith(self.name[:-1])
        return cookie_name == self.name


class CookieConsent(models.Model):
    """One saved cookie choice. Append-only: the log an auditor reads. No IP address in clear."""

    class Action(models.TextChoices):
        ACCEPT_ALL = "accept_all", _("Accepted all")
        REJECT_ALL = "reject_all", _("Rejected all")
        CUSTOM = "custom", _("Chose per category")
        GPC = "gpc", _("Global Privacy Control applied to an earlier choice")

    visitor_id = models.UUIDField(
        _("anonymous visitor id"), default=uuid.uuid4,
        help_text=_("Random; kept only in the visitor's consent cookie, so their choices can be linked."),
    )
    ip_hash = models.CharField(
        _("keyed hash of the IP address"), max_length=64, blank=True,
        help_text=_("HMAC-SHA256 under the site's secret key; the address itself is not stored."),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    choices = models.JSONField(_("choices"), help_text=_("Each category's key and whether it was allowed."))
    declaration_version = models.CharField(_("declaration version"), max_length=64)
    gpc = models.BooleanField(_("GPC signal present"), default=False)
    gpc_decided = models.BooleanField(
        _("GPC decided a default"), default=False,
        help_text=_("At least one category is off because Global Privacy Control set it off, "
                    "not because the visitor switched it off."),
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("cookie consent")
        verbose_name_plural = _("cookie consent log")
        indexes = [
            # The admin's consent log and the auditor's CSV export list the newest choices first.
            models.Index(fields=["-created_at"], name="cookies_consent_created"),
            # "Every choice this visitor made": the admin's search by visitor id.
            models.Index(fields=["visitor_id"], name="cookies_consent_visitor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["accept_all", "reject_all", "custom", "gpc"]),
                name="cookies_consent_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(gpc_decided=False) | Q(gpc=True), name="cookies_consent_gpc_decided_needs_gpc",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    # Sorted: a jsonb column (PostgreSQL) does not keep the keys in the order they were written.
    @property
    def allowed_categories(self) -> list[str]:
        return sorted(slug for slug, allowed in self.choices.items() if allowed)

    @property
    def refused_categories(self) -> list[str]:
        return sorted(slug for slug, allowed in self.choices.items() if not allowed)
