"""The sample listings that ship with mls_lookup: 3,000 generated homes across 25 US metros.

Deterministic (seeded), so the shipped file can be regenerated and checked:
`python -m services.mls_lookup.sample` rewrites data/sample_listings.jsonl.gz.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from services.mls_lookup.listing import ListingRecord

SAMPLE_FILE = Path(__file__).parent / "data" / "sample_listings.jsonl.gz"
PER_METRO = 120
SEED = 20261101
LISTED_BEFORE = date(2026, 11, 1)


@dataclass(frozen=True)
class Metro:
    code: str
    city: str
    state: str
    time_zone: str
    area_code: str
    zip_prefix: str
    usd_per_sqft: int


METROS = (
    Metro("AUS", "Austin", "TX", "America/Chicago", "512", "787", 320),
    Metro("DAL", "Dallas", "TX", "America/Chicago", "214", "752", 230),
    Metro("HOU", "Houston", "TX", "America/Chicago", "713", "770", 190),
    Metro("SAT", "San Antonio", "TX", "America/Chicago", "210", "782", 170),
    Metro("DEN", "Denver", "CO", "America/Denver", "303", "802", 380),
    Metro("PHX", "Phoenix", "AZ", "America/Phoenix", "602", "850", 290),
    Metro("TUS", "Tucson", "AZ", "America/Phoenix", "520", "857", 230),
    Metro("SEA", "Seattle", "WA", "America/Los_Angeles", "206", "981", 560),
    Metro("PDX", "Portland", "OR", "America/Los_Angeles", "503", "972", 390),
    Metro("SAN", "San Diego", "CA", "America/Los_Angeles", "619", "921", 720),
    Metro("SAC", "Sacramento", "CA", "America/Los_Angeles", "916", "958", 360),
    Metro("LAS", "Las Vegas", "NV", "America/Los_Angeles", "702", "891", 250),
    Metro("SLC", "Salt Lake City", "UT", "America/Denver", "801", "841", 330),
    Metro("MIA", "Miami", "FL", "America/New_York", "305", "331", 510),
    Metro("TPA", "Tampa", "FL", "America/New_York", "813", "336", 280),
    Metro("ORL", "Orlando", "FL", "America/New_York", "407", "328", 260),
    Metro("ATL", "Atlanta", "GA", "America/New_York", "404", "303", 270),
    Metro("CLT", "Charlotte", "NC", "America/New_York", "704", "282", 250),
    Metro("RDU", "Raleigh", "NC", "America/New_York", "919", "276", 260),
    Metro("BNA", "Nashville", "TN", "America/Chicago", "615", "372", 310),
    Metro("CHI", "Chicago", "IL", "America/Chicago", "312", "606", 280),
    Metro("MSP", "Minneapolis", "MN", "America/Chicago", "612", "554", 250),
    Metro("CMH", "Columbus", "OH", "America/New_York", "614", "432", 200),
    Metro("BOS", "Boston", "MA", "America/New_York", "617", "021", 690),
    Metro("PHL", "Philadelphia", "PA", "America/New_York", "215", "191", 240),
)

STREETS = (
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Willow",
    "Lakeview",
    "Sunset",
    "Highland",
    "Park",
    "Ridge",
    "Meadow",
    "Hillcrest",
    "River",
    "Forest",
    "Spring",
    "Magnolia",
    "Juniper",
    "Aspen",
    "Briar",
    "Canyon",
    "Harbor",
    "Mesa",
    "Prairie",
    "Sierra",
    "Summit",
    "Valley",
    "Windsor",
    "Chestnut",
    "Birch",
)
SUFFIXES = ("St", "Ave", "Dr", "Ln", "Rd", "Ct", "Blvd", "Way", "Pl", "Trl")
FIRST = (
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Carlos",
    "Emily",
    "Jamal",
    "Priya",
    "Daniel",
    "Sofia",
    "Noah",
    "Grace",
    "Mateo",
    "Hannah",
    "Omar",
    "Lena",
)
LAST = (
    "Garcia",
    "Johnson",
    "Nguyen",
    "Patel",
    "Kim",
    "Brown",
    "Rivera",
    "Okafor",
    "Schmidt",
    "Lopez",
    "Chen",
    "Walker",
    "Haddad",
    "Novak",
    "Ortiz",
    "Reyes",
)
FEATURES = (
    "updated kitchen",
    "hardwood floors",
    "two-car garage",
    "fenced backyard",
    "swimming pool",
    "open floor plan",
    "walk-in closet",
    "fireplace",
    "solar panels",
    "home office",
    "quartz countertops",
    "covered patio",
    "mountain views",
    "near parks",
    "new roof",
    "energy-efficient windows",
    "finished basement",
    "smart thermostat",
    "stainless appliances",
    "vaulted ceilings",
)
TYPES = (("single_family", 55), ("condo", 20), ("townhouse", 17), ("multi_family", 5), ("land", 3))


def generate() -> list[ListingRecord]:
    rng = random.Random(SEED)
    records = []
    for metro in METROS:
        agents = [
            (f"{metro.code}-A{i:02d}", f"{rng.choice(FIRST)} {rng.choice(LAST)}",
             f"+1{metro.area_code}55501{i:02d}")
            for i in range(8)
        ]  # fmt: skip
        for n in range(PER_METRO):
            kind = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
            beds = (
                0
                if kind == "land"
                else rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6) if kind != "condo" else (1, 1, 2, 2, 3))
            )
            baths = 0.0 if kind == "land" else max(1.0, beds - rng.choice((0, 0.5, 1, 1.5)))
            sqft = 0 if kind == "land" else int(beds * rng.randint(450, 750) + rng.randint(300, 900))
            price = (
                rng.randint(60, 400) * 1000
                if kind == "land"
                else round(sqft * metro.usd_per_sqft * rng.uniform(0.75, 1.35), -3)
            )
            agent_id, agent_name, agent_phone = rng.choice(agents)
            street = f"{rng.randint(100, 9899)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
            features = tuple(sorted(rng.sample(FEATURES, rng.randint(2, 5)))) if kind != "land" else ()
            mls_id = f"{metro.code}{n + 1:05d}"
            label = kind.replace("_", "-")
            description = (
                f"{beds}-bed, {baths:g}-bath {label} home in {metro.city} with {', '.join(features)}."
                if kind != "land"
                else f"Buildable lot in {metro.city}, utilities at the street."
            )
            records.append(ListingRecord(
                mls_id=mls_id, street=street,
                unit=f"#{rng.randint(1, 30)}{rng.choice('ABCD')}" if kind == "condo" else "",
                city=metro.city, state=metro.state, postal_code=f"{metro.zip_prefix}{rng.randint(0, 99):02d}",
                price_usd=int(price), bedrooms=beds, bathrooms=baths, square_feet=sqft, property_type=kind,
                time_zone=metro.time_zone, status=rng.choices(("active", "pending", "sold"), (85, 10, 5))[0],
                description=description, features=features,
                photo_urls=tuple(
                    f"https://photos.voicepod.example/{mls_id}/{i}.jpg" for i in range(1, rng.randint(3, 8))
                ),
                agent_id=agent_id, agent_name=agent_name, agent_phone=agent_phone,
                agent_email=f"{agent_name.split()[0].lower()}.{agent_id.lower()}@realty.voicepod.example",
                year_built=0 if kind == "land" else rng.randint(1925, 2025),
                listed_at=LISTED_BEFORE - timedelta(days=rng.randint(1, 120)),
            ))  # fmt: skip
    return records


def render(records: list[ListingRecord]) -> bytes:
    lines = "".join(json.dumps(r.to_json(), sort_keys=True) + "\n" for r in records)
    return gzip.compress(lines.encode(), mtime=0)


if __name__ == "__main__":
    SAMPLE_FILE.write_bytes(render(generate()))
    print(f"wrote {SAMPLE_FILE}")
