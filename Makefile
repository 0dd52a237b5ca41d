# One entry point per task. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build output outside the clone is fine (CI may point this at a cache); a fresh machine just builds.
export CARGO_TARGET_DIR ?= $(CURDIR)/native/target
# nasm: OpenH264's and libjpeg-turbo's SIMD; without it OpenH264 builds silently as plain C, several times
# slower (libjpeg-turbo's build refuses). cmake: builds libjpeg-turbo (the turbojpeg crate's bundled source).
# libegl1 + libegl-mesa0: the OpenGL ES backend through EGL (the fallback where Vulkan finds no device).
# iproute2: `tc`, a slow link on a network namespace's loopback for the rate-control test.
APT_PACKAGES := build-essential pkg-config libshaderc-dev glslang-dev glslang-tools spirv-tools python3-venv \
                mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 ffmpeg chromium nasm cmake iproute2
# The GStreamer relays that webrtc_bench.py measures streamlib's hops against (benches/gst_relay.py, system Python;
# gstreamer1.0-gl: the relay drawing an effect, on GL); tcpdump: a relay's own time per frame, off the wire.
BENCH_APT_PACKAGES := python3-gi gir1.2-gst-plugins-bad-1.0 gir1.2-gst-plugins-base-1.0 gstreamer1.0-nice \
                      gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav \
                      gstreamer1.0-gl tcpdump
# Tools come from .venv first (maturin's PEP 517 hook runs `maturin` from PATH), never from whatever else is there.
export PATH := $(abspath $(VENV))/bin:$(PATH)

# Each step is a file target that re-runs only when its inputs change, so a built tree starts in seconds.
DEV_STAMP    := $(VENV)/.streamlib-dev
BUILD_STAMP  := $(VENV)/.streamlib-built
WIDGET_DEPS  := widgets/node_modules/.package-lock.json
LABEXT_DEPS  := widgets/labextension/node_modules/.package-lock.json
# Independent clients the tests drive streamlib against (the MCP Inspector).
PEER_DEPS    := tests/peers/node_modules/.package-lock.json
WIDGET_JS    := streamlib/jupyter/static/preview.js
LABEXT_BUILT := widgets/wheel-data/data/share/jupyter/labextensions/@streamlib/jupyterlab/install.json
NATIVE_SRC   := $(shell find native -path native/target -prune -o -type f \( -name '*.rs' -o -name '*.toml' \
                  -o -name Cargo.lock -o -name '*.json' \) -print)
WIDGET_SRC   := $(wildcard widgets/src/*.js) widgets/build.mjs
LABEXT_SRC   := $(wildcard widgets/labextension/src/*.ts widgets/labextension/style/* widgets/labextension/schema/*) \
                widgets/labextension/package.json widgets/labextension/install.json widgets/labextension/tsconfig.json
NPM_CI       := npm ci --no-audit --no-fund --loglevel=error

.PHONY: help deps venv widgets build run lab test test-rust test-js test-python lint bench soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## install the system packages (Debian 12): shaderc/glslang static libraries, SPIR-V tools, lavapipe, Chromium
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); fi
	@command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs (cargo not found)"; exit 1; }
	@command -v npm >/dev/null || { echo "Node.js with npm is required to bundle the widgets (npm not found)"; exit 1; }

venv: deps $(DEV_STAMP) ## .venv with the development tools of pyproject.toml's `dev` group

$(DEV_STAMP): pyproject.toml
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	$(PY) -m pip install -q --group dev
	@touch $@

$(WIDGET_DEPS): widgets/package-lock.json
	cd widgets && $(NPM_CI)

$(LABEXT_DEPS): widgets/labextension/package-lock.json
	cd widgets/labextension && $(NPM_CI)

$(PEER_DEPS): tests/peers/package-lock.json
	cd tests/peers && $(NPM_CI)

$(WIDGET_JS): $(WIDGET_DEPS) $(WIDGET_SRC)
	cd widgets && npm run build --silent
	@touch $@

# Built into widgets/wheel-data, which the wheel (and an editable install) puts under share/jupyter.
$(LABEXT_BUILT): $(LABEXT_DEPS) $(LABEXT_SRC)
	cd widgets/labextension && npm run build --silent >/dev/null
	@touch $@

widgets: deps $(WIDGET_JS) $(LABEXT_BUILT) ## bundle the widgets' ES modules (esbuild) and the JupyterLab extension

# The build backend (widgets/build_backend.py) also builds the runtime binary into streamlib/bin, where it ships
# inside the package (and so the wheel) and runtime_binary() finds it. Python sources need no reinstall (editable).
$(BUILD_STAMP): $(DEV_STAMP) $(WIDGET_JS) $(LABEXT_BUILT) $(NATIVE_SRC) pyproject.toml widgets/build_backend.py
	$(PY) -m pip install -q -e ".[jupyter]" --no-build-isolation
	@test -x streamlib/bin/streamlib-runtime
	@touch $@

build: deps $(BUILD_STAMP) ## build the Rust core and the widgets, install streamlib into .venv (editable)

run: lab ## the main job: JupyterLab on the first tutorial (test-pattern source, no camera needed)

lab: build ## JupyterLab on notebooks/01-first-effect.ipynb, bound to 127.0.0.1 (the URL with its token is printed)
	$(PY) -m streamlib compile shaders/*.hlsl
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root) \
		--ServerApp.root_dir=$(CURDIR) notebooks/01-first-effect.ipynb

test: build test-rust test-js test-python ## build, then run every test (Rust, JS unit, Python incl. browser)

test-rust:
	cd native && cargo test --release -p streamlib-core -p streamlib-runtime

test-js:
	cd widgets/labextension && npx vitest run

test-python: $(PEER_DEPS)
	$(PY) -m pytest -q tests

lint: build ## rustfmt, clippy -D warnings, eslint, tsc, ruff (check + format), mypy, stubtest of the .pyi
	cd native && cargo fmt --all --check
	cd native && cargo clippy --release --all-targets -- -D warnings
	cd widgets && npx eslint src
	cd widgets/labextension && npx tsc --noEmit && npx eslint src test
	$(VENV)/bin/ruff check streamlib tests benches widgets/build_backend.py
	$(VENV)/bin/ruff format --check streamlib tests benches widgets/build_backend.py
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest streamlib._native streamlib.node_types

bench: build ## benchmarks against peers (glslangValidator, wgpu-py, jupyter_rfb, aiortc, GStreamer); tables + bench-results/*.json
	@if ! dpkg -s $(BENCH_APT_PACKAGES) >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BENCH_APT_PACKAGES); fi
	$(PY) benches/compile_bench.py --out bench-results/compile.json
	$(PY) -m pip install -q --group bench
	$(PY) benches/graph_bench.py --out bench-results/graph.json
	$(PY) benches/preview_bench.py --out bench-results/preview.json
	$(PY) benches/kernel_ws_bench.py --out bench-results/kernel_ws.json
	$(PY) benches/editor_bench.py --out bench-results/editor.json
	$(PY) benches/mcp_bench.py --out bench-results/mcp.json
	$(PY) benches/webrtc_bench.py --out bench-results/webrtc.json

soak: build ## 30-minute soak of streamlib-runtime serve under edits (RSS, fds, threads, fps); table + JSON
	$(PY) benches/soak.py --out bench-results/soak.json

clean: ## remove build output
	rm -rf $(VENV) native/target bench-results widgets/node_modules streamlib/jupyter/static \
		widgets/labextension/node_modules widgets/labextension/lib widgets/wheel-data/data/share \
		tests/peers/node_modules
