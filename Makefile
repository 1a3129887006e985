# heapscope - eBPF heap-allocation profiler.
#   make          build ./heapscope
#   make demo     install what is missing, build, profile the bundled demo target
#   make test     unit + integration tests (needs root: real BPF on real processes);
#                 SANITIZE=1 builds and tests everything with ASan+UBSan (build-san/)
#   make fuzz     libFuzzer harnesses, FUZZ_SECONDS (default 30) each
#   make bench    probe cost and collector throughput figures
#   make bench-unwind  cost per allocation of unwind tables against frame pointers
#   make deps     install the Debian packages heapscope and its tests need

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
LDLIBS   := -lbpf -lelf -ldw -lz -lcapstone -lstdc++ -lm
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

BPF_SRC  := bpf/heapscope.bpf.c
BPF_OBJ  := $(BUILD)/heapscope.bpf.o
SKEL     := $(BUILD)/heapscope.skel.h
VMLINUX  := vmlinux/vmlinux.h

USER_SRC := $(wildcard user/*.c)
USER_OBJ := $(patsubst user/%.c,$(BUILD)/%.o,$(USER_SRC))
# Everything but main: unit tests link against it.
LIB_OBJ  := $(filter-out $(BUILD)/main.o,$(USER_OBJ))

.PHONY: all deps demo test bench bench-unwind clean
all: $(HEAPSCOPE_BIN)

$(BUILD):
	mkdir -p $(BUILD)

$(VMLINUX):
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BPF_OBJ): $(BPF_SRC) bpf/events.h bpf/unwind.h bpf/unwind.bpf.h bpf/exception_guard.bpf.h \
	    $(VMLINUX) | $(BUILD)
	$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -Ivmlinux -Ibpf -c $< -o $@
	$(STRIP) -g $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name heapscope_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: user/%.c $(wildcard user/*.h) bpf/events.h bpf/unwind.h $(SKEL) | $(BUILD)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libheapscope.a: $(LIB_OBJ)
	ar rcs $@ $^

$(HEAPSCOPE_BIN): $(BUILD)/main.o $(BUILD)/libheapscope.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	tools/install-deps.sh

# Cost per allocation of --unwind dwarf against --unwind fp (root).
bench-unwind: heapscope $(BUILD)/tools/unwind_loop
	tools/bench_unwind.sh

demo:
	tools/install-deps.sh --if-missing
	$(MAKE) heapscope tests-build
	tools/demo.sh

include tests/tests.mk

clean:
	rm -rf build build-san heapscope $(VMLINUX) demo.folded demo.svg demo.report
