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
    # Make every generated directory a package, so `netral.v1` imports resolve.
    for directory in [OUT, *[d for d in OUT.rglob("*") if d.is_dir()]]:
        (directory / "__init__.py").touch()
    print(f"generated {len(files)} files into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
