# The README's two commands: `make demo` and `make test`. Both set everything up first.
# Installing: `make install PREFIX=/usr/local` (DESTDIR= for staging); a Debian package: `make deb`.
.PHONY: setup deps build test demo bench clean install uninstall deb

PREFIX ?= /usr/local
# xensnap reads /etc/xensnap/config.yaml by default, whatever the prefix
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib/xensnap
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/xensnap
DESTDIR ?=
# where `make deb` stages and writes the package
DEB_OUT ?= build
VERSION := $(shell node -p "require('./package.json').version")

setup: deps node_modules/.installed build

deps:
	@bash scripts/install-deps.sh

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: node_modules/.installed
	rm -rf dist
	npx tsc -p tsconfig.json
	node scripts/make-executable.mjs
	@touch dist/.built

# install and deb use the build there is and make one only when there is none (a test suite
# running from dist/ must never see it removed under it)
dist/.built:
	test -f dist/src/cli/main.js || $(MAKE) build
	@touch $@

test: setup
	node scripts/run-tests.mjs

demo: setup
	bash examples/demo.sh

bench: setup
	node dist/bench/run.js

clean:
	rm -rf dist build

# The program (compiled src, runtime packages only, schemas) in LIBDIR, the command in BINDIR,
# systemd units (installed, never enabled), an example host config, bash completion, the README
# and the fleet examples (Prometheus alert rules, Grafana dashboard).
install: dist/.built
	rm -rf "$(DESTDIR)$(LIBDIR)"
	install -d -m 0755 "$(DESTDIR)$(LIBDIR)/dist" "$(DESTDIR)$(LIBDIR)/policies" "$(DESTDIR)$(BINDIR)"
	cp -R dist/src "$(DESTDIR)$(LIBDIR)/dist/src"
	cp -R policies/schema "$(DESTDIR)$(LIBDIR)/policies/schema"
	install -m 0644 package.json package-lock.json "$(DESTDIR)$(LIBDIR)/"
	npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --prefix "$(DESTDIR)$(LIBDIR)"
	chmod 0755 "$(DESTDIR)$(LIBDIR)/dist/src/cli/main.js"
	ln -sfr "$(DESTDIR)$(LIBDIR)/dist/src/cli/main.js" "$(DESTDIR)$(BINDIR)/xensnap"
	install -d -m 0755 "$(DESTDIR)$(UNITDIR)"
	for u in examples/systemd/*.service examples/systemd/*.timer; do \
	  sed -e 's|/usr/local/bin/xensnap|$(BINDIR)/xensnap|g' -e 's|/usr/local/share/doc/xensnap|$(DOCDIR)|g' "$$u" > "$(DESTDIR)$(UNITDIR)/$$(basename $$u)"; \
	  chmod 0644 "$(DESTDIR)$(UNITDIR)/$$(basename $$u)"; \
	done
	install -d -m 0755 "$(DESTDIR)$(SYSCONFDIR)/xensnap/policies"
	sed -e 's|^policyDir: .*|policyDir: $(SYSCONFDIR)/xensnap/policies|' examples/config/config.yaml.example > "$(DESTDIR)$(SYSCONFDIR)/xensnap/config.yaml.example"
	chmod 0644 "$(DESTDIR)$(SYSCONFDIR)/xensnap/config.yaml.example"
	install -D -m 0644 scripts/completion/xensnap.bash "$(DESTDIR)$(COMPLETIONDIR)/xensnap"
	install -D -m 0644 README.md "$(DESTDIR)$(DOCDIR)/README.md"
	install -d -m 0755 "$(DESTDIR)$(DOCDIR)/examples"
	cp -R examples/prometheus examples/grafana "$(DESTDIR)$(DOCDIR)/examples/"

uninstall:
	rm -rf "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(DOCDIR)"
	rm -f "$(DESTDIR)$(BINDIR)/xensnap" "$(DESTDIR)$(COMPLETIONDIR)/xensnap" "$(DESTDIR)$(SYSCONFDIR)/xensnap/config.yaml.example"
	rm -f "$(DESTDIR)$(UNITDIR)/xensnap.service" "$(DESTDIR)$(UNITDIR)/xensnap-once.service" "$(DESTDIR)$(UNITDIR)/xensnap.timer"

# A Debian package (dpkg-deb, no debhelper): /usr/bin/xensnap, /usr/lib/xensnap, units in
# /lib/systemd/system (not enabled), /etc/xensnap/config.yaml.example as a conffile.
DEB_ROOT = $(DEB_OUT)/xensnap_$(VERSION)_all
deb: dist/.built
	rm -rf "$(DEB_ROOT)"
	$(MAKE) install DESTDIR="$(abspath $(DEB_ROOT))" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
	install -d -m 0755 "$(DEB_ROOT)/DEBIAN"
	sed -e 's|@VERSION@|$(VERSION)|' -e "s|@SIZE@|$$(du -sk --apparent-size "$(DEB_ROOT)" | cut -f1)|" packaging/debian/control.in > "$(DEB_ROOT)/DEBIAN/control"
	install -m 0644 packaging/debian/conffiles "$(DEB_ROOT)/DEBIAN/conffiles"
	install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$(DEB_ROOT)/DEBIAN/"
	dpkg-deb --root-owner-group -Zgzip --build "$(DEB_ROOT)" "$(DEB_OUT)/xensnap_$(VERSION)_all.deb"
