"""Organisations, people and the programme and theme tags. Partner coordinators see only their own."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from msgspec import UNSET
from piccolo.custom_types import Combinable
from piccolo.table import Table

from dtz_events.core.auth import Principal
from dtz_events.core.clock import local, utcnow
from dtz_events.core.db import is_unique_violation
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.core.schemas import Page, Pagination, normalise_email, page_out
from dtz_events.partners.schemas import (
    HELIX_OF_KIND,
    Helix,
    OrganisationCreate,
    OrganisationKind,
    OrganisationOut,
    OrganisationUpdate,
    PersonCreate,
    PersonOut,
    PersonUpdate,
    TagCreate,
    TagOut,
)
from dtz_events.partners.tables import (
    Organisation,
    OrganisationProgramme,
    OrganisationTheme,
    Person,
    Programme,
    Theme,
)

# ---------------------------------------------------------------- tags


async def list_tags(table: type[Programme] | type[Theme]) -> list[TagOut]:
    rows = await table.select().order_by(table.slug)
    return [TagOut(slug=r["slug"], name_nl=r["name_nl"], name_en=r["name_en"]) for r in rows]


async def create_tag(table: type[Programme] | type[Theme], data: TagCreate) -> TagOut:
    if await table.exists().where(table.slug == data.slug):
        raise Conflict(f"{data.slug} exists", field="slug")
    await table.insert(table(slug=data.slug, name_nl=data.name_nl, name_en=data.name_en))  # type: ignore[arg-type]
    return TagOut(slug=data.slug, name_nl=data.name_nl, name_en=data.name_en)


async def get_tag(table: type[Programme] | type[Theme], slug: str) -> TagOut:
    row = await table.select().where(table.slug == slug).first()
    if row is None:
        raise NotFound(table._meta.tablename)
    return TagOut(slug=row["slug"], name_nl=row["name_nl"], name_en=row["name_en"])


async def rename_tag(table: type[Programme] | type[Theme], data: TagCreate) -> TagOut:
    """New names for the tag with this slug; the slug itself stays (API callers and imports use it)."""
    await get_tag(table, data.slug)
    await table.update({table.name_nl: data.name_nl, table.name_en: data.name_en}).where(
        table.slug == data.slug
    )
    return TagOut(slug=data.slug, name_nl=data.name_nl, name_en=data.name_en)


async def tag_ids(table: type[Programme] | type[Theme], slugs: list[str], field: str) -> list[int]:
    """Ids for slugs, in order, or a field error naming the first unknown one."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return []
    rows = await table.select(table.id, table.slug).where(table.slug.is_in(wanted))
    by_slug = {r["slug"]: r["id"] for r in rows}
    for index, slug in enumerate(wanted):
        if slug not in by_slug:
            raise InvalidInput(f"{field}[{index}]", f"unknown {table._meta.tablename} '{slug}'")
    return [by_slug[s] for s in wanted]


async def _replace_links(
    link: type[Table], owner_column: str, owner_id: int, tag_column: str, ids: list[int]
) -> None:
    await link.delete().where(getattr(link, owner_column) == owner_id)
    if ids:
        rows = [link.from_dict({owner_column: owner_id, tag_column: tag_id}) for tag_id in ids]
        await link.insert(*rows)


async def _slugs_by_owner(
    link: type[Table], owner_column: str, tag_column: str, owner_ids: list[int]
) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    if not owner_ids:
        return result
    owner = getattr(link, owner_column)
    slug = getattr(link, tag_column).slug
    rows = await link.select(owner.as_alias("owner"), slug.as_alias("slug")).where(owner.is_in(owner_ids))
    for row in rows:
        result[row["owner"]].append(row["slug"])
    return result


# ---------------------------------------------------------------- organisations


def _visible_organisations(principal: Principal) -> list[Combinable]:
    return [Organisation.id == principal.organisation_id] if principal.is_partner else []


