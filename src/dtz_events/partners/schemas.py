from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from msgspec import UNSET, UnsetType

from dtz_events.core.schemas import (
    EmailText,
    Id,
    Input,
    KvkNumber,
    Language,
    Name,
    Output,
    ShortText,
    Slug,
)


class OrganisationKind(StrEnum):
    company = "company"
    starter = "starter"
    school = "school"
    knowledge_institution = "knowledge_institution"
    municipality = "municipality"
    province = "province"
    ministry = "ministry"
    programme = "programme"
    other = "other"


class Helix(StrEnum):
    business = "business"
    education = "education"
    government = "government"


HELIX_OF_KIND: dict[OrganisationKind, Helix] = {
    OrganisationKind.company: Helix.business,
    OrganisationKind.starter: Helix.business,
    OrganisationKind.other: Helix.business,
    OrganisationKind.school: Helix.education,
    OrganisationKind.knowledge_institution: Helix.education,
    OrganisationKind.municipality: Helix.government,
    OrganisationKind.province: Helix.government,
    OrganisationKind.ministry: Helix.government,
    OrganisationKind.programme: Helix.government,
}


class TagOut(Output):
    slug: str
    name_nl: str
    name_en: str


class TagCreate(Input):
    slug: Slug
    name_nl: Name
    name_en: Name


class OrganisationCreate(Input):
    name: Name
    kind: OrganisationKind
    municipality: ShortText | None = None
    kvk_number: KvkNumber | None = None
    website: ShortText | None = None
    programmes: list[Slug] = []
    themes: list[Slug] = []


class OrganisationUpdate(Input):
    name: Name | UnsetType = UNSET
    kind: OrganisationKind | UnsetType = UNSET
    municipality: ShortText | UnsetType | None = UNSET
    kvk_number: KvkNumber | UnsetType | None = UNSET
    website: ShortText | UnsetType | None = UNSET
    programmes: list[Slug] | UnsetType = UNSET
    themes: list[Slug] | UnsetType = UNSET


class OrganisationOut(Output):
    id: int
    name: str
    kind: OrganisationKind
    helix: Helix
    municipality: str | None
    kvk_number: str | None
    website: str | None
    programmes: list[str]
    themes: list[str]
    created_at: datetime
    updated_at: datetime


class PersonCreate(Input):
    name: Name
    email: EmailText
    organisation_id: Id
    language: Language = "nl"
    job_title: ShortText | None = None


class PersonUpdate(Input):
    name: Name | UnsetType = UNSET
    email: EmailText | UnsetType = UNSET
    organisation_id: Id | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    job_title: ShortText | UnsetType | None = UNSET


class PersonOut(Output):
    id: int
    name: str
    email: str
    organisation_id: int
    language: str
    job_title: str | None
    created_at: datetime
    updated_at: datetime
