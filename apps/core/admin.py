from django.http import HttpRequest


class ReadOnlyAdmin:
    """For records that are evidence (audit events, receipts, certificates): viewable, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
