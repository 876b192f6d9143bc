# lua-kibana: a thin wrapper over tools/ and CMake.
#   make demo   install what is missing, build, start the emulator, run examples/provision.lua
#   make test   install what is missing, build, run every suite ("N passed, N failed")
#   make bench  benchmarks (bench/README.md)

BUILD     ?= build
CMAKE_OPT ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKIBANA_LUAJIT=ON
LUA       ?= lua5.4
ROOT      := $(CURDIR)
export LUA_PATH  := $(ROOT)/lua/?.lua;$(ROOT)/lua/?/init.lua;$(ROOT)/emulator/lua/?.lua;$(ROOT)/?.lua;$(ROOT)/?/init.lua;;
export LUA_CPATH := $(ROOT)/$(BUILD)/?.so;;

.PHONY: all deps build test demo bench emulator valgrind clean

all: build

deps:
	@tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_OPT) >/dev/null
	@cmake --build $(BUILD) -j2 >/dev/null

test: build
	@tools/run-tests

demo: build
	@tools/demo

emulator: deps
	emulator/kibana-emulator --port $${PORT:-5601}

bench: build
	@tools/deps.sh wrk valgrind
	@bench/run

valgrind: build
	@tools/deps.sh valgrind
	@tools/valgrind-specs

clean:
	rm -rf $(BUILD) .tmp
