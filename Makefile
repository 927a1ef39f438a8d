# `make pack`  : set up everything on a fresh machine, validate, and build what a user uploads.
# `make test`  : set up, then run every check (pytest incl. contract suite, validate, YAML test, lint).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PACK := Packs/CadoSecurity
INTEGRATION := $(PACK)/Integrations/CadoSecurity
VENV := .venv
BIN := $(VENV)/bin
DIST := dist
export DEMISTO_SDK_IGNORE_CONTENT_WARNING := 1
export DEMISTO_SDK_LOG_NO_COLORS := true
export CI := true
SDK := $(BIN)/demisto-sdk

.PHONY: setup pack test pytest validate lint validation-config yaml command-examples clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

pack: setup validate
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(SDK) unify -i $(INTEGRATION) -o $(DIST)
	$(SDK) zip-packs -i $(PACK) -o $(DIST)
	$(BIN)/python tools/check_pack_zip.py $(DIST)/uploadable_packs/CadoSecurity.zip
	@echo
	@echo "Upload to XSOAR:   $$(ls $(DIST)/uploadable_packs/CadoSecurity.zip)"
	@echo "Unified YAML:      $$(ls $(DIST)/*.yml)"

test: setup pytest validate lint

# pytest exits 5 when it collects nothing; any non-zero exit fails the target.
pytest:
	$(BIN)/python -m pytest

validate:
	$(SDK) validate -a

lint:
	$(BIN)/ruff check .
	$(SDK) xsoar-lint $$(git ls-files --cached --others --exclude-standard '$(PACK)/*.py' | grep -v '_test\.py$$')

validation-config:
	$(BIN)/python tools/make_validation_config.py

# The acquisition commands and the list commands' arguments of the integration YAML, from CadoSecurity.py's tables.
yaml:
	$(BIN)/python tools/generate_yaml.py

# One example per command, from the shared argument table, for `demisto-sdk generate-docs -e dist/command_examples`.
command-examples:
	mkdir -p $(DIST)
	$(BIN)/python tools/generate_yaml.py --examples $(DIST)/command_examples

clean:
	rm -rf $(DIST) $(VENV) node_modules
