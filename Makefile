# paperboy - one Makefile (STYLE rule 19).
#
#   make            build build/paperboy
#   make run        install missing packages, build, serve on 127.0.0.1:8080
#   make test       install missing packages, build, run every test: unit and
#                   integration tests on the normal build and on an ASan+UBSan
#                   build, and each fuzz target briefly; ends "N passed, N failed"
#   make check      the normal build's tests only (no installs, quick)
#   make asan       the ASan+UBSan build's tests only
#   make fuzz       build the libFuzzer targets (clang) into build/fuzz
#   make model      install the all-MiniLM-L6-v2 weights under data/models
#   make bench      build the benchmarks in bench/
#
# Sources are found by wildcard: src/*/*.c is the library (less
# src/cli/main.c), tests/unit/test_*.c are unit tests, tests/fuzz/fuzz_*.c
# fuzz targets, bench/*/ one benchmark program per folder.

CC      ?= gcc
BUILD   ?= build
SAN     ?=
DATA    ?= data
LISTEN  ?= 127.0.0.1:8080
FUZZ_SECONDS ?= 10

PKGS    := sqlite3 libxml-2.0 libcjson libcurl libutf8proc zlib libmicrohttpd openblas libargon2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN) -MMD -MP -pthread
CPPFLAGS += -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lstemmer -lm -pthread

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# The fuzz build (clang only): the library is instrumented for coverage and
# sanitizers; each target links libFuzzer's main.
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=fuzzer,address,undefined
endif

LIB_SRC  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/cli/main.o
LIB      := $(BUILD)/libpaperboy.a
BIN      := $(BUILD)/paperboy

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)

BENCH_DIRS := $(patsubst %/,%,$(dir $(wildcard bench/*/main.c)))
BENCH_BIN  := $(BENCH_DIRS:bench/%=$(BUILD)/bench/%)

.PHONY: all run test check asan fuzz model bench deps clean unit-bins fuzz-bins
all: $(BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(LDLIBS)

# Unit tests may #include the module's .c to reach statics; the archive
# then supplies only what the test did not define itself.
$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

unit-bins: $(UNIT_BIN)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

fuzz-bins: $(FUZZ_BIN)

$(BUILD)/bench/%: bench/%/*.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIB) $(LDLIBS)

bench: $(BENCH_BIN)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh $(BIN) $(DATA) $(LISTEN)

check: all unit-bins
	@scripts/run-tests.sh --build $(BUILD)

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all unit-bins
	@scripts/run-tests.sh --build build/asan

fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang FUZZ=1 fuzz-bins

test:
	@scripts/deps.sh --test
	@scripts/install-model.sh $(DATA)/models || echo "test: no model; the encoder tests will skip"
	@$(MAKE) --no-print-directory all unit-bins
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 all unit-bins
	@$(MAKE) --no-print-directory fuzz
	@scripts/run-tests.sh --build $(BUILD) --build build/asan --fuzz build/fuzz --fuzz-seconds $(FUZZ_SECONDS)

model:
	@scripts/install-model.sh $(DATA)/models

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BIN:=.d)
