# One entry point per task. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build output outside the clone is fine (CI may point this at a cache); a fresh machine just builds.
export CARGO_TARGET_DIR ?= $(CURDIR)/native/target
APT_PACKAGES := build-essential pkg-config libshaderc-dev glslang-dev glslang-tools spirv-tools python3-venv \
                mesa-vulkan-drivers libvulkan1 ffmpeg chromium
STAMP       := $(VENV)/.streamlib-built

.PHONY: help deps venv widgets build run lab test test-rust test-js test-python lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## install the system packages (Debian 12): shaderc/glslang static libraries, SPIR-V tools
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); fi
	@command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs (cargo not found)"; exit 1; }
	@command -v npm >/dev/null || { echo "Node.js with npm is required to bundle the widgets (npm not found)"; exit 1; }

venv: deps
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q "maturin>=1.7,<2" pytest mypy ruff numpy pillow \
		jupyterlab ipywidgets anywidget ipykernel nbclient nbformat playwright \
		jsonschema schemathesis openapi-spec-validator

widgets: ## bundle the widgets' ES modules (esbuild) and build the JupyterLab extension (jupyter-builder)
	cd widgets && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@# Built into widgets/wheel-data, which the wheel (and an editable install) puts under share/jupyter.
	cd widgets/labextension && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent >/dev/null

build: venv widgets ## build the Rust core and the widgets, install streamlib into .venv (editable)
	@# The build backend (widgets/build_backend.py) also builds the runtime binary into streamlib/bin,
	@# where it ships inside the package (and so the wheel) and runtime_binary() finds it.
	$(PY) -m pip install -q -e . --no-build-isolation
	@test -x streamlib/bin/streamlib-runtime
	@touch $(STAMP)

run: lab ## the main job: JupyterLab on the first tutorial (test-pattern source, no camera needed)

lab: build ## JupyterLab on notebooks/01-first-effect.ipynb, bound to 127.0.0.1 (the URL with its token is printed)
	$(PY) -m streamlib compile shaders/*.hlsl
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root) \
		--ServerApp.root_dir=$(CURDIR) notebooks/01-first-effect.ipynb

test: build test-rust test-js test-python ## build, then run every test (Rust, JS unit, Python incl. browser)

test-rust:
	cd native && cargo test --release -p streamlib-core

test-js:
	cd widgets/labextension && npx vitest run

test-python:
	$(PY) -m pytest -q tests

lint: venv ## clippy -D warnings, ruff, mypy
	cd native && cargo clippy --release --all-targets -- -D warnings
	cd widgets && npx eslint src
	cd widgets/labextension && npx tsc --noEmit && npx eslint src test
	$(VENV)/bin/ruff check streamlib tests benches widgets/build_backend.py
	$(VENV)/bin/ruff format --check streamlib tests benches widgets/build_backend.py
	$(VENV)/bin/mypy

bench: build ## benchmarks against peers (glslangValidator, wgpu-py, jupyter_rfb); tables + bench-results/*.json
	$(PY) benches/compile_bench.py --out bench-results/compile.json
	$(PY) -m pip install -q wgpu jupyter_rfb
	$(PY) benches/graph_bench.py --out bench-results/graph.json
	$(PY) benches/preview_bench.py --out bench-results/preview.json
	$(PY) benches/editor_bench.py --out bench-results/editor.json

clean: ## remove build output
	rm -rf $(VENV) native/target bench-results widgets/node_modules streamlib/jupyter/static \
		widgets/labextension/node_modules widgets/labextension/lib widgets/wheel-data/data/share
