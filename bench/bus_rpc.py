"""Request/reply through the bus layer vs raw nats-py, on one real nats-server.

The responder runs in its own process (as a service would), the caller here.
Raw: nats-py `request()` to a plain subscription that answers with fixed bytes.
Raw+headers: the same, carrying the headers our contract requires (Pod-Deadline,
Pod-Request-Id): nats-py's header path (HPUB/HMSG parsing) is a fixed cost of
the contract, not of our layer, so it gets its own row.
Bus: `BusClient.call()` to a `ServiceRuntime` endpoint (deadline header,
Protobuf decode/encode, per-request task, deadline watch, metrics, log context).
Both: 2,000 sequential requests, then 20,000 with 64 in flight. Runs are
interleaved (raw, bus, raw, bus, ...) and the best of each kept, so a noisy
neighbour hurts both alike; the overhead is the ratio of the two.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import nats

from bench.report import replace_section, write_json
from bus import headers, subjects
from bus.client import BusClient
from bus.contracts import crm_pb2
from bus.deadline import Deadline
from bus.service import RequestContext, ServiceRuntime, route
from tests.nats_fixture import start_nats_server

RAW_SUBJECT = "bench.raw.echo"
SEQUENTIAL = 2_000
CONCURRENT = 20_000
IN_FLIGHT = 64
ROUNDS = 5
REQUEST = crm_pb2.UpsertLeadRequest(
    idempotency_key="k-1",
    name="Ada Lovelace",
    phone="+15125550100",
    interest="3 bed house in Austin",
    budget_usd=650_000,
)
REPLY = crm_pb2.UpsertLeadResponse(lead=crm_pb2.Lead(lead_id="L-1", name="Ada Lovelace"), created=True)


def responder(url: str, ready: Any) -> None:
    async def main() -> None:
        nc = await nats.connect(url)

        async def echo(msg: Any) -> None:
            await msg.respond(REPLY.SerializeToString())

        await nc.subscribe(RAW_SUBJECT, cb=echo)

        async def upsert(_: crm_pb2.UpsertLeadRequest, __: RequestContext) -> crm_pb2.UpsertLeadResponse:
            return REPLY

        runtime = ServiceRuntime(
            nc, name="crm_writer", version="0.0.0", description="bench", routes=[route(subjects.UPSERT_LEAD, upsert)]
        )
        await runtime.start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def measure(send: Any, total: int, in_flight: int) -> dict[str, float]:
    latencies: list[float] = []

    async def worker(n: int) -> None:
        for _ in range(n):
            t = time.perf_counter()
            await send()
            latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    await asyncio.gather(*(worker(total // in_flight) for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "req_per_s": len(latencies) / elapsed}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "p50_ms": min(r["p50_ms"] for r in runs),
        "p99_ms": min(r["p99_ms"] for r in runs),
        "req_per_s": max(r["req_per_s"] for r in runs),
    }


async def run(url: str) -> dict[str, Any]:
    nc = await nats.connect(url)
    bus = BusClient(nc)
    payload = REQUEST.SerializeToString()

    async def raw() -> None:
        msg = await nc.request(RAW_SUBJECT, payload, timeout=5)
        crm_pb2.UpsertLeadResponse.FromString(msg.data)

    async def raw_headers() -> None:
        hdrs = {headers.DEADLINE: Deadline.after(5).header_value(), headers.REQUEST_ID: "0123456789ab1"}
        msg = await nc.request(RAW_SUBJECT, payload, timeout=5, headers=hdrs)
        crm_pb2.UpsertLeadResponse.FromString(msg.data)

    async def via_bus() -> None:
        await bus.call(subjects.UPSERT_LEAD, REQUEST, timeout=5)

    paths = {"raw": raw, "raw_headers": raw_headers, "bus": via_bus}
    for send in paths.values():  # warm up connections, caches, the JIT-less interpreter alike
        await measure(send, 500, 1)
    results: dict[str, Any] = {}
    for mode, total, in_flight in (("sequential", SEQUENTIAL, 1), ("concurrent_64", CONCURRENT, IN_FLIGHT)):
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
        for _ in range(ROUNDS):
            for name, send in paths.items():
                runs[name].append(await measure(send, total, in_flight))
        b = {name: best(r) for name, r in runs.items()}
        results[mode] = {
            "requests": total,
            "in_flight": in_flight,
            **b,
            "overhead_p50": b["bus"]["p50_ms"] / b["raw"]["p50_ms"] - 1,
            "overhead_throughput": b["raw"]["req_per_s"] / b["bus"]["req_per_s"] - 1,
            "layer_overhead_p50": b["bus"]["p50_ms"] / b["raw_headers"]["p50_ms"] - 1,
            "layer_overhead_throughput": b["raw_headers"]["req_per_s"] / b["bus"]["req_per_s"] - 1,
        }
    await nc.close()
    return results


def table(results: dict[str, Any]) -> str:
    rows = ["| mode | path | p50 ms | p99 ms | req/s |", "|---|---|---:|---:|---:|"]
    for mode, r in results.items():
        for path in ("raw", "raw_headers", "bus"):
            m = r[path]
            rows.append(f"| {mode} | {path} | {m['p50_ms']:.3f} | {m['p99_ms']:.3f} | {m['req_per_s']:,.0f} |")
        rows.append(f"| {mode} | bus vs raw | {r['overhead_p50']:+.0%} | | {r['overhead_throughput']:+.0%} |")
        p50, tput = r["layer_overhead_p50"], r["layer_overhead_throughput"]
        rows.append(f"| {mode} | bus vs raw_headers | {p50:+.0%} | | {tput:+.0%} |")
    return "\n".join(rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = start_nats_server(Path(tmp))
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        proc = ctx.Process(target=responder, args=(server.url, ready), daemon=True)
        proc.start()
        try:
            if not ready.wait(30):
                raise SystemExit("responder did not start")
            results = asyncio.run(run(server.url))
        finally:
            proc.terminate()
            proc.join(5)
            server.stop()
    path = write_json(
        "bus_rpc", {"benchmark": "bus_rpc", "results": results, "targets": {"overhead_max": 0.20, "p99_ms_max": 2.0}}
    )
    md = table(results)
    replace_section("bus_rpc", md)
    print(md)
    print(f"\nwrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
