# The README's commands. Each target installs what is missing first, so a fresh Debian
# machine needs nothing but `make run` or `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages: Chromium for the browser tests; Noto fonts so pages, screenshots and PDFs shape
# every script (Noto Color Emoji: emoji in the PDF); Node for the phone's parity tests; Pango and HarfBuzz's subsetter for WeasyPrint
# (without libharfbuzz-subset0 a Chinese PDF takes seconds); poppler-utils for the PDF tests; python3-venv where needed.
APT_PACKAGES := chromium nodejs fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji libpango-1.0-0 libpangoft2-1.0-0 \
  libharfbuzz-subset0 poppler-utils
PORT ?= 8000
LOCK := requirements.lock

.PHONY: run test bench lint lock format translations system-deps clean

run: system-deps $(VENV)/.installed translations-compiled
	$(BIN)/lmcself init-db
	$(BIN)/lmcself serve --port $(PORT)

test: system-deps $(VENV)/.installed translations-compiled lint
	LMCSELF_PYTHON=$(BIN)/python node --test tests/js/
	$(BIN)/python -m pytest

bench: system-deps $(VENV)/.installed translations-compiled bench/node_modules/.installed
	$(BIN)/python bench/load.py
	$(BIN)/python bench/pwa.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/pdf_flood.py
	$(BIN)/python bench/bundle.py
	$(BIN)/python bench/import_concurrency.py
	$(BIN)/python bench/privacy.py
	$(BIN)/python bench/staff.py

# Lighthouse for the bench only, pinned by bench/package-lock.json (12.x runs on Debian's Node 20).
bench/node_modules/.installed: bench/package.json bench/package-lock.json
	@command -v npm >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	cd bench && npm ci --no-audit --no-fund
	touch $@

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract every text (templates, code, the instrument's YAML), update and compile the catalogs.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --add-comments=TRANSLATORS: --no-wrap \
	  --sort-by-file -o lmcself/translations/messages.pot .
	@if ls lmcself/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel update -i lmcself/translations/messages.pot -d lmcself/translations --no-fuzzy-matching --ignore-obsolete --no-wrap; \
	fi
	$(MAKE) translations-compiled

.PHONY: translations-compiled
translations-compiled: $(VENV)/.installed
	@if ls lmcself/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel compile -d lmcself/translations --statistics; \
	fi

# Install the Debian packages that are missing (as root, or through sudo).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Exact versions with hashes from the lockfile (nothing new arrives unasked), then the package.
$(VENV)/.installed: $(LOCK) setup.cfg pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || $(MAKE) system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Update the lockfile after changing a dependency in setup.cfg (or to take new releases).
lock:
	tmp=$$(mktemp -d) && $(PYTHON) -m venv $$tmp && $$tmp/bin/python -m pip install --quiet pip-tools && \
	$$tmp/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --extra test --extra bench --output-file $(LOCK) setup.cfg; \
	status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