async def _organisation_outs(rows: list[dict[str, Any]]) -> list[OrganisationOut]:
    ids = [r["id"] for r in rows]
    programmes = await _slugs_by_owner(OrganisationProgramme, "organisation", "programme", ids)
    themes = await _slugs_by_owner(OrganisationTheme, "organisation", "theme", ids)
    return [
        OrganisationOut(
            id=r["id"],
            name=r["name"],
            kind=OrganisationKind(r["kind"]),
            helix=Helix(r["helix"]),
            municipality=r["municipality"],
            kvk_number=r["kvk_number"],
            website=r["website"],
            programmes=sorted(programmes[r["id"]]),
            themes=sorted(themes[r["id"]]),
            created_at=local(r["created_at"]),
            updated_at=local(r["updated_at"]),
        )
        for r in rows
    ]


async def get_organisation(principal: Principal, organisation_id: int) -> OrganisationOut:
    rows = await Organisation.select().where(
        Organisation.id == organisation_id, *_visible_organisations(principal)
    )
    if not rows:
        raise NotFound("organisation")
    return (await _organisation_outs(rows))[0]


async def list_organisations(
    principal: Principal,
    pagination: Pagination,
    *,
    kind: OrganisationKind | None = None,
    helix: Helix | None = None,
    municipality: str | None = None,
    programme: str | None = None,
    q: str | None = None,
) -> Page[OrganisationOut]:
    where = _visible_organisations(principal)
    if kind:
        where.append(Organisation.kind == kind.value)
    if helix:
        where.append(Organisation.helix == helix.value)
    if municipality:
        where.append(Organisation.municipality.ilike(municipality))
    if programme:
        where.append(
            Organisation.id.is_in(
                OrganisationProgramme.select(OrganisationProgramme.organisation).where(
                    OrganisationProgramme.programme.slug == programme
                )
            )
        )
    if q:
        where.append(Organisation.name.ilike(f"%{_escape_like(q)}%"))
    total = await Organisation.count().where(*where)
    rows = (
        await Organisation.select()
        .where(*where)
        .order_by(Organisation.name)
        .order_by(Organisation.id)
        .limit(pagination.per_page)
        .offset(pagination.offset)
    )
    return page_out(await _organisation_outs(rows), total, pagination)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _check_kvk_free(kvk_number: str | None, own_id: int | None = None) -> None:
    if kvk_number is None:
        return
    where = [Organisation.kvk_number == kvk_number]
    if own_id is not None:
        where.append(Organisation.id != own_id)
    if await Organisation.exists().where(*where):
        raise Conflict("an organisation with this KvK number exists", field="kvk_number")


async def create_organisation(data: OrganisationCreate) -> OrganisationOut:
    programme_ids = await tag_ids(Programme, data.programmes, "programmes")
    theme_ids = await tag_ids(Theme, data.themes, "themes")
    await _check_kvk_free(data.kvk_number)
    organisation = Organisation(
        name=data.name,
        kind=data.kind.value,
        helix=HELIX_OF_KIND[data.kind].value,
        municipality=data.municipality,
        kvk_number=data.kvk_number,
        website=data.website,
    )
    try:
        async with Organisation._meta.db.transaction():
            await organisation.save()
            await _replace_links(
                OrganisationProgramme, "organisation", organisation.id, "programme", programme_ids
            )
            await _replace_links(OrganisationTheme, "organisation", organisation.id, "theme", theme_ids)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("an organisation with this KvK number exists", field="kvk_number") from exc
        raise
    return (await _organisation_outs(await Organisation.select().where(Organisation.id == organisation.id)))[
        0
    ]


