// PromQL read with Prometheus' own grammar (@prometheus-io/lezer-promql): shared by the checks
// and by the PrometheusRule generator, which must see the same selectors.
import { parser } from '@prometheus-io/lezer-promql';

/** The value of a PromQL string literal: "..." (Go escapes, as JSON for what rules use), '...' or `...`. */
function stringValue(literal) {
  if (literal.startsWith('"')) return JSON.parse(literal);
  return literal.slice(1, -1);
}

/**
 * Parses a PromQL expression: the first syntax error, and every vector selector with its metric
 * name, its text, and its label matchers ({ label, op, value, from, to }: from/to are the
 * offsets of the matcher's string literal in expr).
 */
export function promql(expr) {
  const tree = parser.parse(expr);
  let error;
  const selectors = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && error === undefined) error = `at ${n.from}: "${expr.slice(Math.max(0, n.from - 20), n.from + 10)}"`;
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        const matchers = [];
        const list = n.node.getChild('LabelMatchers');
        for (let m = list?.firstChild; m; m = m.nextSibling) {
          // {job="x"} or {"job"="x"}; a bare {"name"} is the metric name, not a matcher.
          const quoted = m.getChild('QuotedLabelName')?.getChild('StringLiteral');
          const label = quoted ?? m.getChild('LabelName');
          const op = m.getChild('MatchOp');
          const lit = m.getChildren('StringLiteral').at(-1);
          if (!label || !op || !lit) continue;
          const read = (x) => { try { return stringValue(expr.slice(x.from, x.to)); } catch { return undefined; } };
          matchers.push({ label: quoted ? read(quoted) : expr.slice(label.from, label.to), op: expr.slice(op.from, op.to), value: read(lit), from: lit.from, to: lit.to });
        }
        selectors.push({ name: id ? expr.slice(id.from, id.to) : undefined, text: expr.slice(n.from, n.to), matchers });
      }
    },
  });
  return { error, selectors };
}
