"""The JSON bodies of the customer file, as pydantic reads them (contract: customers/api.yml)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

from contactcenter.timeutil import utcnow


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL's text takes none
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128), NoNul]
ProductModel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), NoNul]
Serial = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoNul]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
Grade = Literal["normal", "key"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerChanges(_Body):
    """A field not sent stays as it is; a name of null or "" is emptied. The grade: normal or key (重点客户)."""

    name: Name | None = None
    grade: Grade = "normal"

    def changes(self) -> dict[str, Any]:
        return {
            field: (getattr(self, field) or None) if field == "name" else self.grade for field in self.model_fields_set
        }


class NewProduct(_Body):
    product_model: ProductModel
    serial_number: Serial | None = None
    purchase_date: date | None = None
    note: Note | None = None

    @field_validator("purchase_date")
    @classmethod
    def _not_ahead(cls, value: date | None) -> date | None:
        if value is not None and value > utcnow().date():
            raise ValueError("a purchase date cannot be in the future")
        return value
