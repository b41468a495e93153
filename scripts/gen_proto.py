"""Generate bus/contracts/*_pb2.py(i) from proto/ with grpcio-tools.

protoc writes imports as `from voicepod.v1 import x_pb2`; we flatten the output
into the `bus.contracts` package and rewrite those imports to match, so the
generated code needs no sys.path tricks. `--check` regenerates into a temporary
directory and fails if bus/contracts differs (stale gencode).
"""

from __future__ import annotations

import argparse
import filecmp
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE_DIR = PROTO_DIR / "voicepod" / "v1"
OUT_DIR = ROOT / "bus" / "contracts"
INIT_TEXT = '"""Generated Protobuf messages for the voicepod.v1 contracts. Do not edit: `make proto`."""\n'
IMPORT_RE = re.compile(r"^from voicepod\.v1 import ", re.MULTILINE)


def generate(out: Path) -> None:
    include = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as raw:
        protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PACKAGE_DIR.glob("*.proto"))
        args = ["protoc", f"-I{PROTO_DIR}", f"-I{include}", f"--python_out={raw}", f"--pyi_out={raw}", *protos]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        out.mkdir(parents=True, exist_ok=True)
        for generated in sorted((Path(raw) / "voicepod" / "v1").iterdir()):
            text = IMPORT_RE.sub("from bus.contracts import ", generated.read_text())
            (out / generated.name).write_text(text)
    (out / "__init__.py").write_text(INIT_TEXT)


def stale_files(expected: Path, actual: Path) -> list[str]:
    names = {p.name for p in expected.iterdir()} | {p.name for p in actual.glob("*.py*") if p.is_file()}
    return sorted(
        n
        for n in names
        if not (expected / n).exists()
        or not (actual / n).exists()
        or not filecmp.cmp(expected / n, actual / n, shallow=False)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if bus/contracts is stale")
    args = parser.parse_args()
    if not args.check:
        for old in OUT_DIR.glob("*_pb2.py*"):
            old.unlink()
        generate(OUT_DIR)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = stale_files(Path(tmp), OUT_DIR)
    if stale:
        print(f"generated code is stale, run `make proto`: {', '.join(stale)}", file=sys.stderr)
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
