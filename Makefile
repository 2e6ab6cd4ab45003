# The README's two commands: `make demo` and `make test`. Both set everything up first.
.PHONY: setup deps build test demo bench clean

setup: deps node_modules/.installed build

deps:
	@bash scripts/install-deps.sh

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: node_modules/.installed
	rm -rf dist
	npx tsc -p tsconfig.json

test: setup
	node --test --test-concurrency=2 $$(find dist/test -name '*.test.js' | sort)

demo: setup
	bash examples/demo.sh

bench: setup
	node dist/bench/run.js

clean:
	rm -rf dist
