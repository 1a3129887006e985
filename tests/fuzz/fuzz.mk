# tests/fuzz/fuzz.mk - fuzzing (included by tests/tests.mk).
#
#   make fuzz [FUZZ_SECONDS=30]   build every tests/fuzz/fuzz_*.c with clang and
#                                 libFuzzer+ASan+UBSan into $(BUILD)/fuzz/, run each
#                                 for FUZZ_SECONDS; fails on any crash
#   make test                     replays each harness over its seed corpus and its
#                                 regressions (replay.c, built with $(CC))
#
# A new harness is a new tests/fuzz/fuzz_X.c (seeds in tests/fuzz/corpus/fuzz_X/):
# nothing here needs to change.  The userspace sources are compiled again with
# clang and the fuzzer's instrumentation: libFuzzer needs its coverage hooks in
# the code under test, not only in the harness.

FUZZ_SECONDS ?= 30
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
		-D_GNU_SOURCE -Iuser -Ibpf -I$(BUILD) -Itests/fuzz -fno-omit-frame-pointer \
		-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
FUZZ_LIB_OBJ := $(patsubst $(BUILD)/%.o,$(FUZZ_DIR)/obj/%.o,$(LIB_OBJ))
FUZZ_REPLAY_BIN := $(patsubst tests/fuzz/%.c,$(TEST_BIN)/replay_%,$(FUZZ_SRC))

.PHONY: fuzz fuzz-build

$(FUZZ_DIR)/obj/%.o: user/%.c | $(SKEL)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(FUZZ_DIR)/libheapscope.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libheapscope.a
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libheapscope.a $(LDLIBS)

$(TEST_BIN)/replay_fuzz_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
			   $(BUILD)/libheapscope.a | $(TEST_BIN)
	$(CC) $(CFLAGS) -Itests/fuzz -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_$*.c \
		$(BUILD)/libheapscope.a $(LDFLAGS) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_DIR)
