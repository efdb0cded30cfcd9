# TextRNN build, test and demo entry points. `make help` lists them.

SWIFT      ?= swift
PYTHON     ?= python3
BUILD_DIR  := .build/release
BIN        := bin
DATA       ?= $(if $(TEXTRNN_DATA),$(TEXTRNN_DATA),../shared/data)
PREFIX     ?= /usr/local
JSONC      := $(shell pkg-config --cflags --libs json-c)

export TEXTRNN_CLI     ?= $(CURDIR)/$(BIN)/textrnn
export TEXTRNN_LIBRARY ?= $(CURDIR)/$(BUILD_DIR)/libtextrnn.so

.PHONY: help deps build test test-swift test-python demo example clean accuracy bench

help:
	@echo "make build    release build: bin/textrnn, $(BUILD_DIR)/libtextrnn.so, bin/classify"
	@echo "make demo     build, train on IMDB, export a bundle, predict from C, Python and the CLI"
	@echo "make test     every test: Swift (XCTest/Swift Testing) and Python (pytest, C ABI, C example)"
	@echo "make accuracy full-dataset training runs (long; results in docs/accuracy.md)"

# System libraries (Debian): json-c for the runtime, OpenBLAS for the trainer; pytest for tests.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@pkg-config --exists json-c openblas 2>/dev/null || { \
		echo "installing libjson-c-dev libopenblas-dev pkg-config"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libjson-c-dev libopenblas-dev pkg-config >/dev/null; }
	@$(PYTHON) -c "import pytest, numpy" 2>/dev/null || $(PYTHON) -m pip install --quiet pytest numpy

build: deps
	$(SWIFT) build -c release
	@mkdir -p $(BIN)
	cp $(BUILD_DIR)/textrnn-cli $(BIN)/textrnn
	$(MAKE) --no-print-directory example

example: $(BIN)/classify

$(BIN)/classify: examples/c/classify.c include/textrnn.h $(BUILD_DIR)/libtextrnn.so
	@mkdir -p $(BIN)
	cc -O2 -Wall -Wextra -std=c11 -Iinclude examples/c/classify.c -o $@ \
		-L$(BUILD_DIR) -ltextrnn -Wl,-rpath,'$$ORIGIN/../$(BUILD_DIR)' $(JSONC)

test: build test-swift test-python

test-swift:
	$(SWIFT) test

test-python:
	cd bindings/python && $(PYTHON) -m pytest -q tests

demo: build
	./scripts/demo.sh

accuracy: build
	./scripts/accuracy.sh

clean:
	rm -rf .build $(BIN) out
