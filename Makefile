# uringblk top-level Makefile.
#
#   make            build the module (running kernel's headers if present,
#                   else every supported kernel) and the C++ userspace
#   make kmod       build the module for KDIR (default: running kernel, else 6.1)
#   make kmod-all   build the module for every supported kernel (6.1, 6.12)
#   make kmod-debug build the module for the debug kernel (KASAN, lockdep, ...)
#   make userspace  build the C++ userspace with CMake into build/cmake
#   make check      set-up + build + every test (unit and VM, both kernels;
#                   on the debug kernel the cases of VM_DEBUG_CHECK_CASES in
#                   tests/vm/CMakeLists.txt), then the performance gate
#   make check-debug  set-up + build + every VM case on the debug kernel
#   make bench      set-up + build + uringblk vs brd vs null_blk (fio and
#                   uringblk-bench), report in build/bench/report.{json,md,svg}
#                   [KERNEL=6.1|6.12] [REPS=3]
#   make perf-gate  short measurement vs the floors of bench/gate.json
#   make torture    set-up + build + the torture test in a VM
#                   [DURATION=120] [SEED=22] [KERNEL=6.12|6.1|debug]
#   make demo       set-up (no debug kernel) + build + boot a VM, load the
#                   module, show it working
#   make setup      install packages, kernels and initramfs (idempotent)
#   make install    install module, tools, library, udev/systemd files, man
#                   pages (PREFIX=/usr/local, DESTDIR=; packaging/install.mk)
#   make dkms-src   module sources + dkms.conf into /usr/src/uringblk-<ver>
#   make clean

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD := $(TOP)/build
JOBS ?= $(shell nproc)
KSRC := Kbuild $(wildcard kmod/*.c kmod/*.h) uapi/linux/uringblk.h

-include $(BUILD)/kernels.env

RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
ifneq ($(wildcard $(RUNNING_KDIR)/Makefile),)
DEFAULT_KDIR := $(RUNNING_KDIR)
else ifneq ($(KVER_6_1),)
DEFAULT_KDIR := /usr/src/linux-headers-$(KVER_6_1)
endif
KDIR ?= $(DEFAULT_KDIR)

.PHONY: all kmod kmod-all kmod-debug userspace check check-debug unit vm-test demo setup setup-host clean help bench perf-gate torture

all: $(if $(wildcard $(RUNNING_KDIR)/Makefile),kmod,kmod-all) userspace

help:
	@sed -n '3,23p' $(TOP)/Makefile | sed 's/^# \{0,1\}//'

setup:
	$(TOP)/scripts/setup.sh

# Build the module for one kernel tree in build/kmod/<kernelrelease>/ (a copy
# of the sources, so that the builds for several kernels stay apart).
# $(1) = kernel build dir
define build_kmod
	@kdir=$(1); \
	if [ ! -f "$$kdir/Makefile" ]; then echo "no kernel headers at '$$kdir' (KDIR=, or make setup)" >&2; exit 1; fi; \
	kver=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' $$kdir/include/generated/utsrelease.h); \
	out=$(BUILD)/kmod/$$kver; mkdir -p $$out; \
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' --exclude='.*.cmd' \
		$(TOP)/Kbuild $(TOP)/kmod $(TOP)/uapi $$out/src/ && \
	rsync -a $$out/src/ $$out/ && \
	$(MAKE) --no-print-directory -C $$kdir M=$$out UBK_WERROR=1 modules >$$out/build.log 2>&1 || { cat $$out/build.log >&2; exit 1; }; \
	echo "kmod: built $$out/uringblk_driver.ko"
endef

kmod:
	$(call build_kmod,$(KDIR))

kmod-all: $(BUILD)/kernels.env
	$(call build_kmod,/usr/src/linux-headers-$(KVER_6_1))
	$(call build_kmod,/usr/src/linux-headers-$(KVER_6_12))

$(BUILD)/kernels.env:
	$(TOP)/scripts/setup.sh --no-vm

# The debug kernel's build tree (scripts/build-debug-kernel.sh, run by setup).
kmod-debug: $(BUILD)/kernels.env
	@[ -n "$(KDEBUG_DIR)" ] && [ -f "$(KDEBUG_DIR)/.ready" ] || \
		{ echo "the debug kernel is not built$(if $(KDEBUG_DIR), ($(KDEBUG_DIR))): make setup" >&2; exit 1; }
	$(call build_kmod,$(KDEBUG_DIR)/build)

userspace:
	cmake -S $(TOP) -B $(BUILD)/cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD)/cmake -j $(JOBS)

unit: userspace
	cd $(BUILD)/cmake && ctest -L unit --output-on-failure

# make check runs the debug-kernel subset (tests/vm/CMakeLists.txt,
# VM_DEBUG_CHECK_CASES), make check-debug every case on the debug kernel.
check: setup
	$(MAKE) --no-print-directory kmod-all kmod-debug userspace
	cd $(BUILD)/cmake && ctest --output-on-failure -j 2 --timeout 2700 -LE vm-debug-extra
	$(MAKE) --no-print-directory perf-gate

check-debug: setup
	$(MAKE) --no-print-directory kmod-debug userspace
	cd $(BUILD)/cmake && ctest --output-on-failure -j 2 --timeout 2700 -L vm-debug

# make demo and make bench never boot the debug kernel: their set-up skips it.
demo:
	$(TOP)/scripts/setup.sh --no-debug
	$(MAKE) --no-print-directory kmod-all userspace
	$(TOP)/tests/vm/run -- $(TOP)/scripts/demo-guest.sh

# Benchmarks (docs/performance.md). KERNEL= picks the guest kernel series
# (several, e.g. KERNEL="6.1 6.12": one run each, one report whose target
# table covers them all), REPS= the repetitions, RUNTIME= seconds per run;
# ICOUNT=0 counts instructions instead of host time (one vCPU, rates then
# repeat to ~0.1 %, so REPS=2 RUNTIME=1 is plenty). Results: build/bench/.
KERNEL ?= 6.1
REPS ?= 3
RUNTIME ?= 3
ICOUNT ?=
bench:
	$(TOP)/scripts/setup.sh --no-debug
	$(MAKE) --no-print-directory kmod-all userspace
	st=0; recs=""; \
	for k in $(KERNEL); do \
		$(TOP)/bench/run.sh --kernel $$k --reps $(REPS) --runtime $(RUNTIME) \
			$(if $(ICOUNT),--icount $(ICOUNT)) || st=$$?; \
		[ -f $(BUILD)/bench/records-$$k.tsv ] && recs="$$recs $(BUILD)/bench/records-$$k.tsv"; \
	done; \
	if [ -n "$$recs" ]; then \
		python3 $(TOP)/bench/report.py --records $$recs --out $(BUILD)/bench || st=1; \
	fi; exit $$st

# The performance gate: uringblk/brd ratios vs the floors in bench/gate.json
# (exit 1 below a floor). Builds what it measures, needs the VM set-up.
perf-gate: $(BUILD)/kernels.env
	$(MAKE) --no-print-directory kmod-all userspace
	$(TOP)/bench/gate.sh

# The torture test (tests/vm/cases/torture.sh, tests/vm/tools/torture.cpp):
# every actor at once for DURATION seconds from SEED, on KERNEL (6.12 unless
# given: the bench's default of KERNEL is not this one's). The guest's
# timeout leaves room for the boot, the unload and (debug) kmemleak.
DURATION ?= 120
SEED ?= 22
TORTURE_KERNEL = $(if $(filter command line environment,$(origin KERNEL)),$(KERNEL),6.12)
torture: setup
	$(MAKE) --no-print-directory kmod-all $(if $(filter debug,$(TORTURE_KERNEL)),kmod-debug) userspace
	$(TOP)/tests/vm/run --kernel $(TORTURE_KERNEL) --timeout $$(($(DURATION) + 1500)) -- \
		env UBK_BIN=$(BUILD)/cmake/bin TORTURE_DURATION=$(DURATION) TORTURE_SEED=$(SEED) \
		$(TOP)/tests/vm/cases/torture.sh

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/cmake $(BUILD)/vm

include $(TOP)/packaging/install.mk
