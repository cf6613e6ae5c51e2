# Install rules, included by the top-level Makefile (see docs/packaging.md).
#
#   make install        install-kmod + install-userspace + install-data
#   make install-kmod   the module for KDIR's kernel into /lib/modules/<kver>/updates,
#                       then depmod (skipped when DESTDIR is set)
#   make install-userspace
#                       uringblk-admin, uringblk-bench, uringblk_test,
#                       liburingblk-uapi (headers, library, CMake package,
#                       pkg-config) via cmake --install
#   make install-data   udev rules, systemd unit + helper, /etc/uringblk.conf,
#                       modprobe.d example, man pages
#   make dkms-src       the module sources + dkms.conf in /usr/src/uringblk-<version>
#
# Variables: DESTDIR (staging root), PREFIX (/usr/local), and the directories
# below. install-kmod and install-userspace use what `make` built and build
# it only if it is missing.

URINGBLK_VERSION := $(shell sed -n 's/^project.*uringblk VERSION \([0-9.]*\).*/\1/p' $(TOP)/CMakeLists.txt)

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/uringblk
# The helper run by uringblk.service.
PKGLIBEXECDIR ?= $(PREFIX)/lib/uringblk
# uringblk-load reads /etc/uringblk.conf whatever the prefix.
SYSCONFDIR ?= /etc
# Where udev and systemd look (/lib/... on Debian bookworm), from their .pc files.
UDEVRULESDIR ?= $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)/rules.d
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
MODDIR ?= /lib/modules
DKMS_SRCDIR ?= /usr/src

INSTALL ?= install

.PHONY: install install-kmod install-userspace install-data dkms-src

install: install-kmod install-userspace install-data

install-kmod:
	@kdir=$(KDIR); \
	[ -f "$$kdir/include/generated/utsrelease.h" ] || { echo "no kernel headers at '$$kdir' (KDIR=)" >&2; exit 1; }; \
	kver=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' $$kdir/include/generated/utsrelease.h); \
	ko=$(BUILD)/kmod/$$kver/uringblk_driver.ko; \
	[ -f "$$ko" ] || $(MAKE) --no-print-directory -f $(TOP)/Makefile kmod KDIR=$$kdir || exit 1; \
	$(INSTALL) -D -m 0644 $$ko $(DESTDIR)$(MODDIR)/$$kver/updates/uringblk_driver.ko && \
	echo "install: $(DESTDIR)$(MODDIR)/$$kver/updates/uringblk_driver.ko" && \
	if [ -z "$(DESTDIR)" ]; then depmod -a $$kver; \
	else echo "install: DESTDIR set, not running depmod (run 'depmod -a $$kver' on the target)"; fi

install-userspace:
	@[ -f $(BUILD)/cmake/CMakeCache.txt ] && [ -x $(BUILD)/cmake/userspace/admin/uringblk-admin ] || \
		$(MAKE) --no-print-directory -f $(TOP)/Makefile userspace
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)/cmake --prefix $(PREFIX)

install-data:
	$(INSTALL) -D -m 0644 $(TOP)/udev/60-uringblk.rules $(DESTDIR)$(UDEVRULESDIR)/60-uringblk.rules
	$(INSTALL) -D -m 0755 $(TOP)/packaging/uringblk-load $(DESTDIR)$(PKGLIBEXECDIR)/uringblk-load
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/lib/uringblk/|$(PKGLIBEXECDIR)/|g' $(TOP)/packaging/uringblk.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/uringblk.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/uringblk.service
	@# An existing /etc/uringblk.conf is the administrator's: never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/uringblk.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/uringblk.conf"; \
	else $(INSTALL) -D -m 0644 $(TOP)/packaging/uringblk.conf $(DESTDIR)$(SYSCONFDIR)/uringblk.conf; fi
	$(INSTALL) -D -m 0644 $(TOP)/packaging/uringblk-modprobe.conf \
		$(DESTDIR)$(DOCDIR)/examples/uringblk-modprobe.conf
	$(INSTALL) -D -m 0644 $(TOP)/man/uringblk-admin.8 $(DESTDIR)$(MANDIR)/man8/uringblk-admin.8
	$(INSTALL) -D -m 0644 $(TOP)/man/uringblk_test.1 $(DESTDIR)$(MANDIR)/man1/uringblk_test.1
	$(INSTALL) -D -m 0644 $(TOP)/man/uringblk-bench.1 $(DESTDIR)$(MANDIR)/man1/uringblk-bench.1
	@if [ -z "$(DESTDIR)" ] && command -v udevadm >/dev/null && [ -d /run/udev ]; then \
		udevadm control --reload || true; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

# The DKMS source tree: dkms.conf, Kbuild, kmod/ and uapi/ (only what the module needs:
# `dkms add .` in the repository would copy the whole tree, build/ included). Then:
#   dkms install -m uringblk -v $(URINGBLK_VERSION) [-k <kernel release>]
dkms-src:
	@test -n "$(URINGBLK_VERSION)" || { echo "cannot read the version from CMakeLists.txt" >&2; exit 1; }
	@grep -q '^PACKAGE_VERSION="$(URINGBLK_VERSION)"$$' $(TOP)/dkms.conf || \
		{ echo "dkms.conf PACKAGE_VERSION differs from the project version $(URINGBLK_VERSION)" >&2; exit 1; }
	@d=$(DESTDIR)$(DKMS_SRCDIR)/uringblk-$(URINGBLK_VERSION); \
	rm -rf $$d && $(INSTALL) -d $$d/kmod $$d/uapi/linux && \
	$(INSTALL) -m 0644 $(TOP)/dkms.conf $(TOP)/Kbuild $$d/ && \
	$(INSTALL) -m 0644 $(wildcard $(TOP)/kmod/*.c $(TOP)/kmod/*.h) $$d/kmod/ && \
	$(INSTALL) -m 0644 $(TOP)/uapi/linux/uringblk.h $$d/uapi/linux/ && \
	echo "dkms-src: $$d (then: dkms install -m uringblk -v $(URINGBLK_VERSION))"
