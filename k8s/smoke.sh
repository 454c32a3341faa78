#!/usr/bin/env bash
# Smoke test of a running triad deployment (kubectl's current context), as deployed by
# `kubectl apply -k k8s/overlays/dev`, `-k k8s/overlays/prod` or `-f k8s/`:
#  - through the Service: requests spread over every ready pod (X-Instance), an item is
#    created (201, Location) and read back (200, same name);
#  - on each pod's admin port: startup, readiness and liveness answer 200, /metrics counts
#    the requests.
# The Service is reached from a short-lived pod in the namespace the NetworkPolicy admits
# on port http (the Gateway's), running the triad image itself (it has curl). The admin
# ports are reached with kubectl port-forward. Needs kubectl and curl.
# Usage: k8s/smoke.sh [namespace]   (default: triad)
set -euo pipefail

ns=${1:-triad}
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
command -v kubectl >/dev/null || fail "kubectl is missing: install kubectl 1.27 or newer"
command -v curl >/dev/null || fail "curl is missing: install curl"

selector=app.kubernetes.io/name=triad,app.kubernetes.io/instance=triad
ready=$(kubectl -n "$ns" get deployment triad -o jsonpath='{.status.readyReplicas}') \
  || fail "no Deployment triad in namespace $ns: deploy first (k8s/README.md)"
[ "${ready:-0}" -ge 1 ] || fail "no ready triad pod in namespace $ns: see 'kubectl -n $ns get pods' and 'kubectl -n $ns describe pods'"
mapfile -t pods < <(kubectl -n "$ns" get pods -l "$selector" \
  -o jsonpath='{range .items[?(@.status.containerStatuses[0].ready==true)]}{.metadata.name}{"\n"}{end}')
[ "${#pods[@]}" -eq "$ready" ] || fail "the Deployment reports $ready ready pods, the pod list ${#pods[@]}: a rollout is under way; wait for 'kubectl -n $ns rollout status deployment/triad'"
image=$(kubectl -n "$ns" get deployment triad -o jsonpath='{.spec.template.spec.containers[0].image}')
client_ns=$(kubectl -n "$ns" get networkpolicy triad \
  -o jsonpath='{.spec.ingress[0].from[0].namespaceSelector.matchLabels.kubernetes\.io/metadata\.name}')
[ -n "$client_ns" ] || fail "NetworkPolicy triad admits no namespace on port http"
kubectl get namespace "$client_ns" >/dev/null 2>&1 \
  || fail "namespace $client_ns (the Gateway's, the only one admitted to port http) does not exist: create it, or deploy your Gateway there"
echo "smoke: ${#pods[@]} ready pod(s) in $ns (${pods[*]}), image $image; client in namespace $client_ns"

# ---- through the Service -----------------------------------------------------------------
requests=$((20 * ${#pods[@]}))
# Each curl is a new connection, so kube-proxy picks a pod for each request.
client_script='
set -u
base=http://triad.'"$ns"'.svc
i=0
while [ "$i" -lt '"$requests"' ]; do
  curl -sS --max-time 5 -o /dev/null -D - "$base/api/instance" | tr -d "\r" | sed -n "s/^[Xx]-[Ii]nstance: /instance /p"
  i=$((i + 1))
done
resp=$(curl -sS --max-time 10 -i -X POST -H "Content-Type: application/json" \
  -H "Idempotency-Key: smoke-$(date +%s)-$$" --data "{\"name\":\"smoke test\"}" "$base/api/items" | tr -d "\r")
echo "create $(printf "%s\n" "$resp" | head -n 1 | cut -d " " -f 2) $(printf "%s\n" "$resp" | sed -n "s/^[Ll]ocation: //p")"
loc=$(printf "%s\n" "$resp" | sed -n "s/^[Ll]ocation: //p")
echo "read $(curl -sS --max-time 10 -o /dev/null -w "%{http_code}" "$base$loc")"
echo "readbody $(curl -sS --max-time 10 "$base$loc")"
'
# Pod Security restricted, as everything of triad (the client's namespace may enforce it too).
overrides='{"spec":{"automountServiceAccountToken":false,
  "securityContext":{"runAsNonRoot":true,"runAsUser":10001,"runAsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"}},
  "containers":[{"name":"triad-smoke",
    "resources":{"requests":{"cpu":"50m","memory":"32Mi"},"limits":{"cpu":"500m","memory":"64Mi"}},
    "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}'
# The script goes in on stdin (sh -s), so nothing of it needs quoting for the command line.
out=$(kubectl -n "$client_ns" run triad-smoke --image="$image" --restart=Never --rm -i --quiet \
  --pod-running-timeout=2m --override-type=strategic --overrides="$overrides" \
  --command -- sh -s <<< "$client_script") || fail "the client pod in namespace $client_ns failed: $out"

declare -A seen=()
while read -r word name; do [ "$word" = instance ] && seen[$name]=$((${seen[$name]:-0} + 1)); done <<< "$out"
for p in "${pods[@]}"; do
  [ -n "${seen[$p]:-}" ] || fail "pod $p answered none of $requests requests through the Service (answered: $(for k in "${!seen[@]}"; do printf '%s=%s ' "$k" "${seen[$k]}"; done))"
done
[ "${#seen[@]}" -eq "${#pods[@]}" ] || fail "instances that are not ready pods answered: ${!seen[*]}"
echo "smoke: $requests requests through Service triad spread over ${#seen[@]} pod(s): $(for k in "${!seen[@]}"; do printf '%s=%s ' "$k" "${seen[$k]}"; done)"

create=$(sed -n 's/^create //p' <<< "$out")
[[ "$create" =~ ^201\ /api/items/[0-9]+$ ]] || fail "POST /api/items answered '$create', want '201 /api/items/<id>'"
read_status=$(sed -n 's/^read //p' <<< "$out")
body=$(sed -n 's/^readbody //p' <<< "$out")
[ "$read_status" = 200 ] && [[ "$body" == *'"name":"smoke test"'* ]] \
  || fail "GET ${create#201 } answered $read_status $body, want 200 with the created item"
echo "smoke: created ${create#201 } and read it back"

# ---- each pod's admin port ------------------------------------------------------------------
port=18081
for p in "${pods[@]}"; do
  kubectl -n "$ns" port-forward "pod/$p" "$port:8081" >/dev/null 2>&1 &
  pf=$!
  trap 'kill "$pf" 2>/dev/null || true' EXIT
  # Until the forward accepts connections (curl exit 7: refused); any HTTP answer will do.
  deadline=$((SECONDS + 30))
  until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/health/live"; [ $? -ne 7 ]; do
    kill -0 "$pf" 2>/dev/null || fail "pod $p: kubectl port-forward to port 8081 exited (is local port $port free?)"
    [ "$SECONDS" -lt "$deadline" ] || fail "pod $p: kubectl port-forward to port 8081 accepted no connection in 30 s"
    sleep 0.2
  done
  for path in /health/started /health/ready /health/live; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port$path") || code=none
    [ "$code" = 200 ] || fail "pod $p: GET $path on the admin port answered $code, want 200"
  done
  curl -sS --max-time 5 "http://127.0.0.1:$port/metrics" | grep -q '^triad_http_requests_seconds_count{' \
    || fail "pod $p: /metrics has no triad_http_requests_seconds_count"
  kill "$pf" 2>/dev/null || true
  wait "$pf" 2>/dev/null || true
  trap - EXIT
  port=$((port + 1))
done
echo "smoke: every pod answers startup, readiness, liveness and /metrics on its admin port"
echo "smoke: passed"
