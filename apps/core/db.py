"""Rows of several models written in one round trip."""

from collections.abc import Sequence

from django.db import models, transaction
from django.db.models import sql


def insert_together(rows: Sequence[models.Model]) -> None:
    """Insert these new rows (their primary keys already set, e.g. UUIDs) in the order given, on the default
    database, as `save(force_insert=True)` / `bulk_create` would write them (auto_now_add, encrypted fields:
    each field's own pre_save and database preparation). On PostgreSQL it is one statement: the rows of each
    model in one INSERT, every INSERT but the last in a WITH clause, which PostgreSQL runs exactly once and in
    full (foreign keys are checked at the end of the statement). Elsewhere, one bulk INSERT per model."""
    groups: dict[type[models.Model], list[models.Model]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(groups) == 1:
        for model, objs in groups.items():
            model._default_manager.bulk_create(objs)
        return
    statements, params = [], []
    for model, objs in groups.items():
        query = sql.InsertQuery(model)
        query.insert_values(model._meta.local_concrete_fields, objs)
        for statement, values in query.get_compiler(connection=connection).as_sql():
            statements.append(statement)
            params.extend(values)
    written = ", ".join(f"written_{n} AS ({statement})" for n, statement in enumerate(statements[:-1]))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {written} {statements[-1]}", params)
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias
