# packaging/packaging.mk - the version (included by the Makefile).

# VERSION is the release; `git describe` is added when building in heapscope's own git
# tree (not in a tarball unpacked inside some other repository).
HS_VERSION_NUMBER := $(shell cat VERSION)
HS_GIT_DESCRIBE := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
			   git describe --always --dirty 2>/dev/null)
HS_VERSION_STRING := $(HS_VERSION_NUMBER)$(if $(HS_GIT_DESCRIBE), (git $(HS_GIT_DESCRIBE)))
VERSION_HEADER := $(BUILD)/heapscope_version.h

# Rewritten only when the text changes: lib/version.o is rebuilt after a commit, nothing
# else (the header's mtime is what -MMD's dependency looks at).
.PHONY: FORCE
$(VERSION_HEADER): FORCE
	@mkdir -p $(@D)
	@printf '#define HS_VERSION_NUMBER "%s"\n#define HS_VERSION_STRING "%s"\n' \
		'$(HS_VERSION_NUMBER)' '$(HS_VERSION_STRING)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
# Named here because the first build has no .d file that says so yet.
$(BUILD)/lib/version.o $(FUZZ_DIR)/obj/lib/version.o: $(VERSION_HEADER)
