# Two entry points: `make demo` (set up everything, run the demonstration) and `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig \
                fonts-noto-cjk poppler-utils
TEST_APT_PACKAGES := chromium postgresql

.PHONY: demo test system test-system venv clean

system:
	@if dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then echo "system packages present"; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); fi

test-system: system
	@if dpkg -s $(TEST_APT_PACKAGES) >/dev/null 2>&1; then echo "test packages present"; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_APT_PACKAGES); fi

venv:
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[test]' 2>&1 | grep -v "is ignored: it is neither" || true
	@$(PY) -c "import qms, qms_complaints" 

demo: system venv
	rm -rf qms-demo
	$(VENV)/bin/qms demo qms-demo

# The whole suite twice: on the TinyDB folder store, then on PostgreSQL. Each run starts a throwaway
# PostgreSQL cluster of its own under /tmp and stops it at the end (qms.pgcluster, tests/conftest.py).
test: test-system venv
	$(VENV)/bin/pytest -q
	$(VENV)/bin/pytest -q --store=postgresql

clean:
	rm -rf $(VENV) qms-demo .pytest_cache
