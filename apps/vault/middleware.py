from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .services import key_scope


class VaultKeyScopeMiddleware:
    """Each request unwraps a person's data key at most once, and forgets it afterwards."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_scope():
            return self.get_response(request)
