"""MLS search latency on the shipped sample (3,000 listings), SQLite.

Two views of the same 2,000 queries (random metro, price band, bedrooms, type,
sometimes free text): the store's search alone, and the whole request through
NATS to a running mls_lookup service (decode, query, encode, reply).
Target: search p99 <= 5 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import replace_section, write_json
from bus import subjects
from bus.client import BusClient
from bus.connection import connect
from bus.contracts import mls_pb2
from bus.runner import ServiceEnv
from bus.service import ServiceRuntime
from bus.settings import BusSettings
from services.mls_lookup.handlers import TYPE_NAMES
from services.mls_lookup.sample import METROS
from services.mls_lookup.service import DEFINITION
from services.mls_lookup.store import ListingStore, Query
from services.storage import StoreSettings, open_database
from tests.nats_fixture import start_nats_server

QUERIES = 2_000
TYPES = (mls_pb2.PROPERTY_TYPE_SINGLE_FAMILY, mls_pb2.PROPERTY_TYPE_CONDO, mls_pb2.PROPERTY_TYPE_TOWNHOUSE)
TEXTS = ("", "", "", "pool", "hardwood floors", "garage", "updated kitchen")


def queries(seed: int = 11) -> list[mls_pb2.SearchListingsRequest]:
    rng = random.Random(seed)
    out = []
    for _ in range(QUERIES):
        low = rng.choice((0, 200_000, 400_000, 600_000))
        out.append(mls_pb2.SearchListingsRequest(
            city=rng.choice(METROS).city, min_price_usd=low, max_price_usd=low + rng.choice((300_000, 600_000)),
            min_bedrooms=rng.choice((0, 2, 3, 4)), property_types=rng.sample(TYPES, rng.randint(0, 2)),
            text=rng.choice(TEXTS), limit=3,
        ))  # fmt: skip
    return out


def summary(latencies: list[float]) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "max_ms": max(latencies) * 1000}


async def run(state: Path) -> dict[str, Any]:
    os.environ["VOICEPOD_STATE_DIR"] = str(state)
    os.environ.pop("DATABASE_URL", None)
    server = start_nats_server(state)
    settings = BusSettings(nats_url=server.url)
    nc = await connect(settings, name="bench-mls")
    try:
        async with DEFINITION.lifespan(ServiceEnv(nc, settings)) as routes:  # seeds the sample
            runtime = ServiceRuntime(nc, name="mls_lookup", version="0.0.0", description="bench", routes=routes)
            await runtime.start()
            engine = await open_database("mls_lookup", StoreSettings.from_env())
            store = ListingStore(engine)
            listings = await store.count()
            store_lat, bus_lat, hits = [], [], 0
            bus = BusClient(nc)
            for q in queries():
                kinds = tuple(TYPE_NAMES[t] for t in q.property_types)
                query = Query(
                    city=q.city,
                    min_price_usd=q.min_price_usd,
                    max_price_usd=q.max_price_usd,
                    min_bedrooms=q.min_bedrooms,
                    property_types=kinds,
                    text=q.text,
                    limit=q.limit,
                )
                t = time.perf_counter()
                await store.search(query)
                store_lat.append(time.perf_counter() - t)
                t = time.perf_counter()
                reply = await bus.call(subjects.SEARCH_LISTINGS, q, timeout=5)
                bus_lat.append(time.perf_counter() - t)
                hits += reply.total_count > 0
            await engine.dispose()
            await runtime.stop()
    finally:
        await nc.close()
        server.stop()
    return {"listings": listings, "queries": QUERIES, "queries_with_matches": hits,
            "store_search": summary(store_lat), "through_nats": summary(bus_lat), "target_p99_ms": 5.0}  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(run(Path(tmp)))
    write_json("mls_search", {"benchmark": "mls_search", "results": results})
    rows = ["| path | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|"]
    for name in ("store_search", "through_nats"):
        r = results[name]
        rows.append(f"| {name} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} |")
    rows.append(f"\n{results['queries']} queries over {results['listings']} listings (SQLite), "
                f"{results['queries_with_matches']} with at least one match.")  # fmt: skip
    replace_section("mls_search", "\n".join(rows))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
