"""`python -m streamlib compile FILE...`: compile shaders and print what a user needs to know."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from streamlib.errors import StreamlibError
from streamlib.shader import Shader, compile_file, compilers


def _describe(shader: Shader) -> str:
    params = ", ".join(
        f"{p.name}: {p.type}"
        + (f" [{p.min:g}..{p.max:g}]" if p.min is not None and p.max is not None else "")
        + (f" = {', '.join(f'{v:g}' for v in p.default)}" if any(p.default) else "")
        + (" (color)" if p.kind == "color" else "")
        for p in shader.parameters
    )
    extra = f", workgroup {shader.workgroup_size}" if shader.workgroup_size else ""
    return (
        f"{shader.name}: ok  {shader.stage} via {shader.backend}{extra}, {len(shader.spirv)} B SPIR-V, "
        f"{shader.compile_ms:.1f} ms\n    parameters: {params or 'none'}"
    )


def _compile_command(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        options = {"backend": args.backend} if args.backend else {}
        if args.stage:
            options["stage"] = args.stage
        try:
            shader = compile_file(path, **options)
        except StreamlibError as err:
            failed += 1
            print(f"{path}: FAILED\n{err}\n", file=sys.stderr)
            continue
        except OSError as err:
            failed += 1
            print(f"{path}: cannot read: {err}", file=sys.stderr)
            continue
        print(_describe(shader))
        for warning in shader.warnings:
            print(f"    {warning}")
    total = len(args.files)
    print(f"{total - failed}/{total} compiled" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


def _compilers_command(_: argparse.Namespace) -> int:
    for info in compilers():
        state = "available" if info["available"] else "missing"
        print(f"{info['name']:8} {state:9} {info['version']}  {info['detail']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streamlib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    compile_parser = commands.add_parser("compile", help="compile HLSL files and report parameters or errors")
    compile_parser.add_argument("files", nargs="+")
    compile_parser.add_argument("--backend", choices=["dxc", "glslang"])
    compile_parser.add_argument("--stage", choices=["pixel", "vertex", "compute"])
    compile_parser.set_defaults(run=_compile_command)
    compilers_parser = commands.add_parser("compilers", help="list the HLSL compilers this build can use")
    compilers_parser.set_defaults(run=_compilers_command)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
