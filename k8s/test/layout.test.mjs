// (0) One set of files, three ways to apply it: `kubectl apply -f k8s/` (the top level,
// symlinks into base/), `kubectl apply -k k8s/base` (the same objects) and the overlays.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import YAML from 'yaml';
import { appliedFiles, loadApplied } from './lib/load.mjs';
import { K8S, BASE } from './lib/paths.mjs';
import { VARIANTS, overlayNames, renderBase } from './lib/variants.mjs';

const key = (o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const plain = loadApplied().map((x) => x.obj);

describe('layout of k8s/', () => {
  test('each top-level manifest is a symlink to the file of base/ with its name (one place for each fact)', () => {
    const top = appliedFiles();
    assert.ok(top.length >= 7, top.join(', '));
    for (const f of top) {
      assert.ok(fs.lstatSync(f).isSymbolicLink(), `${path.basename(f)} is a copy, not a symlink to base/`);
      assert.equal(fs.realpathSync(f), path.join(fs.realpathSync(BASE), path.basename(f)));
    }
  });
  test('base/kustomization.yaml lists exactly the top-level manifests, in their order', () => {
    const k = YAML.parse(fs.readFileSync(path.join(BASE, 'kustomization.yaml'), 'utf8'));
    assert.deepEqual(k.resources, appliedFiles().map((f) => path.basename(f)));
  });
  test('no kustomization file at the top level (kubectl apply -f k8s/ would read it as an object)', () => {
    assert.deepEqual(fs.readdirSync(K8S).filter((n) => /^kustomization\.ya?ml$|^Kustomization$/.test(n)), []);
  });
  test('kubectl apply -k k8s/base renders the objects of kubectl apply -f k8s/', () => {
    assert.deepEqual(renderBase().map(key).sort(), plain.map(key).sort());
    const byKey = new Map(renderBase().map((o) => [key(o), o]));
    for (const o of plain) assert.deepEqual(byKey.get(key(o)), o, key(o));
  });
  test('kubectl itself reads from k8s/ exactly these objects (symlinks followed, subfolders not)', () => {
    // `label --local` runs kubectl's own file reading for -f, offline.
    const out = execFileSync('kubectl', ['label', '--local', '-f', K8S, 'k8s-test=read', '-o', 'jsonpath={.kind}/{.metadata.namespace}/{.metadata.name}{"\\n"}'], { encoding: 'utf8' });
    assert.deepEqual(out.trim().split('\n'), plain.map(key));
  });
  test('every overlay is one of the tested variants', () => {
    assert.deepEqual(overlayNames(), VARIANTS.filter((v) => v.id !== 'plain').map((v) => v.id).sort());
  });
});
