# triad — every user-facing command. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A JDK 21+ is needed; prefer JAVA_HOME, else the first JDK 21+ found on this machine.
JAVA_HOME ?= $(shell for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*21* /usr/lib/jvm/*25*; do [ -x $$d/bin/javac ] && echo $$d && break; done)
export JAVA_HOME
MVN := ./mvnw -B -ntp

.PHONY: help
help: ## List every target
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_-]+:.*## /{printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: test
test: ## Unit, routing and integration tests (real PostgreSQL and Redis via Testcontainers)
	$(MVN) verify

.PHONY: build
build: ## Compile and package the service jar (no tests)
	$(MVN) -DskipTests package
