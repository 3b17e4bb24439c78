# downwatch: the two commands of the README are `make demo` and `make test`.
# Every target installs missing Debian packages first (`make deps`, as root).

MAKEFLAGS  += --no-print-directory
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60

PACKAGES       = build-essential cmake pkg-config python3 libmicrohttpd-dev \
                 libsqlite3-dev libgeoip-dev geoip-database libcmocka-dev \
                 libjsmn-dev libcurl4-openssl-dev libxxhash-dev libgsl-dev curl sqlite3 \
                 chromium fonts-noto-ui-core
# chromium runs the browser tests (tests/browser, driven by playwright-core
# from npm); fonts-noto-ui-core has the Bengali font the Bengali page needs.
BENCH_PACKAGES = wrk nginx bc
FUZZ_PACKAGES  = clang libclang-rt-14-dev

.PHONY: all deps deps-bench deps-fuzz web build test test-fast test-asan demo demo-stop \
        bench fuzz fuzz-build fuzz-smoke clean

all: build

deps:
	@scripts/ensure-packages $(PACKAGES)
	@command -v npm >/dev/null || scripts/ensure-packages nodejs npm

# The status page: npm ci in web/ when its lock changed, then the node build
# into web/dist, which CMake embeds in the binary.
web: deps
	@scripts/build-web

deps-bench: deps
	@scripts/ensure-packages $(BENCH_PACKAGES)

deps-fuzz: deps
	@scripts/ensure-packages $(FUZZ_PACKAGES)

build: deps web
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# All unit and integration tests, the same suite under ASan+UBSan, and a
# short run of every fuzz target (what CI runs). `make test-fast` is the
# first part alone.
test: fuzz-smoke test-fast test-asan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps web
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DDW_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# Build, start the server on its defaults, feed it a simulated outage, show the incidents.
demo: build
	@scripts/demo

demo-stop:
	@scripts/demo --stop

bench: build deps-bench
	@bench/ingest

fuzz-build: deps-fuzz web
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDW_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)

fuzz: fuzz-build
	@scripts/fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@scripts/fuzz $(BUILD_FUZZ) 10

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
