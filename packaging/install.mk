# `make install` / `make uninstall` (included by the top Makefile). GNU-style directories;
# DESTDIR is prepended to every path written, never to the paths recorded in textrnn.pc.
#
# Installs what `make build` made (it never builds, so `sudo make install` needs no toolchain
# for root): $(TEXTRNN_LIBRARY) as libtextrnn.so.VERSION with soname libtextrnn.so.MAJOR and the
# usual symlinks, include/textrnn.h, textrnn.pc, and $(TEXTRNN_CLI) as bin/textrnn.

PREFIX       ?= /usr/local
bindir       ?= $(PREFIX)/bin
libdir       ?= $(PREFIX)/lib
includedir   ?= $(PREFIX)/include
pkgconfigdir ?= $(libdir)/pkgconfig

# The version is the header's: the library checks that TEXTRNN_VERSION_STRING matches its own.
VERSION  := $(shell sed -n 's/^\#define TEXTRNN_VERSION_STRING "\(.*\)"/\1/p' include/textrnn.h)
SONAME   := libtextrnn.so.$(firstword $(subst ., ,$(VERSION)))
REALNAME := libtextrnn.so.$(VERSION)
# Every path `make install` writes (and `make uninstall` removes).
INSTALLED = "$(DESTDIR)$(libdir)/$(REALNAME)" "$(DESTDIR)$(libdir)/$(SONAME)" "$(DESTDIR)$(libdir)/libtextrnn.so" \
	"$(DESTDIR)$(includedir)/textrnn.h" "$(DESTDIR)$(pkgconfigdir)/textrnn.pc" "$(DESTDIR)$(bindir)/textrnn"

install:
	@test -n "$(VERSION)" || { echo "make install: no TEXTRNN_VERSION_STRING in include/textrnn.h" >&2; exit 1; }
	@test -f "$(TEXTRNN_LIBRARY)" || { echo "make install: $(TEXTRNN_LIBRARY) not found: run make build first" >&2; exit 1; }
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
	@# never leaves a half-written library or binary in place.
	install -m 755 "$(TEXTRNN_LIBRARY)" "$(DESTDIR)$(libdir)/.$(REALNAME).tmp"
	@# SwiftPM links no soname, and one set at link time would break every in-tree program that
	@# links against a build directory's libtextrnn.so: the installed copy gets it instead.
	patchelf --set-soname $(SONAME) "$(DESTDIR)$(libdir)/.$(REALNAME).tmp"
	mv -f "$(DESTDIR)$(libdir)/.$(REALNAME).tmp" "$(DESTDIR)$(libdir)/$(REALNAME)"
	ln -sfn $(REALNAME) "$(DESTDIR)$(libdir)/$(SONAME)"
	ln -sfn $(SONAME) "$(DESTDIR)$(libdir)/libtextrnn.so"
	install -m 644 include/textrnn.h "$(DESTDIR)$(includedir)/.textrnn.h.tmp"
	mv -f "$(DESTDIR)$(includedir)/.textrnn.h.tmp" "$(DESTDIR)$(includedir)/textrnn.h"
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(libdir)|' -e 's|@INCLUDEDIR@|$(includedir)|' \
		-e 's|@VERSION@|$(VERSION)|' packaging/textrnn.pc.in > "$(DESTDIR)$(pkgconfigdir)/.textrnn.pc.tmp"
	chmod 644 "$(DESTDIR)$(pkgconfigdir)/.textrnn.pc.tmp"
	mv -f "$(DESTDIR)$(pkgconfigdir)/.textrnn.pc.tmp" "$(DESTDIR)$(pkgconfigdir)/textrnn.pc"
	install -m 755 "$(TEXTRNN_CLI)" "$(DESTDIR)$(bindir)/.textrnn.tmp"
	mv -f "$(DESTDIR)$(bindir)/.textrnn.tmp" "$(DESTDIR)$(bindir)/textrnn"
	@# The loader finds a new soname in a system directory only after ldconfig (other prefixes
	@# use LD_LIBRARY_PATH or an rpath, docs/c-api.md).
	@case "$(DESTDIR):$(libdir):$$(id -u)" in \
		:/usr/lib:0|:/usr/lib/*:0|:/usr/local/lib:0) ldconfig ;; esac

uninstall:
	rm -f $(INSTALLED)
