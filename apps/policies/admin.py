from django.contrib import admin
from django.http import HttpRequest

from apps.audit.services import Actor

from .models import PolicyVersion
from .services import policy_version_save


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "effective_at", "published_at"]

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form, change: bool) -> None:
        policy_version_save(version=obj, actor=Actor.staff(request.user), changed=form.changed_data)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # every version stays public; consent receipts point at them
