# heapscope - eBPF heap-allocation profiler.
#   make          build ./heapscope
#   make demo     install what is missing, build, profile the bundled demo target
#   make test     unit + integration tests (needs root: real BPF on real processes);
#                 SANITIZE=1 builds and tests everything with ASan+UBSan (build-san/)
#   make fuzz     libFuzzer harnesses, FUZZ_SECONDS (default 30) each
#   make bench    probe cost and collector throughput figures
#   make bench-unwind  cost per allocation of unwind tables against frame pointers
#   make deps     install the Debian packages heapscope and its tests need
#   make install, uninstall, man, deb   PREFIX, DESTDIR: see packaging/packaging.mk
#
# Sources are user/STAGE/*.c (one folder per pipeline stage, see docs/ARCHITECTURE.md);
# objects go to $(BUILD)/STAGE/.  Dependencies on headers are tracked by the compiler
# (-MMD): a BPF edit regenerates the skeleton, which rebuilds only what includes it.

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
STRIP    ?= llvm-strip
# SANITIZE=1: userspace with ASan+UBSan, in its own build directory so normal
# and sanitized objects never mix; the binary is then build-san/heapscope.
BUILD    := $(if $(filter 1,$(SANITIZE)),build-san,build)
HEAPSCOPE_BIN := $(if $(filter 1,$(SANITIZE)),$(BUILD)/heapscope,heapscope)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers -D_GNU_SOURCE \
	    -Iuser -Ibpf -I$(BUILD)
DEPFLAGS  = -MMD -MP
LDLIBS   := -lbpf -lelf -ldw -lz -lcapstone -lstdc++ -lm
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

BPF_SRC  := bpf/heapscope.bpf.c
BPF_OBJ  := $(BUILD)/heapscope.bpf.o
SKEL     := $(BUILD)/heapscope.skel.h
VMLINUX  := vmlinux/vmlinux.h

USER_SRC := $(wildcard user/*/*.c)
USER_OBJ := $(patsubst user/%.c,$(BUILD)/%.o,$(USER_SRC))
# Everything but the command's entry point: unit tests link against it.
LIB_OBJ  := $(filter-out $(BUILD)/cli/main.o,$(USER_OBJ))

.PHONY: all deps demo test bench bench-unwind clean
all: $(HEAPSCOPE_BIN)

$(VMLINUX):
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BPF_OBJ): $(BPF_SRC) $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -Ivmlinux -Ibpf $(DEPFLAGS) \
		-MT $@ -c $< -o $@
	$(STRIP) -g $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name heapscope_bpf > $@.tmp && mv $@.tmp $@

# The skeleton is order-only: it must exist before the first compile, but only the
# objects whose recorded dependencies name it are rebuilt when it changes.
$(BUILD)/%.o: user/%.c | $(SKEL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libheapscope.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(HEAPSCOPE_BIN): $(BUILD)/cli/main.o $(BUILD)/libheapscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	tools/install-deps.sh

demo:
	tools/install-deps.sh --if-missing
	$(MAKE) heapscope tests-build
	tools/demo.sh

include tests/tests.mk
include tools/tools.mk
include packaging/packaging.mk
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

clean:
	rm -rf build build-san heapscope $(VMLINUX) demo.folded demo.svg demo.report demo.inspect.txt demo.html
