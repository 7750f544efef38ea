# hvvss: GNU make.  Targets: all check install clean (and unit, asan, fuzz, e2e).
# Layout: lib/ pure wire formats (libhvvss); daemon/ hv_vss_daemon; host/
# hvvss-host (emulated Hyper-V host + guest driver model + FUSE device);
# tests/ unit (cmocka), fuzz (libFuzzer), e2e (sandboxed real filesystems).

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
LIBDIR	?= $(PREFIX)/lib
INCDIR	?= $(PREFIX)/include
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
UDEVRULESDIR	?= $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)/rules.d
DESTDIR	?=

B	?= build
CC	?= cc
CLANG	?= clang
OPT	?= -O2 -g
SAN	?=
CWARN	:= -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wsign-compare -Wformat=2 -Wvla
# The pure byte code also checks every implicit sign or width change.
LIBWARN	:= -Wconversion -Wsign-conversion
CPPFLAGS += -D_GNU_SOURCE -Ilib
CFLAGS	+= -std=c11 $(OPT) $(CWARN) $(SAN) -fno-strict-aliasing -pthread
LDFLAGS	+= $(SAN) -pthread

FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)
INIH_LIBS   := $(shell pkg-config --libs inih 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

LIB_SRCS    := $(sort $(wildcard lib/*.c))
DAEMON_SRCS := $(sort $(filter-out daemon/main.c,$(wildcard daemon/*.c)))
HOST_SRCS   := $(sort $(filter-out host/main.c,$(wildcard host/*.c)))
CLIENT_SRCS := $(sort $(wildcard client/*.c))
CMD_SRCS    := $(sort $(wildcard cmd/*.c))
TOOL_SRCS   := $(sort $(wildcard tests/tools/*.c))
UNIT_SRCS   := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJS    := $(LIB_SRCS:%.c=$(B)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/%.o)
HOST_OBJS   := $(HOST_SRCS:%.c=$(B)/%.o)
CLIENT_OBJS := $(CLIENT_SRCS:%.c=$(B)/%.o)
CMD_BINS    := $(CMD_SRCS:cmd/%.c=$(B)/%)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_BINS   := $(TOOL_SRCS:tests/tools/%.c=$(B)/tools/%)
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

PROGS := $(B)/hv_vss_daemon $(if $(wildcard host/main.c),$(B)/hvvss-host) \
	 $(CMD_BINS)
LIBS  := $(B)/libhvvss.a $(if $(CLIENT_SRCS),$(B)/libhvvss-client.a)

.PHONY: all check unit asan fuzz fuzz-build e2e deb-install-test install install-dist clean tools
all: $(LIBS) $(PROGS) $(TOOL_BINS)

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LIBWARN) -MMD -MP -c $< -o $@
$(B)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Idaemon $(CFLAGS) -MMD -MP -c $< -o $@
$(B)/host/%.o: host/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ihost -Idaemon $(FUSE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/client/%.o: client/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient -fPIC $(CFLAGS) -MMD -MP -c $< -o $@
$(B)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iclient -Idaemon $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libhvvss-client.a: $(CLIENT_OBJS)
	rm -f $@; ar rcs $@ $^
# Commands (hvvssctl, ...): one cmd/NAME.c each, with the client library
# and the daemon's modules they reuse (plan, journal, ...).
$(B)/%: $(B)/cmd/%.o $(if $(CLIENT_SRCS),$(B)/libhvvss-client.a) $(B)/libhvvss-daemon.a $(B)/libhvvss.a
	$(CC) $(LDFLAGS) -o $@ $^ $(INIH_LIBS)

$(B)/libhvvss.a: $(LIB_OBJS)
	rm -f $@; ar rcs $@ $^
$(B)/libhvvss-daemon.a: $(DAEMON_OBJS)
	rm -f $@; ar rcs $@ $^
$(B)/libhvvss-host.a: $(HOST_OBJS)
	rm -f $@; ar rcs $@ $^

$(B)/hv_vss_daemon: $(B)/daemon/main.o $(B)/libhvvss-daemon.a $(B)/libhvvss.a
	$(CC) $(LDFLAGS) -o $@ $^ $(INIH_LIBS)
$(B)/hvvss-host: $(B)/host/main.o $(B)/libhvvss-host.a $(B)/libhvvss-daemon.a $(B)/libhvvss.a
	$(CC) $(LDFLAGS) -o $@ $^ $(FUSE_LIBS) $(INIH_LIBS)

$(B)/tools/%: tests/tools/%.c $(B)/libhvvss.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^

# Unit tests link every module archive; only the objects they use are pulled in.
TEST_ARCHIVES := $(if $(HOST_SRCS),$(B)/libhvvss-host.a) \
	$(if $(CLIENT_SRCS),$(B)/libhvvss-client.a) $(B)/libhvvss-daemon.a $(B)/libhvvss.a
$(B)/tests/%: tests/unit/%.c $(TEST_ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Idaemon -Ihost -Iclient -Itests/unit $(FUSE_CFLAGS) $(CFLAGS) \
	    -Wno-missing-prototypes -Wno-missing-declarations -o $@ $^ \
	    $(CMOCKA_LIBS) $(FUSE_LIBS) $(INIH_LIBS)

unit: $(UNIT_BINS) $(CMD_BINS)
	@tests/run-unit $(UNIT_BINS)

# The same unit tests once under ASan + UBSan, in a separate build tree.
asan:
	$(MAKE) B=build-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

# libFuzzer targets: each compiles the pure sources it needs directly.
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 15
$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(DAEMON_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -Idaemon -std=c11 $(FUZZ_FLAGS) -o $@ $< \
	    $(LIB_SRCS) $(shell sed -n 's|^/\* fuzz-sources: \(.*\) \*/|\1|p' $<) \
	    $(shell sed -n 's|^/\* fuzz-libs: \(.*\) \*/|\1|p' $<)
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	@tests/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)

e2e: all
	@tests/run-e2e

# Slow and needs the Debian mirror: install the .deb into a fresh
# debootstrap'ed root and check it there (not part of check).
deb-install-test:
	@tests/packaging/deb-install.sh

check: all
	@tests/run-check

install: $(LIBS) $(PROGS)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/hvvss $(DESTDIR)$(SBINDIR)
	install -m 0644 $(LIBS) $(DESTDIR)$(LIBDIR)/
	install -m 0644 lib/*.h $(DESTDIR)$(INCDIR)/hvvss/
	for h in client/*.h; do [ -f "$$h" ] || continue; \
	    install -m 0644 $$h $(DESTDIR)$(INCDIR)/hvvss/; done
	install -m 0755 $(PROGS) $(DESTDIR)$(SBINDIR)/
	for m in man/*.[1-9]; do [ -f "$$m" ] || continue; s=$${m##*.}; \
	    install -d $(DESTDIR)$(MANDIR)/man$$s; \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

# The service manager's files: systemd + udev on Linux, rc.d + devd on
# FreeBSD; the config file only if none is there yet.
install: install-dist
install-dist:
ifeq ($(shell uname -s),FreeBSD)
	install -d $(DESTDIR)$(PREFIX)/etc/rc.d $(DESTDIR)$(PREFIX)/etc/devd
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|' -e 's|/usr/local/etc/|$(PREFIX)/etc/|' \
	    dist/freebsd/rc.d/hv_vss_daemon >$(DESTDIR)$(PREFIX)/etc/rc.d/hv_vss_daemon
	chmod 0555 $(DESTDIR)$(PREFIX)/etc/rc.d/hv_vss_daemon
	install -m 0644 dist/freebsd/hvvss.devd.conf $(DESTDIR)$(PREFIX)/etc/devd/hvvss.conf
	[ -e $(DESTDIR)$(PREFIX)/etc/hvvss.conf ] || \
	    install -m 0644 dist/hvvss.conf $(DESTDIR)$(PREFIX)/etc/hvvss.conf
else
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/hvvss/hooks.d
	sed 's|/usr/sbin/hv_vss_daemon|$(SBINDIR)/hv_vss_daemon|' \
	    dist/systemd/hvvss.service >$(DESTDIR)$(UNITDIR)/hvvss.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hvvss.service
	install -m 0644 dist/udev/60-hvvss.rules $(DESTDIR)$(UDEVRULESDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/hvvss.conf ] || \
	    install -m 0644 dist/hvvss.conf $(DESTDIR)$(SYSCONFDIR)/hvvss.conf
endif

clean:
	rm -rf build build-asan

-include $(shell find $(B) -name '*.d' 2>/dev/null)
