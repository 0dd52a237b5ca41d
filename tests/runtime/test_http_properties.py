"""Property and hardening tests of `streamlib-runtime serve` against the real binary on 127.0.0.1.

* the served OpenAPI document validates as OpenAPI 3.x (`openapi-spec-validator`);
* schemathesis generates a bounded number of requests per operation (token server, sequential requests,
  so the concurrency bound never answers 503) and checks that none of them gets a 5xx answer;
* the compiler-crash inputs of the foundation issue each come back 422 with diagnostics, and the server
  still answers `/v1/health` and a good compile right after each.

`RemoteRuntime` end to end (compile, load, start/stop, set, replace, stats, latest frame) is covered by
`test_http_api.py`; only what it does not check is here (diagnostic line numbers past line 1, a crash
through the client).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from streamlib import RemoteRuntime, ShaderCompileError

from ..conftest import ROOT
from .test_http_api import CRASHER, TINT, Server, start_server

TOKEN = "prop-token"
MAX_EXAMPLES = 25  # per operation and generation mode; the whole run stays well under a minute

NESTING = 20_000
DEEP = "float a = " + "(" * NESTING + "1" + ")" * NESTING + "; return a;"
UNCLOSED = "float a = " + "(" * NESTING + "1" + "; return a;"
CRASH_INPUTS = {
    "bad_array_parameter": (
        "float4 main(float4 pos : SV_POSITION, float[2 coord : TEXCOORD) : SV_Target { return 0; }",
        "pixel",
    ),
    "deep_parentheses": (
        "float4 main(float2 uv : TEXCOORD) : SV_Target { " + DEEP + " }",
        "pixel",
    ),
    "unclosed_parentheses": (
        "float4 main(float2 uv : TEXCOORD) : SV_Target { " + UNCLOSED + " }",
        "pixel",
    ),
    "glslang_segfault": (CRASHER, "compute"),
}


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("serve-props"), token=TOKEN)


# ------------------------------------------------------------------------------------------ OpenAPI


def test_served_openapi_document_is_valid(token_server: Server) -> None:
    validator = pytest.importorskip(
        "openapi_spec_validator", reason="openapi-spec-validator is not installed (pip install it)"
    )
    status, doc = token_server.json("GET", "/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    validator.validate(doc)  # raises OpenAPIValidationError with the offending path


# ---------------------------------------------------------------------------------------- generated


def _operations() -> list[tuple[str, str]]:
    doc = json.loads((ROOT / "native" / "streamlib-runtime" / "src" / "openapi.json").read_text())
    return [(method.upper(), path) for path, item in doc["paths"].items() for method in item]


@pytest.fixture(scope="module")
def schema(token_server: Server) -> Any:
    schemathesis = pytest.importorskip(
        "schemathesis", reason="schemathesis is not installed (pip install it)"
    )
    # WHEP bodies are SDP text: generated strings are sent as they are.
    schemathesis.serializer.alias("application/sdp", "text/plain")
    schemathesis.serializer.alias("application/trickle-ice-sdpfrag", "text/plain")
    status, doc = token_server.json("GET", "/v1/openapi.json")
    assert status == 200
    # The server inlines the graph config's schema, so every reference resolves within the document.
    assert '"$ref": "https://' not in json.dumps(doc)
    assert "GraphConfig" in doc["components"]["schemas"]
    return schemathesis.openapi.from_dict(doc)


def _run_generated(server: Server, operation: Any, mode: Any) -> list[str]:
    """Runs up to MAX_EXAMPLES generated requests of `mode` one after another; lists every 5xx answer."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    headers = {"Authorization": f"Bearer {TOKEN}"}
    failures: list[str] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call(base_url=server.url, headers=headers, timeout=120)
        if response.status_code >= 500:
            failures.append(
                f"{mode.value}: {case.method} {case.formatted_path} query={case.query} "
                f"body={str(case.body)[:300]!r} -> {response.status_code} {response.text[:400]!r}"
            )
        # schemathesis' own verdict on the same answer (raises on a 5xx)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        check()
    except Exception as err:
        if type(err).__name__ != "Unsatisfiable":  # an operation without inputs has no negative cases
            failures.append(f"{mode.value}: {type(err).__name__}: {str(err)[:300]}")
    return failures


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in _operations()],
    ids=lambda v: str(v),
)
def test_generated_requests_never_get_a_server_error(
    token_server: Server, schema: Any, method: str, path: str
) -> None:
    from schemathesis import GenerationMode

    operation = schema[path][method]
    failures: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        failures += _run_generated(token_server, operation, mode)
    # Stop whatever a generated request may have started, so the next operation sees an idle server.
    token_server.call("POST", "/v1/graph/stop", {})
    assert token_server.call("GET", "/v1/health", token=None)[0] == 200
    assert not failures, "\n".join(dict.fromkeys(failures))


@pytest.mark.parametrize(
    "source", ["é", "float4 main(float2 uv : TEXCOORD) : SV_Target { return 1; } // ok\n日本"]
)
def test_non_ascii_source_is_a_compile_error_not_a_panic(token_server: Server, source: str) -> None:
    status, body = token_server.json("POST", "/v1/shaders", {"source": source})
    assert token_server.json("GET", "/v1/health", token=None)[0] == 200
    assert (status, body.get("code")) == (422, "compile_error"), (status, body)


# ------------------------------------------------------------------------------------ compiler crashes


@pytest.mark.parametrize("name", list(CRASH_INPUTS))
def test_compiler_crash_inputs_are_diagnostics(token_server: Server, name: str) -> None:
    source, stage = CRASH_INPUTS[name]
    started = time.monotonic()
    status, body = token_server.json("POST", "/v1/shaders", {"source": source, "stage": stage})
    assert (status, body.get("code")) == (422, "compile_error"), (status, str(body)[:500])
    assert body["diagnostics"] and all(d["message"] for d in body["diagnostics"])
    assert any(d["severity"] == "error" for d in body["diagnostics"])
    assert time.monotonic() - started < 60
    assert token_server.json("GET", "/v1/health", token=None)[0] == 200
    status, body = token_server.json("POST", "/v1/shaders", {"source": TINT, "name": "after.hlsl"})
    assert status == 200 and body["parameters"][0]["name"] == "strength", body


# ------------------------------------------------------------------------------------ RemoteRuntime


def test_remote_compile_errors_carry_line_numbers(token_server: Server) -> None:
    remote = RemoteRuntime(token_server.url, token=TOKEN)
    source = "cbuffer params { float strength; };\n\nfloat4 main(float2 uv : TEXCOORD) : SV_Target {\n"
    source += "    return tex2D(input, uv) * strength\n}\n"
    with pytest.raises(ShaderCompileError) as caught:
        remote.compile(source)
    lines = [d.line for d in caught.value.diagnostics if d.severity == "error"]
    assert lines and all(line in (4, 5) for line in lines), caught.value.diagnostics
    with pytest.raises(ShaderCompileError) as crashed:
        remote.compile(CRASHER, stage="compute")
    assert crashed.value.diagnostics
    assert remote.compile(TINT)["parameters"][0]["name"] == "strength"
