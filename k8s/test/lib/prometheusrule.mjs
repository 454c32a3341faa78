// The PrometheusRule of components/monitoring, rendered from the rules of Compose's `observe`
// profile (observability/rules/triad.yml, tested with promtool by `make rules-test`): one
// source of truth, so the two cannot drift. `make k8s-rules` writes it; consistency.test.mjs
// fails when the committed file and this render differ.
import YAML from 'yaml';
import { promql } from './promql.mjs';

export const RULES_SOURCE = 'observability/rules/triad.yml';
export const RULE_NAME = 'triad';
// The service's scrape job: Compose's job name -> the PodMonitor's <namespace>/<name>.
export const JOB = { compose: 'triad', k8s: 'triad/triad' };
// Scrape jobs of the exporters that only Compose runs (k8s/ has none): rules that read them
// are left out.
export const COMPOSE_ONLY_JOBS = ['nginx', 'postgres', 'redis'];

// Compose hints in the annotations -> their Kubernetes equivalents, applied in this order to
// every annotation of the rules kept. Each text must occur at least once, and no Compose
// word (FORBIDDEN) may remain: a new or changed hint in the source fails the render instead
// of reaching a cluster's alerts.
export const ANNOTATION_REWRITES = [
  ['`make ps`', '`kubectl -n triad get pods`'],
  ['`make logs SERVICE={{ $labels.instance }}`', '`kubectl -n triad logs {{ $labels.pod }}`'],
  // Compose's Nginx retries another instance; in Kubernetes the Service drops a pod from its
  // endpoints once the pod's readiness probe fails.
  ['Nginx routes around it', 'The Service stops routing to it once its readiness probe fails'],
  // Compose relabels instance to web1..web3; a PodMonitor's instance is the pod's IP:port, and
  // the Prometheus Operator adds the pod's name as label pod.
  ['{{ $labels.instance }}', '{{ $labels.pod }}'],
];
const FORBIDDEN = [/\bmake /, /SERVICE=/, /\bcompose\b/i, /\bnginx\b/i, /\$labels\.instance\b/];

const LABELS = {
  'app.kubernetes.io/name': 'triad',
  'app.kubernetes.io/instance': 'triad',
  'app.kubernetes.io/component': 'api',
  'app.kubernetes.io/part-of': 'triad',
};

const regexMatches = (re, s) => new RegExp(`^(?:${re})$`).test(s);

/** The Compose-only jobs a job matcher selects ([] for job="triad"); throws on any other matcher. */
function composeOnlyJobs(rule, m, text) {
  if (m.op === '=' && m.value === JOB.compose) return [];
  const jobs = COMPOSE_ONLY_JOBS.filter((j) => (m.op === '=' ? m.value === j : m.op === '=~' ? regexMatches(m.value, j) : false));
  if (jobs.length === 0 || (m.op === '=~' && regexMatches(m.value, JOB.compose))) {
    throw new Error(`${rule}: ${text}: job matcher neither job="${JOB.compose}" nor one over the Compose exporters (${COMPOSE_ONLY_JOBS.join(', ')}): teach lib/prometheusrule.mjs what it means in Kubernetes`);
  }
  return jobs;
}

