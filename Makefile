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
# the Spark 3.5 line (EMR 7, Databricks 15/16 LTS): a second venv and jar set, unit suite only
VENV35      ?= .venv-spark35
PY35        := $(VENV35)/bin/python
CLASSPATH35 := $(JARS_DIR)/spark-3.5.classpath
SPARK35_TESTS := $(wildcard tests/spec tests/io tests/runner tests/recipe) tests/cluster/test_spark_lines.py tests/cluster/test_templates.py
# Apache Airflow and its Google provider, in a venv of their own (they are no dependency of the
# package): tests/server/test_airflow.py drives the server with Airflow's Dataprep hook and sensor
VENV_AIRFLOW  ?= .venv-airflow
PY_AIRFLOW    := $(VENV_AIRFLOW)/bin/python
AIRFLOW_REQS  := apache-airflow==3.3.2 apache-airflow-providers-google==22.8.0
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

# the visual profile's aggregate (jvm/profile), one jar per Spark line, listed last on the classpath
PROFILE_SOURCES := jvm/profile/pom.xml $(wildcard jvm/profile/src/main/java/sparkjobs/profile/*.java)
$(JARS_DIR)/spark-jobs-profile-%.jar: $(PROFILE_SOURCES)
	mkdir -p $(JARS_DIR)
	$(MVN) $(MVN_FLAGS) -f jvm/profile/pom.xml -P spark-$* package
	cp jvm/profile/target/$*/spark-jobs-profile-$*.jar $@.tmp && mv $@.tmp $@  # running JVMs keep the old file

$(CLASSPATH): conf/jars/pom.xml $(JARS_DIR)/spark-jobs-profile-$(SPARK_LINE).jar
	mkdir -p $(JARS_DIR)
	$(MVN) $(MVN_FLAGS) -f conf/jars/pom.xml -P spark-$(SPARK_LINE) dependency:build-classpath \
	  -Dmdep.includeScope=runtime -Dmdep.outputFile=$(CURDIR)/$@.tmp
	printf ':%s' $(CURDIR)/$(JARS_DIR)/spark-jobs-profile-$(SPARK_LINE).jar >> $@.tmp
	mv $@.tmp $@

# the class-data-sharing archive of a Spark line (scripts/cds_archive.py): every local JVM maps
# it and starts seconds sooner; dumped again when the venv (pyspark) or the script changes
$(JARS_DIR)/spark-$(SPARK_LINE).jsa: $(VENV)/.installed scripts/cds_archive.py
	$(PY) scripts/cds_archive.py $@

.PHONY: jars
jars: $(CLASSPATH) $(JARS_DIR)/spark-$(SPARK_LINE).jsa ## fetch the JVM extras (spark-avro, delta-spark, hadoop-aws) once into .jars/, build the profile's jar, dump the class-data-sharing archive

$(VENV35)/.installed: pyproject.toml constraints-spark35.txt
	test -x $(PY35) || $(PYTHON) -m venv $(VENV35)
	$(PY35) -m pip install -q --upgrade pip
	$(PY35) -m pip install -q -r constraints-spark35.txt
	$(PY35) -m pip install -q --no-deps -e .
	touch $@

$(CLASSPATH35): conf/jars/pom.xml $(JARS_DIR)/spark-jobs-profile-3.5.jar
	mkdir -p $(JARS_DIR)
	$(MVN) $(MVN_FLAGS) -f conf/jars/pom.xml -P spark-3.5 dependency:build-classpath \
	  -Dmdep.includeScope=runtime -Dmdep.outputFile=$(CURDIR)/$@.tmp
	printf ':%s' $(CURDIR)/$(JARS_DIR)/spark-jobs-profile-3.5.jar >> $@.tmp
	mv $@.tmp $@

$(JARS_DIR)/spark-3.5.jsa: $(VENV35)/.installed scripts/cds_archive.py
	PYSPARK_PYTHON=$(CURDIR)/$(PY35) PYSPARK_DRIVER_PYTHON=$(CURDIR)/$(PY35) $(PY35) scripts/cds_archive.py $@

.PHONY: setup-spark35
setup-spark35: $(VENV35)/.installed $(CLASSPATH35) $(JARS_DIR)/spark-3.5.jsa ## .venv-spark35 (pyspark 3.5, constraints-spark35.txt) and its JVM extras

$(VENV_AIRFLOW)/.installed: constraints-airflow.txt
	test -x $(PY_AIRFLOW) || $(PYTHON) -m venv $(VENV_AIRFLOW)
	$(PY_AIRFLOW) -m pip install -q --upgrade pip
	$(PY_AIRFLOW) -m pip install -q -c constraints-airflow.txt $(AIRFLOW_REQS)
	touch $@

.PHONY: setup-airflow
setup-airflow: $(VENV_AIRFLOW)/.installed ## .venv-airflow: Airflow + its Google provider (constraints-airflow.txt), for the server's Airflow test

.PHONY: system
system: ## Debian packages the tests need (postgresql, chromium), installed only when missing
	bash scripts/setup-system.sh

.PHONY: setup
setup: system venv jars ## everything a fresh machine needs

.PHONY: demo
demo: setup ## run the example job group on local Spark and show where its outputs are
	$(PY) scripts/demo.py

.PHONY: test
test: setup setup-spark35 setup-airflow ## run the whole test suite (unit and integration), then the unit suite on Spark 3.5
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory test-spark35

.PHONY: test-spark35
test-spark35: setup-spark35 ## the unit suite on Spark 3.5 (no integration or cluster tests)
	PYSPARK_PYTHON=$(CURDIR)/$(PY35) PYSPARK_DRIVER_PYTHON=$(CURDIR)/$(PY35) \
	  $(PY35) -m pytest -q -p no:cacheprovider -m "not integration and not cluster" $(SPARK35_TESTS)

.PHONY: cluster-test
cluster-test: setup ## only the standalone-cluster test: master + 2 workers on loopback, spark-submit
	$(PY) -m pytest -q -m cluster tests/cluster

.PHONY: dist
dist: venv $(JARS_DIR)/spark-jobs-profile-3.5.jar $(JARS_DIR)/spark-jobs-profile-$(SPARK_LINE).jar ## the wheel, the zip for spark-submit --py-files and the profile's jars (one per Spark line), in dist/
	rm -f dist/spark_jobs-*.whl dist/spark_jobs.zip dist/spark-jobs-profile-*.jar
	$(PY) -m pip wheel -q --no-deps -w dist .
	$(PY) scripts/cluster.py zip dist/spark_jobs.zip
	cp $(JARS_DIR)/spark-jobs-profile-3.5.jar $(JARS_DIR)/spark-jobs-profile-$(SPARK_LINE).jar dist/

.PHONY: lint
lint: venv ## ruff (lint + format check) and mypy on the package
	$(VENV)/bin/ruff check spark_jobs tests scripts bench
	$(VENV)/bin/ruff format --check spark_jobs tests scripts bench
	$(VENV)/bin/mypy

.PHONY: format
format: venv ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix spark_jobs tests scripts bench
	$(VENV)/bin/ruff format spark_jobs tests scripts bench

# bench only: Amazon Deequ's column profiler beside ours (bench/profile_bench.py, Spark 3.5 line);
# no test or job uses it
DEEQU_CLASSPATH := $(JARS_DIR)/bench-deequ.classpath
$(DEEQU_CLASSPATH): bench/deequ/pom.xml
	mkdir -p $(JARS_DIR)
	$(MVN) $(MVN_FLAGS) -f bench/deequ/pom.xml dependency:build-classpath \
	  -Dmdep.includeScope=runtime -Dmdep.outputFile=$(CURDIR)/$@.tmp
	mv $@.tmp $@

.PHONY: bench-deps
bench-deps: $(DEEQU_CLASSPATH) ## the benchmarks' own JVM jars (Deequ, bench/deequ/pom.xml) once into .jars/

.PHONY: bench
bench: setup setup-spark35 bench-deps ## run the benchmarks and write bench/results.md
	$(PY) -m bench

.PHONY: bench-profile
bench-profile: setup setup-spark35 bench-deps ## the profile bench alone (Spark 4 and 3.5, Deequ beside ours; BENCH_ROWS, BENCH_ROUNDS)
	$(PY) -m bench.profile_bench

.PHONY: clean
clean: ## remove run products (keeps .venv and .jars)
	rm -rf .spark_jobs out bench/work .pytest_cache dist build
