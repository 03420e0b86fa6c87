"""Generates the Python stubs of netral's contract from ../../proto into ./gen.

Run after `pip install -r requirements.txt`; nothing generated is committed.
"""

import pathlib
import sys

from grpc_tools import protoc
import grpc_tools

HERE = pathlib.Path(__file__).resolve().parent
PROTO = HERE.parent.parent / "proto"
OUT = HERE / "gen"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
        *files,
    ]
    status = protoc.main(args)
    if status != 0:
        print(f"protoc failed ({status})", file=sys.stderr)
        return status
    # No __init__.py anywhere: `google` must stay a namespace package shared with the
    # installed protobuf runtime (`google.protobuf`), and `netral.v1` resolves as one too.
    print(f"generated {len(files)} files into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