/** The rules file (text) -> the PrometheusRule manifest (text), deterministic. */
export function renderPrometheusRule(rulesYamlText) {
  const source = YAML.parse(rulesYamlText);
  if (!Array.isArray(source?.groups) || source.groups.length === 0) throw new Error(`${RULES_SOURCE}: no groups`);
  const all = source.groups.flatMap((g) => {
    if (!g?.name || !Array.isArray(g.rules)) throw new Error(`${RULES_SOURCE}: group without name or rules`);
    return g.rules;
  });
  const nameOf = (r) => r.alert ?? r.record;
  for (const r of all) if (!nameOf(r) || typeof r.expr !== 'string') throw new Error(`${RULES_SOURCE}: a rule without alert/record or expr: ${JSON.stringify(r)}`);

  // Why each rule is left out: the Compose-only selectors it reads, directly or through a
  // series recorded by a rule left out.
  const parsed = new Map(all.map((r) => {
    const { error, selectors } = promql(r.expr);
    if (error) throw new Error(`${nameOf(r)}: not valid PromQL: ${error}`);
    return [r, selectors];
  }));
  const leftOut = new Map();
  for (const r of all) {
    const reads = parsed.get(r).filter((s) => s.matchers.some((m) => m.label === 'job' && composeOnlyJobs(nameOf(r), m, s.text).length));
    if (reads.length) leftOut.set(r, reads.map((s) => s.text));
  }
  for (let changed = true; changed;) {
    changed = false;
    const gone = new Set([...leftOut.keys()].filter((r) => r.record).map((r) => r.record));
    for (const r of all) {
      if (leftOut.has(r)) continue;
      const uses = parsed.get(r).filter((s) => gone.has(s.name));
      if (uses.length) { leftOut.set(r, uses.map((s) => `${s.name} (recorded by a rule left out)`)); changed = true; }
    }
  }

  const used = new Array(ANNOTATION_REWRITES.length).fill(0);
  const rewriteAnnotation = (text) => ANNOTATION_REWRITES.reduce((t, [from, to], i) => {
    const parts = t.split(from);
    used[i] += parts.length - 1;
    return parts.join(to);
  }, text);
  // job="triad" -> job="triad/triad", at the matchers' own offsets (nothing else of expr changes).
  const rewriteExpr = (r) => {
    let expr = r.expr;
    const literals = parsed.get(r).flatMap((s) => s.matchers.filter((m) => m.label === 'job')).sort((a, b) => b.from - a.from);
    for (const m of literals) expr = expr.slice(0, m.from) + JSON.stringify(JOB.k8s) + expr.slice(m.to);
    return expr;
  };

  const groups = [];
  for (const g of source.groups) {
    const rules = g.rules.filter((r) => !leftOut.has(r)).map((r) => {
      const out = { ...r, expr: rewriteExpr(r) };
      if (r.annotations) out.annotations = Object.fromEntries(Object.entries(r.annotations).map(([k, v]) => [k, rewriteAnnotation(String(v))]));
      return out;
    });
    if (rules.length) groups.push({ ...g, rules });
  }
  ANNOTATION_REWRITES.forEach(([from], i) => {
    if (used[i] === 0) throw new Error(`${RULES_SOURCE}: the Compose text ${JSON.stringify(from)} of ANNOTATION_REWRITES no longer occurs in the rules kept: update the table in lib/prometheusrule.mjs`);
  });
  const spec = { groups };
  const specText = JSON.stringify(spec);
  for (const re of FORBIDDEN) {
    const hit = groups.flatMap((g) => g.rules).find((r) => re.test(JSON.stringify(r)));
    if (hit) throw new Error(`${nameOf(hit)}: ${re} remains after ANNOTATION_REWRITES (a Compose hint): add its Kubernetes equivalent to the table in lib/prometheusrule.mjs`);
  }
  if (specText.includes(`job=\\"${JOB.compose}\\"`)) throw new Error(`job="${JOB.compose}" remains in the render`);

  const doc = new YAML.Document({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: RULE_NAME, namespace: 'triad', labels: LABELS },
    spec,
  });
  // Multi-line expressions stay literal blocks, as in the source.
  YAML.visit(doc, {
    Scalar(_, node) { if (typeof node.value === 'string' && node.value.includes('\n')) node.type = 'BLOCK_LITERAL'; },
  });
  const gone = [...leftOut].map(([r, reads]) => `   ${nameOf(r)}: ${[...new Set(reads)].join(', ')}`);
  doc.commentBefore = [
    ` GENERATED by \`make k8s-rules\` from ${RULES_SOURCE}: do not edit, regenerate.`,
    ' k8s/test fails when this file and that render differ. The source explains each rule, and',
    ' promtool tests it (`make rules-test`). Here: every group and rule of it, the service\'s scrape',
    ` job="${JOB.compose}" replaced by the PodMonitor's job="${JOB.k8s}" (<namespace>/<name>), and the`,
    ' Compose hints of the annotations by kubectl ones (k8s/test/lib/prometheusrule.mjs).',
    ...(gone.length ? [
      ' Left out: the rules that read exporters only Compose runs (k8s/ has none):',
      ...gone,
    ] : []),
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
