from __future__ import annotations

from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Programme(Table):
    id: Serial
    slug = Varchar(length=60, unique=True)
    name_nl = Varchar(length=200)
    name_en = Varchar(length=200)


class Theme(Table):
    id: Serial
    slug = Varchar(length=60, unique=True)
    name_nl = Varchar(length=200)
    name_en = Varchar(length=200)


class Organisation(Table):
    id: Serial
    name = Varchar(length=200, index=True)
    kind = Varchar(length=30, index=True)
    helix = Varchar(length=20, index=True)
    municipality = Varchar(length=100, null=True, default=None, index=True)
    kvk_number = Varchar(length=8, null=True, default=None, unique=True)
    website = Varchar(length=300, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OrganisationProgramme(Table):
    id: Serial
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    programme = ForeignKey(Programme, on_delete=OnDelete.cascade, index=True)


class OrganisationTheme(Table):
    id: Serial
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    theme = ForeignKey(Theme, on_delete=OnDelete.cascade, index=True)


class Person(Table):
    id: Serial
    name = Varchar(length=200)
    email = Varchar(length=254, unique=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    language = Varchar(length=2, default="nl")
    job_title = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
