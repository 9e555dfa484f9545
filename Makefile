# The whole set-up is `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBS := pcscd vsmartcard-vpcd swig libpcsclite-dev tmux opensc postgresql systemd espeak-ng sox

.PHONY: demo test lint unit system-deps venv bench clean catalogues compile-catalogues

demo: system-deps $(STAMP) compile-catalogues
	$(VENV)/bin/ssu-kiosk --demo $(if $(POLICY),--policy $(POLICY))

# Workers: the tests mostly wait (pcscd polls, subprocesses), so three share two cores well;
# each worker has its own private pcscd and PostgreSQL cluster. TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 3

test: system-deps $(STAMP) compile-catalogues lint
	$(VENV)/bin/pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist worksteal)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The English and Welsh catalogues (Babel): `make catalogues` extracts every holder-facing
# text and updates the .po files for the translator; demo and test compile them (the .mo
# files are committed too, so a kiosk installed from a clone speaks Welsh without Babel).
BABEL := $(VENV)/bin/pybabel
LANGUAGES := en cy

catalogues: $(STAMP)
	PYTHONPATH=. $(BABEL) extract -F catalogues/babel.cfg -k N_ -k plural:1,2 -k ngettext:1,2 \
	  --no-location --sort-output --add-comments=Translators: -o catalogues/ssu.pot .
	for l in $(LANGUAGES); do \
	  if [ -f catalogues/$$l/LC_MESSAGES/ssu.po ]; then \
	    $(BABEL) update -D ssu -i catalogues/ssu.pot -d catalogues -l $$l --no-fuzzy-matching --ignore-obsolete; \
	  else $(BABEL) init -D ssu -i catalogues/ssu.pot -d catalogues -l $$l; fi; \
	done
	$(MAKE) compile-catalogues

compile-catalogues: $(STAMP)
	$(BABEL) compile -D ssu -d catalogues

# Debian packages: installed only when one is not fully installed (dpkg -s alone would
# count a removed package whose config files remain), so re-runs cost nothing.
system-deps:
	@for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || missing=1; \
	done; [ -z "$$missing" ] || { \
	  echo "Installing Debian packages: $(DEBS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS); }

venv: $(STAMP)

$(STAMP): pyproject.toml | system-deps
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Benchmarks (not part of the test suite): quick by default, `make bench FULL=1` for all.
bench: system-deps $(STAMP)
	$(PY) -m bench $(if $(FULL),--full,--quick)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
