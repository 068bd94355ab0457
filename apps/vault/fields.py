"""Encrypted model fields that read like normal fields.

The column holds a sealed value (AES-256-GCM under the owning person's data key, associated
data = table|column|row id). On the model instance the attribute is the plaintext, decrypted on
first access; saving seals it again with a fresh nonce. A model using these fields must generate
its primary key in Python (a UUID default) and define `vault_subject_id()`.

Only `isnull` lookups exist: the database cannot compare what it cannot read.
"""

import datetime
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan
from phonenumber_field.formfields import PhoneNumberField as PhoneNumberFormField
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.phonenumber import to_python as phone_to_python

from . import services
from .crypto import SEALED_OVERHEAD


class Sealed(bytes):
    """A value as stored in the database: ciphertext, not yet opened."""


class _EncryptedDescriptor:
    def __init__(self, field: "EncryptedField") -> None:
        self.field = field
        self.plain_key = f"_vault_plain_{field.attname}"

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        data = instance.__dict__
        if self.plain_key in data:
            return data[self.plain_key]
        if self.field.attname not in data:  # deferred with .only()/.defer()
            instance.refresh_from_db(fields=[self.field.attname])
            return self.__get__(instance, owner)
        sealed = data[self.field.attname]
        if sealed is None:
            return None
        plaintext = services.value_open(
            subject_id=instance.vault_subject_id(), sealed=sealed, aad=self.field.aad(instance)
        )
        value = self.field.decode(plaintext)
        data[self.plain_key] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        data = instance.__dict__
        if isinstance(value, Sealed):  # loaded from the database
            data[self.field.attname] = value
            data.pop(self.plain_key, None)
        else:  # assigned by code or a form: sealed again on save
            data[self.field.attname] = None
            data[self.plain_key] = value

    def sealed_for_save(self, instance: models.Model) -> Sealed | None:
        data = instance.__dict__
        if self.plain_key not in data:
            return data.get(self.field.attname)
        value = data[self.plain_key]
        if value is None:
            return None
        sealed = Sealed(
            services.value_seal(
                subject_id=instance.vault_subject_id(),
                plaintext=self.field.encode(value),
                aad=self.field.aad(instance),
            )
        )
        data[self.field.attname] = sealed
        return sealed


def holds_value(field_name: str, *, empty: bytes = b"") -> models.Q:
    """Rows whose encrypted field holds more than `empty` (how the field encodes its empty value), told from
    the length of the sealed bytes without the key (the plaintext is SEALED_OVERHEAD bytes shorter): what an
    erasure certifies it destroyed, for example. An expression, not a lookup the field offers: a lookup could
    be asked for in an admin list's address, and a value's exact length is not staff's to learn."""
    return models.Q(GreaterThan(Length(field_name), SEALED_OVERHEAD + len(empty)))


class EncryptedField(models.BinaryField):
    """Base class: subclasses say how a plaintext value becomes bytes and back."""

    empty_plain: Any = None
    encrypted = True  # the personal-data map finds encrypted fields by this flag

    def __init__(self, *args: Any, max_length: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("editable", True)
        self.plain_max_length = max_length
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple:
        name, path, args, kwargs = super().deconstruct()
        if self.plain_max_length is not None:
            kwargs["max_length"] = self.plain_max_length
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type, name: str, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    def aad(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ValueError("encrypted fields need the row id before saving; give the model a UUID default")
        return f"{instance._meta.db_table}|{self.column}|{instance.pk}".encode()

    # --- plaintext <-> bytes, per type --------------------------------------------------------
    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    # --- Django plumbing ----------------------------------------------------------------------
    def get_default(self) -> Any:
        if self.has_default():
            return super().get_default()
        return self.empty_plain

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        return None if value is None else Sealed(bytes(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Sealed | None:
        return getattr(type(model_instance), self.attname).sealed_for_save(model_instance)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError("refusing to send an unsealed value of an encrypted field to the database")
        return connection.Database.Binary(bytes(value))

    def get_lookup(self, lookup_name: str):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, name: str):
        return None

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisation (dumpdata) never writes plaintext.
        import base64

        sealed = obj.__dict__.get(self.attname)
        return base64.b64encode(sealed).decode() if sealed else ""

    def validate(self, value: Any, model_instance: models.Model) -> None:
        super().validate(value, model_instance)
        if self.plain_max_length is not None and isinstance(value, str) and len(value) > self.plain_max_length:
            raise ValidationError(f"Ensure this value has at most {self.plain_max_length} characters.")


class EncryptedTextField(EncryptedField):
    empty_plain = ""

    def encode(self, value: Any) -> bytes:
        return str(value).encode()

    def decode(self, data: bytes) -> str:
        return data.decode()

    def formfield(self, **kwargs: Any) -> forms.Field:
        defaults = {"form_class": forms.CharField, "widget": forms.Textarea, "max_length": self.plain_max_length,
                    "required": not self.blank}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


class EncryptedCharField(EncryptedTextField):
    def formfield(self, **kwargs: Any) -> forms.Field:
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class EncryptedBinaryField(EncryptedField):
    """Bytes (a file sent with a form that is held for a few days), sealed like any other value."""

    def encode(self, value: Any) -> bytes:
        return bytes(value)

    def decode(self, data: bytes) -> bytes:
        return data


class EncryptedDateField(EncryptedField):
    def encode(self, value: datetime.date) -> bytes:
        return value.isoformat().encode()

    def decode(self, data: bytes) -> datetime.date:
        return datetime.date.fromisoformat(data.decode())

    def to_python(self, value: Any) -> datetime.date | None:
        return models.DateField().to_python(value)

    def formfield(self, **kwargs: Any) -> forms.Field:
        return models.Field.formfield(self, **{"form_class": forms.DateField, "required": not self.blank, **kwargs})


class EncryptedJSONField(EncryptedField):
    def encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, data: bytes) -> Any:
        return json.loads(data)

    def formfield(self, **kwargs: Any) -> forms.Field:
        return models.Field.formfield(self, **{"form_class": forms.JSONField, "required": not self.blank, **kwargs})


class EncryptedPhoneNumberField(EncryptedField):
    """A phone number (django-phonenumber-field), stored sealed in E.164."""

    def __init__(self, *args: Any, region: str | None = None, **kwargs: Any) -> None:
        self.region = region
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple:
        name, path, args, kwargs = super().deconstruct()
        if self.region:
            kwargs["region"] = self.region
        return name, path, args, kwargs

    def to_python(self, value: Any) -> PhoneNumber | None:
        if value in (None, ""):
            return None
        return phone_to_python(value, region=self.region)

    def encode(self, value: Any) -> bytes:
        number = self.to_python(value)
        if not isinstance(number, PhoneNumber) or not number.is_valid():
            raise ValueError("not a valid phone number")
        return number.as_e164.encode()

    def decode(self, data: bytes) -> PhoneNumber:
        return PhoneNumber.from_string(data.decode())

    def validate(self, value: Any, model_instance: models.Model) -> None:
        super().validate(value, model_instance)
        if value not in (None, "") and not (isinstance(value, PhoneNumber) and value.is_valid()):
            raise ValidationError("Enter a valid phone number.", code="invalid_phone_number")

    def formfield(self, **kwargs: Any) -> forms.Field:
        return models.Field.formfield(
            self, **{"form_class": PhoneNumberFormField, "region": self.region, "required": not self.blank, **kwargs}
        )
