"""Bench: what encryption costs on one full PersonalRecord, against the same columns unencrypted.

One "record" = save a new row, load it back by primary key, read every personal field.

  plain         a model with the same columns and types, not encrypted (defined here, in a table this
                script creates and drops); 2 queries per record
  encrypted, one key scope per save and per load
                what two separate requests (or a request and a task) do: each unwraps the person's
                data key once (1 extra SELECT + AES-GCM unwrap); 4 queries per record
  encrypted, key already unwrapped
                save and load in one unit of work whose key is already open: pure field crypto;
                2 queries per record, same as plain
  encrypted, no key scope
                code running outside a request/task scope: every field unwraps the key again

Each record is done by every variant in turn (rotating order), so load from elsewhere on the
machine hits all variants alike; per-record median and mean over all rounds. Then the cost of one
data-key unwrap against one field decrypt (per-operation medians).

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \
      .venv/bin/python bench/vault.py [--records 300] [--rounds 5]
"""

import argparse
import time
import uuid
from contextlib import nullcontext

import _common

FIELDS = ["full_name", "email", "mobile", "address", "referees", "legal_id_type", "legal_id_number"]


def record_values(i: int) -> dict:
    return {
        "full_name": f"Wanjiku Njeri Kamau {i}",
        "email": f"wanjiku.kamau{i}@example.org",
        "mobile": f"+2547{12000000 + i:08d}",
        "address": f"P.O. Box {10000 + i}-00100, Ngong Road, Kilimani, Nairobi",
        "referees": [
            {"name": "Otieno Ochieng", "phone": f"+2547{22000000 + i:08d}", "relationship": "Former manager"},
            {"name": "Achieng Atieno", "phone": f"+2547{33000000 + i:08d}", "relationship": "Lecturer"},
        ],
        "legal_id_type": "national-id",
        "legal_id_number": f"{30000000 + i}",
    }


