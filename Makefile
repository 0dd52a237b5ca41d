# One entry point per task. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build output outside the clone is fine (CI may point this at a cache); a fresh machine just builds.
export CARGO_TARGET_DIR ?= $(CURDIR)/native/target
APT_PACKAGES := build-essential pkg-config libshaderc-dev glslang-dev glslang-tools spirv-tools python3-venv \
                mesa-vulkan-drivers libvulkan1 ffmpeg
STAMP       := $(VENV)/.streamlib-built

.PHONY: help deps venv build run test test-rust test-python lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## install the system packages (Debian 12): shaderc/glslang static libraries, SPIR-V tools
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); fi
	@command -v cargo >/dev/null || { echo "Rust is required: https://rustup.rs (cargo not found)"; exit 1; }

venv: deps
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q "maturin>=1.7,<2" pytest mypy ruff numpy pillow

build: venv ## build the Rust core and install streamlib into .venv (editable)
	$(PY) -m pip install -q -e . --no-build-isolation
	@touch $(STAMP)

run: build ## the main job: compile the whole effect library and show parameters / diagnostics
	$(PY) -m streamlib compile shaders/*.hlsl

test: build test-rust test-python ## build, then run every test (Rust unit + integration, Python)

test-rust:
	cd native && cargo test --release -p streamlib-core

test-python:
	$(PY) -m pytest -q

lint: venv ## clippy -D warnings, ruff, mypy
	cd native && cargo clippy --release --all-targets -- -D warnings
	$(VENV)/bin/ruff check streamlib tests benches
	$(VENV)/bin/ruff format --check streamlib tests benches
	$(VENV)/bin/mypy

bench: build ## benchmarks against peers (glslangValidator, wgpu-py); print tables, write bench-results/*.json
	$(PY) benches/compile_bench.py --out bench-results/compile.json
	$(PY) -m pip install -q wgpu
	$(PY) benches/graph_bench.py --out bench-results/graph.json

clean: ## remove build output
	rm -rf $(VENV) native/target bench-results
