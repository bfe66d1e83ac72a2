# zerotrace build. Generated files (vmlinux.h, skeleton, protobuf-c) go to build/.
BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PROTOC_C  ?= protoc-c
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VERSION   := 0.1.0

CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -std=gnu11 \
	     -D_GNU_SOURCE -DZT_VERSION=\"$(VERSION)\" -Iinclude -I$(BUILD) -I$(BUILD)/gen
LDLIBS    := -lbpf -lelf -lz -lcurl -lprotobuf-c -lpthread -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -Ibpf -I$(BUILD) -Wall \
	      -Wno-unused-function -Wno-compare-distinct-pointer-types -Wno-gnu-variable-sized-type-not-at-end

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
PROTOS    := $(wildcard src/export/*.proto)
PROTO_C   := $(patsubst src/export/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_H   := $(PROTO_C:.c=.h)
LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c src/proto/*.c src/export/*.c))
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) \
	     $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/gen/%.o,$(PROTO_C))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_HARNESS := tests/fuzz/l7_harness.c tests/fuzz/l7_harness.h tests/fuzz/http2_record.h
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
HDRS      := $(wildcard include/*.h src/*.h src/proto/*.h src/export/*.h)

# Generated sources are kept between runs (make would delete them as intermediates).
.SECONDARY: $(PROTO_C) $(PROTO_H) $(BPF_OBJS) $(BUILD)/vmlinux.h

.PHONY: all deps test unit integration fuzz fuzz-smoke bench demo install clean format
all: deps $(BUILD)/zerotrace

deps:
	@sh scripts/install-deps.sh

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/zt_events.h $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

# All BPF files linked into one object and one skeleton.
$(BUILD)/zerotrace.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@.tmp $^ && mv $@.tmp $@

$(BUILD)/zerotrace.skel.h: $(BUILD)/zerotrace.bpf.o
	$(BPFTOOL) gen skeleton $< name zerotrace_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.pb-c.c: src/export/%.proto
	@mkdir -p $(@D)
	$(PROTOC_C) --proto_path=src/export --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.pb-c.h: $(BUILD)/gen/%.pb-c.c
	@test -f $@ || $(PROTOC_C) --proto_path=src/export --c_out=$(BUILD)/gen $(patsubst $(BUILD)/gen/%.pb-c.h,src/export/%.proto,$@)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c $(HDRS) $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# Only the loader includes the generated skeleton.
$(BUILD)/obj/src/bpf_loader.o: $(BUILD)/zerotrace.skel.h

# Rebuilt from scratch: ar would keep members of sources that no longer exist.
$(BUILD)/libzt.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/zerotrace: $(BUILD)/obj/src/main.o $(BUILD)/libzt.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libzt.a $(HDRS) $(PROTO_H) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libzt.a $(LDLIBS) -lcmocka

# Fuzz targets: the parsers and their helpers, built with libFuzzer + ASan + UBSan.
FUZZ_LIB_SRCS := $(wildcard src/proto/*.c) src/db_query.c src/span.c src/log.c
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_HARNESS) $(FUZZ_LIB_SRCS) $(HDRS)
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -Iinclude -Itests/fuzz -o $@ $< tests/fuzz/l7_harness.c \
		$(FUZZ_LIB_SRCS) -lpthread

unit: deps $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

fuzz-smoke: deps $(FUZZ_BINS)
	@sh tests/fuzz/run.sh smoke $(FUZZ_BINS)

fuzz: deps $(FUZZ_BINS)
	@sh tests/fuzz/run.sh long $(FUZZ_BINS)

integration: all
	@ZEROTRACE=$(abspath $(BUILD))/zerotrace sh tests/integration/run.sh

test: all unit fuzz-smoke integration

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libzt.a $(HDRS) $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libzt.a $(LDLIBS)

bench: all $(BENCH_BINS)
	@sh tests/bench/run.sh $(BUILD)

demo: all
	@sh scripts/demo.sh

install: all
	install -D -m 0755 $(BUILD)/zerotrace $(DESTDIR)/usr/local/bin/zerotrace

format:
	clang-format -i $(wildcard src/*.c src/*/*.c include/*.h bpf/*.c bpf/*.h)

clean:
	rm -rf $(BUILD)
