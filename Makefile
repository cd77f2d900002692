# The two commands of the quick start: `make run` and `make test`. Both install what is
# missing (scripts/install-deps.sh), build, and are safe to repeat.
PRESET ?= $(if $(filter true,$(CI)),ci,dev)
BUILD_DIR := build/$(PRESET)
LISTEN ?= 127.0.0.1:8080
RUN_ARGS ?=

.PHONY: run test deps build configure format lint clean asan fuzz docs

run: build
	$(BUILD_DIR)/src/app/streamforge run --listen $(LISTEN) $(RUN_ARGS)

test: build
	scripts/test.sh $(BUILD_DIR)

deps:
	@scripts/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then cmake --preset $(PRESET); fi

build: configure
	cmake --build $(BUILD_DIR)

# Sanitizer build and its unit tests (no services needed).
asan: deps
	cmake --preset asan && cmake --build build/asan && ctest --test-dir build/asan -L unit --output-on-failure

fuzz: deps
	cmake --preset fuzz && cmake --build build/fuzz

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

lint: build
	scripts/lint.sh $(BUILD_DIR)

clean:
	rm -rf build
