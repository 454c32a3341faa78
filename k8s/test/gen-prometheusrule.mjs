// Regenerates k8s/components/monitoring/prometheusrule.yaml from observability/rules/triad.yml
// (`make k8s-rules`). consistency.test.mjs fails when the committed file and the render differ.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { renderPrometheusRule, RULES_SOURCE } from './lib/prometheusrule.mjs';
import { PROMETHEUS_RULE, REPO } from './lib/paths.mjs';

const text = renderPrometheusRule(fs.readFileSync(path.join(REPO, RULES_SOURCE), 'utf8'));
fs.writeFileSync(PROMETHEUS_RULE, text);
const rules = YAML.parse(text).spec.groups.flatMap((g) => g.rules);
console.log(`wrote ${path.relative(REPO, PROMETHEUS_RULE)} from ${RULES_SOURCE}: ${rules.filter((r) => r.alert).length} alerts, ${rules.filter((r) => r.record).length} recording rules`);
