# SPDX-License-Identifier: GPL-2.0
#
# tcpstate: build, test and demo entry points. `make help` lists them.
#
# KVER names the kernel to build for: a release (6.1.0-56-amd64), or one of
# the aliases 6.1, 6.12 and debug that scripts/kernel resolves. The default
# is the newest Debian kernel whose headers are installed. Objects go to
# build/<release>/ so builds for several kernels do not clobber each other;
# BUILD_DIR=. builds in place (what DKMS does in its own copy).

KVER ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/||; s|/build||' | sort -V | tail -n1)
RELEASE := $(shell scripts/kernel release $(KVER) 2>/dev/null)
KDIR ?= $(shell scripts/kernel build-dir $(KVER) 2>/dev/null)
BUILD_DIR ?= build/$(RELEASE)
VERSION := $(shell sed -n 's/^\#define TCPSTATE_VERSION "\(.*\)"/\1/p' include/tcpstate/tcpstate.h)
SOURCES := Kbuild $(shell find module include -name '*.[ch]')

# W=1 and C=1 pass through to kbuild, as in the kernel tree.
KBUILD_FLAGS := $(if $(W),W=$(W)) $(if $(C),C=$(C)) $(if $(TCPSTATE_BENCH),TCPSTATE_BENCH=$(TCPSTATE_BENCH))

.PHONY: all module debug clean install dkms-install dkms-remove style check kunit selftests demo bench deps help

all: module

module:
	@if [ "$(KVER)" = debug ]; then scripts/build-debug-kernel > /dev/null; fi
	@test -n "$(KDIR)" || { echo "no build tree for KVER=$(KVER); run scripts/deps" >&2; exit 1; }
ifneq ($(BUILD_DIR),.)
	@mkdir -p $(BUILD_DIR)
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' --exclude '*.mod*' \
		--exclude 'modules.order' --exclude 'Module.symvers' \
		--include 'Kbuild' --include 'module/***' --include 'include/***' \
		--include 'bench/' --include 'bench/*.c' --exclude '*' \
		./ $(BUILD_DIR)/
endif
	$(MAKE) -C $(KDIR) M=$(abspath $(BUILD_DIR)) $(KBUILD_FLAGS) modules
ifneq ($(BUILD_DIR),.)
	@echo "built $(BUILD_DIR)/tcpstate.ko for $(RELEASE)"
endif

debug:
	$(MAKE) KVER=debug module

clean:
	rm -rf build
	find module -name '*.o' -o -name '.*.cmd' -o -name '*.mod*' | xargs rm -f
	rm -f *.ko *.mod* modules.order Module.symvers .*.cmd

install: module
	$(MAKE) -C $(KDIR) M=$(abspath $(BUILD_DIR)) modules_install
	depmod -a $(RELEASE)

dkms-install:
	rm -rf /usr/src/tcpstate-$(VERSION)
	mkdir -p /usr/src/tcpstate-$(VERSION)
	cp -r Kbuild Makefile dkms.conf module include scripts /usr/src/tcpstate-$(VERSION)/
	dkms add tcpstate/$(VERSION)
	dkms build tcpstate/$(VERSION) -k $(RELEASE)
	dkms install tcpstate/$(VERSION) -k $(RELEASE)

dkms-remove:
	dkms remove tcpstate/$(VERSION) --all

style:
	scripts/checkpatch

deps:
	scripts/deps

check:
	scripts/check

kunit:
	scripts/check kunit

selftests:
	scripts/check selftests

bench:
	scripts/bench

demo:
	scripts/demo

help:
	@sed -n 's/^## //p' README.md
