# What a packager expects (docs/install.md). The build itself is npm's
# (tsc into dist/, then the CLI bundled by scripts/bundle.mjs); the package is built by packaging/build-deb.
DESTDIR ?=

.PHONY: all build check deb install clean

all: build

build: node_modules/.package-lock.json
	npm run --silent build

# npm writes this file on every install: older than the lock file means stale.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-fund --no-audit

# Sets the machine up, builds, runs every test (the README's test command).
check:
	scripts/check

# build/sprocket_<version>_<arch>.deb; dist/ is rebuilt only when stale.
deb: node_modules/.package-lock.json
	packaging/build-deb

# The package's file tree below DESTDIR (/ by default: then the start-up
# snapshot is made for this node, as the postinst does; run systemctl
# daemon-reload and enable the units by hand, docs/install.md).
install: build
	packaging/install-tree "$(or $(DESTDIR),/)"
	$(if $(DESTDIR),,/usr/lib/sprocket/make-snapshot)

clean:
	rm -rf dist build