def define_plain_model():
    """The same columns and Python types as PersonalRecord, without encryption."""
    from django.db import models
    from phonenumber_field.modelfields import PhoneNumberField

    from apps.subjects.models import DataSubject

    class BenchPlainRecord(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        subject = models.OneToOneField(DataSubject, on_delete=models.CASCADE, related_name="+")
        full_name = models.CharField(max_length=200)
        email = models.CharField(max_length=254)
        mobile = PhoneNumberField(region="KE", null=True, blank=True)
        address = models.TextField(max_length=1000, blank=True)
        referees = models.JSONField(default=list, blank=True)
        legal_id_type = models.CharField(max_length=32, blank=True)
        legal_id_number = models.CharField(max_length=64, blank=True)
        created_at = models.DateTimeField(auto_now_add=True)
        updated_at = models.DateTimeField(auto_now=True)

        class Meta:
            app_label = "subjects"
            db_table = "bench_plain_record"
            managed = False  # created and dropped by this script, never migrated

        def __str__(self) -> str:
            return str(self.pk)

    return BenchPlainRecord


def read_all(record) -> list:
    return [getattr(record, name) for name in FIELDS]


def check_roundtrip(values: dict, loaded: list) -> None:
    expected = [values[name] for name in FIELDS]
    got = [str(v) if name == "mobile" else v for name, v in zip(FIELDS, loaded, strict=True)]
    expected = [str(v) if name == "mobile" else v for name, v in zip(FIELDS, expected, strict=True)]
    if got != expected:
        raise AssertionError("a record did not read back as written")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=300, help="records per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    _common.django_setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.subjects.models import DataSubject, PersonalRecord
    from apps.vault import services as vault
    from apps.vault.crypto import open_sealed
    from apps.vault.keyring import get_keyring
    from apps.vault.models import DataKey

    Plain = define_plain_model()
    n = args.records
    _common.truncate_app_tables()
    with connection.schema_editor() as editor:
        editor.execute("DROP TABLE IF EXISTS bench_plain_record")
        editor.create_model(Plain)
    try:
        # People with data keys, made once (not timed). Each variant has its own people, since a
        # person has one PersonalRecord; the records are deleted after every round.
        people = DataSubject.objects.bulk_create([DataSubject() for _ in range(4 * n)])
        for subject in people:
            vault.datakey_create(subject_id=subject.pk)
        values = [record_values(i) for i in range(n)]

        def plain(subject, vals: dict) -> list:
            record = Plain(subject=subject, **vals)
            record.save()
            return read_all(Plain.objects.get(pk=record.pk))

        def encrypted_scoped(subject, vals: dict) -> list:
            with vault.key_scope():  # one request saves...
                record = PersonalRecord(subject=subject, **vals)
                record.save()
            with vault.key_scope():  # ...another loads
                return read_all(PersonalRecord.objects.get(pk=record.pk))

        def encrypted(subject, vals: dict) -> list:
            record = PersonalRecord(subject=subject, **vals)
            record.save()
            return read_all(PersonalRecord.objects.get(pk=record.pk))

        variants = {  # label: (function, key already open?)
            "plain (no encryption)": (plain, False),
            "encrypted, key scope per save and per load": (encrypted_scoped, False),
            "encrypted, key already unwrapped": (encrypted, True),
            "encrypted, no key scope": (encrypted, False),
        }
        labels = list(variants)
        subjects_of = {label: people[k * n : (k + 1) * n] for k, label in enumerate(labels)}

        def run(label: str, i: int) -> tuple[float, list]:
            """Seconds for one record; a warm variant opens the person's key first, untimed."""
            fn, warm = variants[label]
            subject = subjects_of[label][i]
            with vault.key_scope() if warm else nullcontext():
                if warm:
                    vault.datakey_get(subject_id=subject.pk)
                started = time.perf_counter()
                loaded = fn(subject, values[i])
                return time.perf_counter() - started, loaded

        def wipe() -> None:
            Plain.objects.all().delete()
            PersonalRecord.objects.all().delete()

        # Correctness, queries and unwraps for one record per variant (not timed).
        queries, unwraps = {}, {}
        for label in labels:
            warm_up = 1 if variants[label][1] else 0  # the key opened before the clock starts
            before = vault.unwrap_count()
            with CaptureQueriesContext(connection) as ctx:
                _, loaded = run(label, 0)
            check_roundtrip(values[0], loaded)
            queries[label] = len(ctx.captured_queries) - warm_up
            unwraps[label] = vault.unwrap_count() - before - warm_up
        wipe()

        # Round 0 warms up. Each record is done by every variant in turn (order rotating), so load
        # from elsewhere on the machine hits all variants alike; per-record times, median and mean.
        times: dict[str, list[float]] = {label: [] for label in labels}
        totals: dict[str, list[float]] = {label: [] for label in labels}
        for round_no in range(args.rounds + 1):
            round_total = dict.fromkeys(labels, 0.0)
            for i in range(n):
                shift = (i + round_no) % len(labels)
                for label in labels[shift:] + labels[:shift]:
                    elapsed, _ = run(label, i)
                    round_total[label] += elapsed
                    if round_no:
                        times[label].append(elapsed)
            if round_no:
                for label in labels:
                    totals[label].append(round_total[label] / n)
            wipe()

        print(f"\nvault: save + load + read 7 fields of one PersonalRecord, PostgreSQL, autocommit "
              f"({n} records x {args.rounds} rounds per variant, interleaved; {_common.machine()})")
        print(f"  {'variant':<44} {'median us':>10} {'ratio':>7} {'mean us':>9} {'ratio':>7} {'queries':>8} "
              f"{'unwraps':>8}")
        base_median = _common.median(times[labels[0]])
        base_mean = sum(times[labels[0]]) / len(times[labels[0]])
        for label in labels:
            med = _common.median(times[label])
            mean = sum(times[label]) / len(times[label])
            print(f"  {label:<44} {med * 1e6:>10.0f} {med / base_median:>6.2f}x {mean * 1e6:>9.0f} "
                  f"{mean / base_mean:>6.2f}x {queries[label]:>8} {unwraps[label]:>8}")
        print("  per-round means (us): " + "; ".join(" ".join(f"{t * 1e6:.0f}" for t in totals[label])
                                                   for label in labels))

        # One data-key unwrap against one field decrypt: per-operation times, medians.
        keyring = get_keyring()
        unwrap, fetch, unwrap_crypto, decrypt_first, decrypt_field = [], [], [], [], []
        for subject in people:
            with vault.key_scope():
                before = vault.unwrap_count()
                started = time.perf_counter()
                vault.datakey_get(subject_id=subject.pk)
                unwrap.append(time.perf_counter() - started)
                assert vault.unwrap_count() - before == 1, "the key should be unwrapped exactly once"
            started = time.perf_counter()
            row = DataKey.objects.filter(subject_id=subject.pk).first()
            fetch.append(time.perf_counter() - started)
            wrapped, aad = bytes(row.wrapped_key), b"pp-dek|" + subject.pk.bytes
            started = time.perf_counter()
            open_sealed(keyring.master(row.master_key_id), wrapped, aad)
            unwrap_crypto.append(time.perf_counter() - started)
        with vault.key_scope():
            for i, subject in enumerate(people[:n]):
                PersonalRecord(subject=subject, **values[i]).save()
        with vault.key_scope():  # a fresh unit of work: the first field read of each record unwraps its key
            before = vault.unwrap_count()
            for record in PersonalRecord.objects.all():
                for position, name in enumerate(FIELDS):
                    started = time.perf_counter()
                    getattr(record, name)  # sealed value opened with the person's key, then decoded
                    (decrypt_first if position == 0 else decrypt_field).append(time.perf_counter() - started)
            opened = vault.unwrap_count() - before
        wipe()
        fields_unwraps = f"{opened} unwraps for {len(decrypt_first)} records, one at the first field of each"

        print(f"\nvault: one data-key unwrap vs one field decrypt (median of {len(unwrap)} keys, "
              f"{len(decrypt_first)} records; {_common.machine()})")
        rows_out = [
            ("data-key unwrap as datakey_get does it (SELECT + AES-GCM open)", _common.median(unwrap), "us"),
            ("  the SELECT of the wrapped key alone", _common.median(fetch), "us"),
            ("  AES-GCM open of the wrapped key alone", _common.median(unwrap_crypto), "us"),
            ("first field read of a loaded record (unwrap + decrypt)", _common.median(decrypt_first), "us"),
            ("one field decrypt, key open (the other 6 fields)", _common.median(decrypt_field), "us"),
            ("ratio unwrap / field decrypt", _common.median(unwrap) / _common.median(decrypt_field), "x"),
            ("ratio unwrap crypto alone / field decrypt",
             _common.median(unwrap_crypto) / _common.median(decrypt_field), "x"),
        ]
        for text, value, unit in rows_out:
            print(f"  {text:<64} {value * (1e6 if unit == 'us' else 1):9.1f} {unit}")
        print(f"  ({fields_unwraps})")
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Plain)
        _common.truncate_app_tables()


if __name__ == "__main__":
    main()
