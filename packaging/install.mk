# `make install` / `make uninstall` (included by the top Makefile). GNU-style directories;
# DESTDIR is prepended to every path written, never to the paths recorded in textrnn.pc.
#
# Installs what `make build` made (it never builds, so `sudo make install` needs no toolchain
# for root): the inference library $(TEXTRNN_LIBRARY) and the trainer's C ABI
# $(TEXTRNN_TRAINER_LIBRARY), each as libNAME.so.VERSION with soname libNAME.so.MAJOR and the
# usual symlinks, their headers and .pc files, and $(TEXTRNN_CLI) as bin/textrnn.

PREFIX       ?= /usr/local
bindir       ?= $(PREFIX)/bin
libdir       ?= $(PREFIX)/lib
includedir   ?= $(PREFIX)/include
pkgconfigdir ?= $(libdir)/pkgconfig
TEXTRNN_TRAINER_LIBRARY ?= $(dir $(TEXTRNN_LIBRARY))libtextrnn-trainer.so

# The version is the header's: the library checks that TEXTRNN_VERSION_STRING matches its own.
VERSION  := $(shell sed -n 's/^\#define TEXTRNN_VERSION_STRING "\(.*\)"/\1/p' include/textrnn.h)
MAJOR    := $(firstword $(subst ., ,$(VERSION)))
# library name : built file : header : pkg-config name, one line per installed library.
LIBRARIES = textrnn:$(TEXTRNN_LIBRARY):textrnn.h:textrnn textrnn-trainer:$(TEXTRNN_TRAINER_LIBRARY):textrnn_trainer.h:textrnn-trainer
library_files = "$(DESTDIR)$(libdir)/lib$(1).so.$(VERSION)" "$(DESTDIR)$(libdir)/lib$(1).so.$(MAJOR)" "$(DESTDIR)$(libdir)/lib$(1).so"
# Every path `make install` writes (and `make uninstall` removes).
INSTALLED = $(call library_files,textrnn) $(call library_files,textrnn-trainer) \
	"$(DESTDIR)$(includedir)/textrnn.h" "$(DESTDIR)$(includedir)/textrnn_trainer.h" \
	"$(DESTDIR)$(pkgconfigdir)/textrnn.pc" "$(DESTDIR)$(pkgconfigdir)/textrnn-trainer.pc" "$(DESTDIR)$(bindir)/textrnn"

install:
	@test -n "$(VERSION)" || { echo "make install: no TEXTRNN_VERSION_STRING in include/textrnn.h" >&2; exit 1; }
	@for built in "$(TEXTRNN_LIBRARY)" "$(TEXTRNN_TRAINER_LIBRARY)"; do \
		test -f "$$built" || { echo "make install: $$built not found: run make build first" >&2; exit 1; }; done
	@test -x "$(TEXTRNN_CLI)" || { echo "make install: $(TEXTRNN_CLI) not found: run make build first" >&2; exit 1; }
	@command -v patchelf >/dev/null || { echo "make install: patchelf not found (make deps, or apt-get install patchelf)" >&2; exit 1; }
	@# Every destination is checked before anything is written: each must be absent, a regular
	@# file or a symlink (ours to replace), never a directory or anything else of the user's.
	@for path in $(INSTALLED); do \
		if [ -e "$$path" ] || [ -L "$$path" ]; then \
			if [ -d "$$path" ] && [ ! -L "$$path" ] || { [ ! -f "$$path" ] && [ ! -L "$$path" ]; }; then \
				echo "make install: $$path exists and is not a file; refusing to replace it (nothing installed)" >&2; exit 1; fi; \
		fi; \
	done
	install -d "$(DESTDIR)$(libdir)" "$(DESTDIR)$(pkgconfigdir)" "$(DESTDIR)$(includedir)" "$(DESTDIR)$(bindir)"
	@for dir in "$(DESTDIR)$(libdir)" "$(DESTDIR)$(pkgconfigdir)" "$(DESTDIR)$(includedir)" "$(DESTDIR)$(bindir)"; do \
		test -w "$$dir" || { echo "make install: cannot write in $$dir (nothing installed)" >&2; exit 1; }; done
	@# Each file is written beside its destination and renamed over it, so a failure or a crash
	@# never leaves a half-written library or binary in place. SwiftPM links no soname, and one
	@# set at link time would break every in-tree program that links against a build
	@# directory's library: the installed copy gets it instead.
	@set -e; for entry in $(LIBRARIES); do \
		name=$${entry%%:*}; rest=$${entry#*:}; built=$${rest%%:*}; rest=$${rest#*:}; header=$${rest%%:*}; pc=$${rest#*:}; \
		real=lib$$name.so.$(VERSION); soname=lib$$name.so.$(MAJOR); \
		echo "install $$built -> $(DESTDIR)$(libdir)/$$real (soname $$soname)"; \
		install -m 755 "$$built" "$(DESTDIR)$(libdir)/.$$real.tmp"; \
		patchelf --set-soname $$soname "$(DESTDIR)$(libdir)/.$$real.tmp"; \
		mv -f "$(DESTDIR)$(libdir)/.$$real.tmp" "$(DESTDIR)$(libdir)/$$real"; \
		ln -sfn $$real "$(DESTDIR)$(libdir)/$$soname"; \
		ln -sfn $$soname "$(DESTDIR)$(libdir)/lib$$name.so"; \
		install -m 644 include/$$header "$(DESTDIR)$(includedir)/.$$header.tmp"; \
		mv -f "$(DESTDIR)$(includedir)/.$$header.tmp" "$(DESTDIR)$(includedir)/$$header"; \
		sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(libdir)|' -e 's|@INCLUDEDIR@|$(includedir)|' \
			-e 's|@VERSION@|$(VERSION)|' packaging/$$pc.pc.in > "$(DESTDIR)$(pkgconfigdir)/.$$pc.pc.tmp"; \
		chmod 644 "$(DESTDIR)$(pkgconfigdir)/.$$pc.pc.tmp"; \
		mv -f "$(DESTDIR)$(pkgconfigdir)/.$$pc.pc.tmp" "$(DESTDIR)$(pkgconfigdir)/$$pc.pc"; \
	done
	install -m 755 "$(TEXTRNN_CLI)" "$(DESTDIR)$(bindir)/.textrnn.tmp"
	mv -f "$(DESTDIR)$(bindir)/.textrnn.tmp" "$(DESTDIR)$(bindir)/textrnn"
	@# The loader finds a new soname in a system directory only after ldconfig (other prefixes
	@# use LD_LIBRARY_PATH or an rpath, docs/c-api.md).
	@case "$(DESTDIR):$(libdir):$$(id -u)" in \
		:/usr/lib:0|:/usr/lib/*:0|:/usr/local/lib:0) ldconfig ;; esac

uninstall:
	rm -f $(INSTALLED)
