"""`%%hlsl NAME [--compute] [--backend dxc|glslang] [--preview]`: compile a cell, register it, hot-swap it;
`%%glsl NAME [--preview]` does the same for a Shadertoy-style GLSL effect.
`%streamlib_mcp [RUNTIME] [--port N] [--stop]`: serve a runtime of the notebook to MCP agents."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from IPython.core.display_functions import display
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from streamlib.errors import NOTEBOOK_INSTALL_HINT, ShaderCompileError
from streamlib.jupyter.cards import error_card, success_card
from streamlib.jupyter.diagnostics import MIME, failure_payload, success_payload
from streamlib.registry import shaders
from streamlib.shader import Shader, compile


def _parse(line: str, magic: str = "hlsl") -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"%%{magic}", add_help=False, exit_on_error=False)
    parser.add_argument("name")
    parser.add_argument("--compute", action="store_true")
    parser.add_argument("--backend", choices=["dxc", "glslang"])
    parser.add_argument("--preview", action="store_true")
    parser.add_argument("--entry", default="main")
    try:
        return parser.parse_args(shlex.split(line))
    except (argparse.ArgumentError, SystemExit) as err:
        raise ValueError(
            f"usage: %%{magic} NAME [--compute] [--backend dxc|glslang] [--preview] ({err})"
        ) from None


@magics_class
class HlslMagics(Magics):
    @cell_magic
    def hlsl(self, line: str, cell: str) -> Any:
        """Compiles the cell as HLSL and registers it as `streamlib.shaders[NAME]`.

        Success shows a card with stage, backend, parameters and compile time; failure shows each
        diagnostic on its line and raises `ShaderCompileError`, so "Run all" stops here. Effects created
        from NAME switch to the new shader at once; on failure they keep the last good one.
        """
        return self._compile_cell(line, cell, "hlsl")

    @cell_magic
    def glsl(self, line: str, cell: str) -> Any:
        """Compiles the cell as a Shadertoy-style GLSL effect (`mainImage(out vec4, in vec2)` with `iTime`,
        `iResolution`, `iMouse`, `iChannel0`…) and registers it as `streamlib.shaders[NAME]`, as `%%hlsl`
        does."""
        return self._compile_cell(line, cell, "glsl")

    def _compile_cell(self, line: str, cell: str, language: str) -> Any:
        args = _parse(line, language)
        stage = "compute" if args.compute else "auto"
        try:
            shader = compile(
                cell, stage=stage, entry=args.entry, name=args.name, backend=args.backend, language=language
            )
        except ShaderCompileError as err:
            # The payload rides beside the card: the JupyterLab extension turns it into editor markers.
            display(
                {"text/html": error_card(args.name, err, cell), MIME: failure_payload(args.name, err)},
                raw=True,
            )
            if args.preview:
                # Re-running the cell cleared its output; the preview, still on the last good shader, stays.
                from streamlib.jupyter.preview import existing_preview

                preview = existing_preview(args.name)
                if preview is not None:
                    display(preview)
            # The card already shows the diagnostics; the traceback stays short.
            err.__traceback__ = None
            raise err from None
        shaders[args.name] = shader
        display(
            {"text/html": success_card(args.name, shader), MIME: success_payload(args.name, shader)}, raw=True
        )
        if args.preview:
            from streamlib.jupyter.preview import preview_shader

            display(preview_shader(args.name, shader))
        return None


def _parse_mcp(line: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="%streamlib_mcp", add_help=False, exit_on_error=False)
    parser.add_argument("runtime", nargs="?")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stop", action="store_true")
    try:
        return parser.parse_args(shlex.split(line))
    except (argparse.ArgumentError, SystemExit) as err:
        raise ValueError(f"usage: %streamlib_mcp [RUNTIME] [--port N] [--stop] ({err})") from None


@magics_class
class AgentMagics(Magics):
    @line_magic
    def streamlib_mcp(self, line: str) -> Any:
        """Serves a `Runtime` of this notebook to MCP agents over streamable HTTP on loopback (its variable
        name; without one, the notebook's only Runtime) and shows how to register it with a client. An agent's
        swaps and parameter changes land in the same live graph the previews and controls show. `--stop`
        stops the server."""
        try:
            from streamlib.jupyter.agents import AgentServer, serve_mcp
        except ModuleNotFoundError as missing:
            raise ModuleNotFoundError(
                f"%streamlib_mcp needs the '{missing.name}' module (MCP SDK): {NOTEBOOK_INSTALL_HINT}",
                name=missing.name,
            ) from missing
        from streamlib.runtime import Runtime

        args = _parse_mcp(line)
        namespace = self.shell.user_ns if self.shell is not None else {}
        current = namespace.get("_streamlib_mcp_server")
        if args.stop:
            if isinstance(current, AgentServer):
                current.stop()
            return current
        if args.runtime is not None:
            runtime = namespace.get(args.runtime)
            if not isinstance(runtime, Runtime):
                raise ValueError(f"'{args.runtime}' is not a streamlib Runtime in this notebook")
        else:
            runtimes = [v for k, v in namespace.items() if isinstance(v, Runtime) and not k.startswith("_")]
            if len({id(r) for r in runtimes}) != 1:
                raise ValueError(
                    "name the Runtime to serve: %streamlib_mcp RUNTIME (found "
                    f"{len(runtimes)} Runtime variables in this notebook)"
                )
            runtime = runtimes[0]
        if isinstance(current, AgentServer) and current.running:
            current.stop()
        server = serve_mcp(runtime, port=args.port)
        namespace["_streamlib_mcp_server"] = server
        return server


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(HlslMagics)
    ipython.register_magics(AgentMagics)


def registered(name: str) -> Shader:
    return shaders[name]
