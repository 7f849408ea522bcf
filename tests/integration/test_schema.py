"""The migrations and the table classes describe the same schema, and the migrated database has it.

(a) Piccolo's own auto-migration diff (what `piccolo migrations new --auto` would write) is empty, and the
    same check does notice a table class that changed; (b) the composite unique indexes created by raw SQL
    exist and reject duplicates; (c) the database holds exactly the tables of `all_tables()`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import pytest
from piccolo.apps.migrations.auto import DiffableTable, SchemaDiffer, SchemaSnapshot
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.columns import ForeignKey, Integer, Varchar
from piccolo.conf.apps import Finder
from piccolo.table import Table, create_table_class

from dtz_events.core.db import is_unique_violation
from dtz_events.tables import COMPOSITE_UNIQUE_INDEXES, all_tables

pytestmark = pytest.mark.sqlite

APP_NAME = "dtz_events"


# ---------------------------------------------------------------- (a) no drift


async def _statements_to_write(table_classes: list[type[Table]]) -> list[str]:
    """The statements `piccolo migrations new dtz_events --auto` would put in a new migration, computed
    as `AutoMigrationManager.get_alter_statements` does, but against the given table classes."""
    app_config = Finder().get_app_config(app_name=APP_NAME)
    managers = await BaseMigrationManager().get_migration_managers(app_config=app_config)
    snapshot = SchemaSnapshot(managers).get_snapshot()
    current = [
        DiffableTable(
            class_name=t.__name__,
            tablename=t._meta.tablename,
            columns=t._meta.non_default_columns,
            constraints=t._meta.constraints,
            schema=t._meta.schema,
        )
        for t in table_classes
    ]
    # auto_input="n": never assume a rename (a rename question would otherwise wait for input).
    alter = SchemaDiffer(schema=current, schema_snapshot=snapshot, auto_input="n").get_alter_statements()
    return list(chain.from_iterable(a.statements for a in alter))


def _copy_with(table: type[Table], **changes: Any) -> type[Table]:
    """A copy of a table class (same class and table name) with some columns added or replaced."""
    members: dict[str, Any] = {c._meta.name: c.copy() for c in table._meta.non_default_columns}
    members.update(changes)
    return create_table_class(
        table.__name__, class_kwargs={"tablename": table._meta.tablename}, class_members=members
    )


def _replace(tables: list[type[Table]], new: type[Table]) -> list[type[Table]]:
    return [new if t.__name__ == new.__name__ else t for t in tables]


async def test_migrations_match_the_table_classes() -> None:
    app_tables = Finder().get_app_config(app_name=APP_NAME).table_classes
    assert {t.__name__ for t in app_tables} == {t.__name__ for t in all_tables()}

    assert await _statements_to_write(all_tables()) == [], "run `piccolo migrations new dtz_events --auto`"

    # The same check must notice drift, or the assertion above proves nothing.
    tables = all_tables()
    quota = next(t for t in tables if t.__name__ == "Quota")
    extra_column = await _statements_to_write(_replace(tables, _copy_with(quota, note=Varchar(length=50))))
    assert len(extra_column) == 1
    assert "add_column" in extra_column[0]
    assert "column_name='note'" in extra_column[0]

    registration = next(t for t in tables if t.__name__ == "Registration")
    longer = _copy_with(registration, status=Varchar(length=40, index=True))
    altered = await _statements_to_write(_replace(tables, longer))
    assert len(altered) == 1
    assert "alter_column" in altered[0]
    assert "'length': 40" in altered[0]

    dropped = await _statements_to_write([t for t in tables if t.__name__ != "Quota"])
    assert any("drop_table" in s and "Quota" in s for s in dropped)


# ---------------------------------------------------------------- (b) composite unique indexes


async def _unique_indexes(backend: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Unique indexes in the database: name -> (table, columns in index order)."""
    db = all_tables()[0]
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    if backend == "postgres":
        rows = await db.raw(
            """
            SELECT i.relname AS name, t.relname AS tablename,
                   array_agg(a.attname ORDER BY k.ordinality) AS columns
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ordinality)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE x.indisunique AND n.nspname = 'public'
            GROUP BY i.relname, t.relname
            """
        )
        names = {r["indexname"] for r in await db.raw("SELECT indexname FROM pg_indexes")}
        for r in rows:
            assert r["name"] in names  # what pg_indexes lists is what pg_index describes
            found[r["name"]] = (r["tablename"], tuple(r["columns"]))
    else:
        indexes = await db.raw("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        for index in indexes:
            table = index["tbl_name"]
            unique = {r["name"]: r["unique"] for r in await db.raw(f"PRAGMA index_list('{table}')")}
            if not unique.get(index["name"]):
                continue
            columns = await db.raw(f"PRAGMA index_info('{index['name']}')")
            found[index["name"]] = (
                table,
                tuple(c["name"] for c in sorted(columns, key=lambda c: c["seqno"])),
            )
    return found


async def _one_row_of_each_parent() -> dict[str, int]:
    """A row in every table that a composite index points at: tablename -> id."""
    from dtz_events.events.tables import Event
    from dtz_events.partners.tables import Organisation, Person, Programme, Theme
    from dtz_events.registrations.tables import Registration
    from dtz_events.surveys.tables import Survey, SurveyInvitation

    programme = await Programme.insert(Programme(slug="p", name_nl="P", name_en="P")).returning(Programme.id)
    theme = await Theme.insert(Theme(slug="t", name_nl="T", name_en="T")).returning(Theme.id)
    organisation = await Organisation.insert(
        Organisation(name="Emmtec", kind="company", helix="business")
    ).returning(Organisation.id)
    person = await Person.insert(
        Person(name="Anouk Jansen", email="anouk@emmtec.example", organisation=organisation[0]["id"])
    ).returning(Person.id)
    start = datetime.now(UTC) + timedelta(days=10)
    event = await Event.insert(
        Event(
            kind="network_meeting",
            title="Netwerkbijeenkomst",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=10,
            visibility="partners",
            calendar_uid="event-schema-test@testserver.local",
        )
    ).returning(Event.id)
    # A parent registration of its own person, so the (event, person) index check can use `person`.
    other_person = await Person.insert(
        Person(name="Bram de Vries", email="bram@emmtec.example", organisation=organisation[0]["id"])
    ).returning(Person.id)
    registration = await Registration.insert(
        Registration(
            event=event[0]["id"], person=other_person[0]["id"], organisation=organisation[0]["id"], status="x"
        )
    ).returning(Registration.id)
    survey = await Survey.insert(Survey(event=event[0]["id"])).returning(Survey.id)
    invitation = await SurveyInvitation.insert(
        SurveyInvitation(
            survey=survey[0]["id"],
            registration=registration[0]["id"],
            organisation=organisation[0]["id"],
            wave=99,
            closes_at=start,
        )
    ).returning(SurveyInvitation.id)
    from dtz_events.promotion_days.tables import SchoolGroup, Workshop

    school_group = await SchoolGroup.insert(
        SchoolGroup(
            event=event[0]["id"], school=organisation[0]["id"], class_name="8A", level="vmbo", pupil_count=1
        )
    ).returning(SchoolGroup.id)
    workshop = await Workshop.insert(
        Workshop(event=event[0]["id"], host=organisation[0]["id"], title_nl="W", title_en="W", capacity=1)
    ).returning(Workshop.id)
    return {
        "programme": programme[0]["id"],
        "theme": theme[0]["id"],
        "organisation": organisation[0]["id"],
        "person": person[0]["id"],
        "event": event[0]["id"],
        "registration": registration[0]["id"],
        "survey": survey[0]["id"],
        "survey_invitation": invitation[0]["id"],
        "school_group": school_group[0]["id"],
        "workshop": workshop[0]["id"],
    }


async def test_composite_unique_indexes_exist_and_reject_duplicates(backend: str) -> None:
    assert COMPOSITE_UNIQUE_INDEXES, "nothing to check"
    indexes = await _unique_indexes(backend)
    for name, (tablename, columns) in COMPOSITE_UNIQUE_INDEXES.items():
        assert name in indexes, f"unique index {name} is missing"
        assert indexes[name] == (tablename, columns)

    parents = await _one_row_of_each_parent()
    tables = {t._meta.tablename: t for t in all_tables()}
    for name, (tablename, columns) in COMPOSITE_UNIQUE_INDEXES.items():
        table = tables[tablename]
        values: dict[str, Any] = {}
        for column in columns:
            col = table._meta.get_column_by_name(column)
            if isinstance(col, ForeignKey):
                parent = col._foreign_key_meta.resolved_references._meta.tablename
                assert parent in parents, f"{name}: give _one_row_of_each_parent() a row in {parent}"
                values[column] = parents[parent]
            else:
                values[column] = 1 if isinstance(col, Integer) else "same"
        await table.insert(table(**values))
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's own exception type
            await table.insert(table(**values))
        assert is_unique_violation(caught.value), f"{name}: {caught.value!r}"
        assert await table.count().where(*(getattr(table, c) == v for c, v in values.items())) == 1


# ---------------------------------------------------------------- (c) the set of tables


async def test_database_has_exactly_the_tables_of_the_app(backend: str) -> None:
    db = all_tables()[0]
    if backend == "postgres":
        rows = await db.raw("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    else:
        rows = await db.raw(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    assert {r["name"] for r in rows} == {t._meta.tablename for t in all_tables()} | {"migration"}
