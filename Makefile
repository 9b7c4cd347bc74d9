# spark_jobs: run data-preparation job groups on your own Spark.
# Every target sets up what it needs (idempotent and cached: a second run fetches nothing).

PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
SPARK_LINE  := 4.0
JARS_DIR    := .jars
CLASSPATH   := $(JARS_DIR)/spark-$(SPARK_LINE).classpath
MVN         ?= mvn
MVN_FLAGS   := -q -B -Dmaven.repo.local=$(CURDIR)/$(JARS_DIR)/m2
export PYSPARK_PYTHON := $(CURDIR)/$(PY)
export PYSPARK_DRIVER_PYTHON := $(CURDIR)/$(PY)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## create .venv and install the package with its test and lint tools

$(CLASSPATH): conf/jars/pom.xml
	mkdir -p $(JARS_DIR)
	$(MVN) $(MVN_FLAGS) -f conf/jars/pom.xml -P spark-$(SPARK_LINE) dependency:build-classpath \
	  -Dmdep.includeScope=runtime -Dmdep.outputFile=$(CURDIR)/$@.tmp
	mv $@.tmp $@

.PHONY: jars
jars: $(CLASSPATH) ## fetch the JVM extras (spark-avro, delta-spark, hadoop-aws) once into .jars/

.PHONY: system
system: ## Debian packages the tests need (postgresql, chromium), installed only when missing
	bash scripts/setup-system.sh

.PHONY: setup
setup: system venv jars ## everything a fresh machine needs

.PHONY: demo
demo: setup ## run the example job group on local Spark and show where its outputs are
	$(PY) scripts/demo.py

.PHONY: test
test: setup ## run the whole test suite (unit and integration)
	$(PY) -m pytest -q

.PHONY: lint
lint: venv ## ruff (lint + format check) and mypy on the package
	$(VENV)/bin/ruff check spark_jobs tests scripts bench
	$(VENV)/bin/ruff format --check spark_jobs tests scripts bench
	$(VENV)/bin/mypy

.PHONY: format
format: venv ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix spark_jobs tests scripts bench
	$(VENV)/bin/ruff format spark_jobs tests scripts bench

.PHONY: bench
bench: setup ## run the benchmarks and write bench/results.md
	$(PY) -m bench

.PHONY: clean
clean: ## remove run products (keeps .venv and .jars)
	rm -rf .spark_jobs out bench/work .pytest_cache