async def update_organisation(organisation_id: int, data: OrganisationUpdate) -> OrganisationOut:
    if not await Organisation.exists().where(Organisation.id == organisation_id):
        raise NotFound("organisation")
    values: dict[Any, Any] = {}
    for field in ("name", "municipality", "kvk_number", "website"):
        value = getattr(data, field)
        if value is not UNSET:
            values[getattr(Organisation, field)] = value
    if data.kind is not UNSET:
        values[Organisation.kind] = data.kind.value
        values[Organisation.helix] = HELIX_OF_KIND[data.kind].value
    programme_ids = (
        None if data.programmes is UNSET else await tag_ids(Programme, data.programmes, "programmes")
    )
    theme_ids = None if data.themes is UNSET else await tag_ids(Theme, data.themes, "themes")
    if data.kvk_number is not UNSET:
        await _check_kvk_free(data.kvk_number, own_id=organisation_id)
    values[Organisation.updated_at] = utcnow()
    try:
        async with Organisation._meta.db.transaction():
            await Organisation.update(values).where(Organisation.id == organisation_id)
            if programme_ids is not None:
                await _replace_links(
                    OrganisationProgramme, "organisation", organisation_id, "programme", programme_ids
                )
            if theme_ids is not None:
                await _replace_links(OrganisationTheme, "organisation", organisation_id, "theme", theme_ids)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("an organisation with this KvK number exists", field="kvk_number") from exc
        raise
    return (await _organisation_outs(await Organisation.select().where(Organisation.id == organisation_id)))[
        0
    ]


# ---------------------------------------------------------------- people


def _visible_people(principal: Principal) -> list[Combinable]:
    return [Person.organisation == principal.organisation_id] if principal.is_partner else []


def person_out(row: dict[str, Any]) -> PersonOut:
    return PersonOut(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        organisation_id=row["organisation"],
        language=row["language"],
        job_title=row["job_title"],
        created_at=local(row["created_at"]),
        updated_at=local(row["updated_at"]),
    )


async def _check_organisation_allowed(principal: Principal, organisation_id: int) -> None:
    """A partner may only place people in its own organisation; others it cannot even name."""
    if principal.is_partner and organisation_id != principal.organisation_id:
        raise InvalidInput("organisation_id", "no such organisation")
    if not await Organisation.exists().where(Organisation.id == organisation_id):
        raise InvalidInput("organisation_id", "no such organisation")


async def _check_email_free(email: str, own_id: int | None = None) -> None:
    where = [Person.email == email]
    if own_id is not None:
        where.append(Person.id != own_id)
    if await Person.exists().where(*where):
        raise Conflict("a person with this email address exists", field="email")


async def get_person(principal: Principal, person_id: int) -> PersonOut:
    row = await Person.select().where(Person.id == person_id, *_visible_people(principal)).first()
    if row is None:
        raise NotFound("person")
    return person_out(row)


async def list_people(
    principal: Principal,
    pagination: Pagination,
    *,
    organisation_id: int | None = None,
    q: str | None = None,
) -> Page[PersonOut]:
    where = _visible_people(principal)
    if organisation_id is not None:
        where.append(Person.organisation == organisation_id)
    if q:
        pattern = f"%{_escape_like(q)}%"
        where.append(Person.name.ilike(pattern) | Person.email.ilike(pattern))
    total = await Person.count().where(*where)
    rows = (
        await Person.select()
        .where(*where)
        .order_by(Person.name)
        .order_by(Person.id)
        .limit(pagination.per_page)
        .offset(pagination.offset)
    )
    return page_out([person_out(r) for r in rows], total, pagination)


async def create_person(principal: Principal, data: PersonCreate) -> PersonOut:
    email = normalise_email(data.email)
    await _check_organisation_allowed(principal, data.organisation_id)
    await _check_email_free(email)
    person = Person(
        name=data.name,
        email=email,
        organisation=data.organisation_id,
        language=data.language,
        job_title=data.job_title,
    )
    try:
        await person.save()
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("a person with this email address exists", field="email") from exc
        raise
    return await get_person(principal, person.id)


async def update_person(principal: Principal, person_id: int, data: PersonUpdate) -> PersonOut:
    await get_person(principal, person_id)
    values: dict[Any, Any] = {}
    for field in ("name", "language", "job_title"):
        value = getattr(data, field)
        if value is not UNSET:
            values[getattr(Person, field)] = value
    if data.email is not UNSET:
        email = normalise_email(data.email)
        await _check_email_free(email, own_id=person_id)
        values[Person.email] = email
    if data.organisation_id is not UNSET:
        await _check_organisation_allowed(principal, data.organisation_id)
        values[Person.organisation] = data.organisation_id
    values[Person.updated_at] = utcnow()
    try:
        await Person.update(values).where(Person.id == person_id)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("a person with this email address exists", field="email") from exc
        raise
    return await get_person(principal, person_id)
