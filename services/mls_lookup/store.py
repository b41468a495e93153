"""mls_lookup's table, search and loading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, ColumnElement, Date, Float, Integer, String, Text, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.mls_lookup.address import candidate_street_keys, street_key, tokens
from services.mls_lookup.listing import ListingRecord, from_mapping
from services.storage import read_sessions


class Base(DeclarativeBase):
    pass


class ListingRow(Base):
    __tablename__ = "mls_listings"

    mls_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    street: Mapped[str] = mapped_column(String(200))
    street_key: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(100))
    city_key: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    price_usd: Mapped[int] = mapped_column(BigInteger)
    bedrooms: Mapped[int] = mapped_column(Integer)
    bathrooms: Mapped[float] = mapped_column(Float)
    square_feet: Mapped[int] = mapped_column(Integer)
    property_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    time_zone: Mapped[str] = mapped_column(String(64))
    year_built: Mapped[int] = mapped_column(Integer)
    listed_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text)

    def record(self) -> ListingRecord:
        return from_mapping(self.document, f"stored listing {self.mls_id}")


LOAD_BATCH = 500


def row_values(r: ListingRecord) -> dict[str, Any]:
    searchable = " ".join((r.street, r.unit, r.city, r.state, r.postal_code, r.description, *r.features))
    return dict(
        mls_id=r.mls_id,
        street=r.street,
        street_key=street_key(r.street),
        unit=r.unit,
        city=r.city,
        city_key=r.city.lower(),
        state=r.state,
        postal_code=r.postal_code,
        price_usd=r.price_usd,
        bedrooms=r.bedrooms,
        bathrooms=r.bathrooms,
        square_feet=r.square_feet,
        property_type=r.property_type,
        status=r.status,
        time_zone=r.time_zone,
        year_built=r.year_built,
        listed_at=r.listed_at,
        document=r.to_json(),
        search_text=" ".join(tokens(searchable)),
    )


@dataclass(frozen=True)
class Query:
    city: str = ""
    state: str = ""
    min_price_usd: int = 0
    max_price_usd: int = 0
    min_bedrooms: int = 0
    min_bathrooms: float = 0.0
    property_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("active",)
    text: str = ""
    limit: int = 10
    offset: int = 0


class ListingStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.reads = read_sessions(engine)

    async def count(self) -> int:
        async with self.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(ListingRow))).scalar_one())

    async def load(self, records: Sequence[ListingRecord], *, replace: bool = False) -> int:
        """Insert or update listings by mls_id in one transaction; `replace` drops the rest."""
        rows = [row_values(r) for r in records]
        async with self.sessions.begin() as session:
            if replace:
                await session.execute(delete(ListingRow))
            # Bulk: replace by mls_id (delete then insert) in batches; per-row merges took seconds for 3,000.
            for start in range(0, len(rows), LOAD_BATCH):
                batch = rows[start : start + LOAD_BATCH]
                if not replace:
                    await session.execute(delete(ListingRow).where(ListingRow.mls_id.in_([r["mls_id"] for r in batch])))
                await session.execute(insert(ListingRow), batch)
        return len(rows)

    async def search(self, q: Query) -> tuple[list[ListingRecord], int]:
        where: list[ColumnElement[bool]] = [ListingRow.status.in_(q.statuses)]
        if q.city:
            where.append(ListingRow.city_key == q.city.strip().lower())
        if q.state:
            where.append(ListingRow.state == q.state.strip().upper())
        if q.min_price_usd:
            where.append(ListingRow.price_usd >= q.min_price_usd)
        if q.max_price_usd:
            where.append(ListingRow.price_usd <= q.max_price_usd)
        if q.min_bedrooms:
            where.append(ListingRow.bedrooms >= q.min_bedrooms)
        if q.min_bathrooms:
            where.append(ListingRow.bathrooms >= q.min_bathrooms)
        if q.property_types:
            where.append(ListingRow.property_type.in_(q.property_types))
        for word in tokens(q.text):
            where.append(ListingRow.search_text.contains(word, autoescape=True))
        async with self.reads() as session:
            # One pass: the window count gives the total number of matches next to each page row.
            rows = (await session.execute(
                select(ListingRow.document, func.count().over()).where(*where)
                .order_by(ListingRow.price_usd, ListingRow.mls_id).limit(q.limit).offset(q.offset)
            )).all()  # fmt: skip
            if rows:
                total = int(rows[0][1])
            else:  # past the last page (or nothing matches): count separately
                total = int(
                    (await session.execute(select(func.count()).select_from(ListingRow).where(*where))).scalar_one()
                )
            found = [from_mapping(doc, "stored listing") for doc, _ in rows]
        return found, total

    async def get(self, mls_id: str) -> ListingRecord | None:
        async with self.sessions() as session:
            row = await session.get(ListingRow, mls_id.strip().upper())
            return None if row is None else row.record()

    async def find_by_address(self, spoken: str) -> ListingRecord | None:
        """The listing whose street the query starts with; the rest of the query picks among cities."""
        words = set(tokens(spoken))
        async with self.sessions() as session:
            for key in candidate_street_keys(spoken):
                rows = list((await session.execute(select(ListingRow).where(ListingRow.street_key == key))).scalars())
                if rows:
                    best = max(rows, key=lambda r: len(words & set(tokens(f"{r.city} {r.state} {r.postal_code}"))))
                    return best.record()
        return None
