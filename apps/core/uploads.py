"""Request bodies: bounded before they are parsed, uploads held in memory only.

Uploads stay in memory, never in a temporary file: an ID scan must not touch disk unencrypted.
Bytes past the limit are counted but not kept, so the form can say "larger than 10 MB" while
memory stays bounded.

A view that takes files says so with `@accepts_uploads(...)`: the largest body it accepts and the
file fields it declares. `RequestBodyLimitMiddleware` (before CSRF, which parses the body) refuses a
larger body with 413 before a byte of it is read; every other view takes no files and no body
larger than DATA_UPLOAD_MAX_MEMORY_SIZE. While parsing, a file in an undeclared field, or a second
file in one field, is skipped unread, so one request can never make a worker hold more than the
declared total.
"""

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .views import notice


@dataclass(frozen=True)
class UploadLimits:
    max_body_bytes: int
    file_fields: frozenset[str]


def accepts_uploads(limits: Callable[[], UploadLimits]) -> Callable:
    """Mark a view as taking files, within limits computed when a request arrives."""

    def decorate(view: Callable) -> Callable:
        view.upload_limits = limits
        return view

    return decorate


def _default_limits() -> UploadLimits:
    return UploadLimits(max_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE, file_fields=frozenset())


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs) -> HttpResponse | None:
        limits = getattr(view_func, "upload_limits", _default_limits)()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limits.max_body_bytes:
            return body_too_large(request, limits)
        if request.content_type == "multipart/form-data":
            request.upload_handlers = [BoundedMemoryUploadHandler(request, allowed_fields=limits.file_fields)]
        return None


def body_too_large(request: HttpRequest, limits: UploadLimits) -> HttpResponse:
    megabytes = max(1, round(limits.max_body_bytes / 1_048_576))
    response = notice(request, status=413, heading=_("This is too large to send"), text=_(
        "What you sent is larger than this form accepts (%(mb)s MB in all). Nothing was stored. Please "
        "send a smaller scan or photo.") % {"mb": megabytes})
    # The body was not read: the connection cannot be reused for another request.
    response["Connection"] = "close"
    return response


class BoundedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None, allowed_fields: frozenset[str] | None = None) -> None:
        super().__init__(request)
        # None: the handler installed by settings, before the middleware has chosen the fields.
        self.allowed_fields = allowed_fields
        self.seen_fields: set[str] = set()

    def new_file(self, field_name: str, *args, **kwargs) -> None:
        if self.allowed_fields is not None and (field_name not in self.allowed_fields
                                                or field_name in self.seen_fields):
            raise SkipFile
        self.seen_fields.add(field_name)
        super().new_file(field_name, *args, **kwargs)
        self.buffer = BytesIO()
        self.total = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.total += len(raw_data)
        if self.total <= settings.UPLOAD_MAX_BYTES:
            self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        # `size` is what was sent; the content is empty when that was over the limit.
        if self.total > settings.UPLOAD_MAX_BYTES:
            self.buffer = BytesIO()
        return InMemoryUploadedFile(file=self.buffer, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=self.total,
                                    charset=self.charset, content_type_extra=self.content_type_extra)
