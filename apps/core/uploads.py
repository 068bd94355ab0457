"""Uploads stay in memory, never in a temporary file: an ID scan must not touch disk unencrypted.

Bytes past the limit are counted but not kept, so the form can say "larger than 10 MB" while
memory stays bounded.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
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
