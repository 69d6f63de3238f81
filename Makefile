# Thin wrapper over CMake/ctest. `make demo` and `make test` each work on a
# fresh Debian 12 machine: they install what they need first.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps test-deps web build build-asan test test-fast demo bench clean

all: build

deps:
	@./.ci/install-deps.sh

test-deps:
	@./.ci/install-deps.sh --test

build: deps web
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

# The chart page's library (and the browser driver its test uses), pinned in
# package-lock.json; does nothing when node_modules already matches.
web:
	@./plugins/chart_feeder/web/install.sh || echo "warning: the chart page's npm packages are not installed; the chart page and its test need them"

build-asan: deps web
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DUPWS_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)

# The whole suite, then the whole suite again under AddressSanitizer + UBSan.
test: test-deps build build-asan
	cd build && ctest --output-on-failure -j 2
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j 2

test-fast: build
	cd build && ctest --output-on-failure -j 2

demo: build
	./tests/demo.sh

# The benchmark of issue 7 (docs/PERFORMANCE.md): not a test and not in ctest.
# Builds its own trees (build-bench-host/, build-bench/); takes ~12 minutes.
# Options reach tests/bench/run.py: make bench BENCH_ARGS="--repeat 1".
bench: deps
	./tests/bench/run.sh $(BENCH_ARGS)

clean:
	rm -rf build build-asan demo-data
