// The supply chain of a release (issue 22), checked offline:
// - .github/workflows/release.yml: the jobs that run the build's own code (tests, make, npm,
//   Maven plugins with Testcontainers) hold no write scope and no OIDC token; the jobs that hold
//   one run none of it and use no cache; the image is pushed only after the tests, signed only
//   after the vulnerability scan, released only after signing; the build pushes a candidate tag
//   only, X.Y.Z and latest are added (oras tag) to the scanned digest by a job that waits for
//   the scan and the signature; the image SBOMs are attested and attached to the release.
// - every workflow: each action pinned to a full commit SHA, its version in a comment.
// - pom.xml: Jib's base image pulled by digest; Renovate's pattern finds that digest.
// - the Maven wrapper: the distribution's SHA-256.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO, POM } from './lib/paths.mjs';

const WORKFLOWS = path.join(REPO, '.github', 'workflows');
const RELEASE_FILE = path.join(WORKFLOWS, 'release.yml');
const release = YAML.parse(fs.readFileSync(RELEASE_FILE, 'utf8'));
const pom = fs.readFileSync(POM, 'utf8');

/** The shell commands of a job: continuations joined, comments and blank lines dropped. */
function commands(job) {
  return (job.steps ?? []).flatMap((s) => String(s.run ?? '').replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.replace(/^\s*#.*$/, '').trim()).filter(Boolean);
}
const action = (step) => (step.uses ?? '').split('@')[0];

/** The scopes a job may write (id-token counts: it mints the signing identity). */
export function writeScopes(job) {
  const p = job.permissions;
  if (p === 'write-all') return ['write-all'];
  if (!p || typeof p !== 'object') return [];
  return Object.entries(p).filter(([, v]) => v === 'write').map(([k]) => k);
}

// Commands that run the build's own code or third-party packages: tests, make (its targets
// install npm packages), npm and friends, Maven phases that run tests.
const UNTRUSTED = [
  [/(^|[\s;&|(])make(\s|$)/, 'make'],
  [/(^|[\s;&|(])(npm|npx|yarn|pnpm)\s/, 'npm'],
  [/\bnode\s+--test\b/, 'node --test'],
  [/mvnw?\b(?!.*-DskipTests|.*-Dmaven\.test\.skip=true).*\b(test|integration-test|verify|install|deploy)\b/, 'Maven tests'],
];
export function untrustedCommands(job) {
  return commands(job).flatMap((c) => UNTRUSTED.filter(([re]) => re.test(c)).map(([, what]) => `${what}: ${c}`));
}

// Actions that cache unless told not to; any other action caches only when asked to.
const CACHE_BY_DEFAULT = new Set(['actions/setup-go', 'aquasecurity/trivy-action', 'aquasecurity/setup-trivy']);
export function caches(job) {
  const out = [];
  for (const s of job.steps ?? []) {
    const a = action(s);
    const c = s.with?.cache;
    const off = c === false || c === 'false';
    if (/^actions\/cache(\/|$)/.test(a)) out.push(`${s.name ?? a}: ${a}`);
    else if (CACHE_BY_DEFAULT.has(a) ? !off : (c !== undefined && c !== '' && !off)) out.push(`${s.name ?? a}: cache ${c ?? '(default on)'}`);
    else if (s.with?.['cache-dependency-path']) out.push(`${s.name ?? a}: cache-dependency-path`);
  }
  // Jib and Maven keep caches in the home folder, which a self-hosted runner keeps between jobs.
  for (const c of commands(job).filter((x) => /\bjib:(build|dockerBuild|buildTar)\b/.test(x))) {
    for (const prop of ['maven.repo.local', 'jib.baseImageCache', 'jib.applicationCache']) {
      if (!new RegExp(`-D${prop.replace(/\./g, '\\.')}="?\\$RUNNER_TEMP/`).test(c)) out.push(`jib without -D${prop}="$RUNNER_TEMP/...": ${c}`);
    }
  }
  return out;
}

/** Every job a job waits for, directly or not. */
function upstream(wf, name, seen = new Set()) {
  for (const n of [wf.jobs[name]?.needs ?? []].flat()) if (!seen.has(n)) { seen.add(n); upstream(wf, n, seen); }
  return seen;
}
const jobsWhere = (wf, pred) => Object.entries(wf.jobs ?? {}).filter(([, j]) => pred(j)).map(([n]) => n);
const runsTests = (j) => commands(j).some((c) => /^make test\b/.test(c));
const pushesImage = (j) => commands(j).some((c) => /\bjib:build\b/.test(c));
const trivy = (j) => (j.steps ?? []).filter((s) => action(s) === 'aquasecurity/trivy-action');
const blockingScan = (s) => s.with?.['exit-code'] === '1' && /CRITICAL/.test(s.with?.severity ?? '') && /HIGH/.test(s.with?.severity ?? '')
  && /\bos\b/.test(s.with?.['vuln-type'] ?? 'os,library') && /\bneeds\.\w+\.outputs\.digest\b|env\.IMAGE/.test(s.with?.['image-ref'] ?? '');
const scans = (j) => trivy(j).some(blockingScan);
const attestedSboms = (j) => (j.steps ?? []).filter((s) => action(s) === 'actions/attest' && s.with?.['sbom-path']).map((s) => s.with['sbom-path']);
/** A job's file names with ${{ matrix.x }} expanded over its matrix. */
function expand(job, name) {
  const m = /\$\{\{\s*matrix\.(\w+)\s*\}\}/.exec(name);
  if (!m) return [name];
  return (job.strategy?.matrix?.[m[1]] ?? []).flatMap((v) => expand(job, name.replace(m[0], v)));
}

// Release tags: X.Y.Z (the git tag without its v) and latest. The build pushes neither, only a
// candidate; a job after the scan and the signature adds both to the digest that was scanned.
const VERSION_EXPR = /\$\{GITHUB_REF_NAME#v\}|\$\{\{\s*github\.ref_name\s*\}\}|\$\{?GITHUB_REF_NAME\}?/g;
const POM_VERSION = '${triad.version} (pom.xml)';
const isReleaseTag = (t) => t === 'latest' || t === POM_VERSION || /^v?$/.test(t.replace(VERSION_EXPR, ''));
/** A job's variables: its env, then the run steps' own name=value lines. */
function variables(job) {
  const vars = { ...job.env };
  for (const s of job.steps ?? []) Object.assign(vars, s.env);
  for (const c of commands(job)) {
    const m = /^(\w+)=(?:"([^"]*)"|'([^']*)'|(\S*))$/.exec(c);
    if (m) vars[m[1]] = m[2] ?? m[3] ?? m[4];
  }
  return vars;
}
/** A string with the job's variables ($x, ${x}, ${{ env.x }}) replaced, until nothing changes. */
function substitute(vars, text) {
  let prev;
  do {
    prev = text;
    text = text.replace(/\$\{\{\s*env\.(\w+)\s*\}\}|\$\{(\w+)\}|\$(\w+)/g, (all, a, b, c) => vars[a ?? b ?? c] ?? all);
  } while (text !== prev);
  return text;
}
const words = (c) => (c.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
const tagOf = (ref) => { const name = ref.split('@')[0]; const i = name.lastIndexOf(':'); return i > name.lastIndexOf('/') ? name.slice(i + 1) : 'latest'; };
const arg = (c, name) => { const m = new RegExp(`-D${name.replace(/\./g, '\\.')}=(?:"([^"]*)"|(\\S*))`).exec(c); return m ? (m[1] ?? m[2]) : undefined; };
/** The tags a job's jib:build pushes: -Djib.to.image's (pom.xml's when not given), plus -Djib.to.tags (pom.xml's <to><tags> when not given). */
export function jibTags(job, pomXml = pom) {
  const vars = variables(job);
  const pomTags = [.../<to>[\s\S]*?<\/to>/.exec(pomXml)?.[0].matchAll(/<tag>([^<]*)<\/tag>/g) ?? []].map((m) => m[1]);
  return commands(job).filter((c) => /\bjib:build\b/.test(c)).flatMap((c) => {
    const image = arg(c, 'jib.to.image');
    const tags = arg(c, 'jib.to.tags');
    return [image === undefined ? POM_VERSION : tagOf(substitute(vars, image)),
      ...(tags === undefined ? pomTags : tags.split(',').map((t) => substitute(vars, t.trim())))];
  });
}
/** What a job's `oras tag SOURCE TAG...` commands do, with its variables expanded. */
export function orasTags(job) {
  const vars = variables(job);
  return commands(job).map(words).filter((w) => w[0] === 'oras' && w[1] === 'tag').map((w) => {
    const [source, ...tags] = w.slice(2).filter((x) => !x.startsWith('-')).map((x) => substitute(vars, x));
    return { source, tags };
  });
}
// Other ways to put a tag on an image: the check reads only `oras tag`, so it refuses them.
const OTHER_TAGGERS = [/\bcrane\s+(tag|copy|cp|append|mutate)\b/, /\bimagetools\s+create\b/, /\bskopeo\s+copy\b/, /\bcosign\s+copy\b/,
  /\bregctl\s+(tag|image\s+copy)\b/, /\bdocker\s+(push|tag)\b/, /\boras\s+(cp|copy|push|manifest\s+push)\b/, /\bjib:(build|dockerBuild)\b/];

/** What is wrong with a release workflow: one line per problem. */
export function releaseProblems(wf) {
  const out = [];
  if (!wf.permissions || typeof wf.permissions !== 'object' || Object.keys(wf.permissions).length) {
    out.push(`top level: permissions must be {} (each job names its own), not ${JSON.stringify(wf.permissions)}`);
  }
  for (const [name, job] of Object.entries(wf.jobs ?? {})) {
    if (job.permissions === undefined) out.push(`${name}: names no permissions of its own`);
    const w = writeScopes(job);
    const u = untrustedCommands(job);
    if (w.length && u.length) out.push(`${name}: holds ${w.join(', ')} and runs ${u.join(' | ')}`);
    const c = caches(job);
    if (w.length && c.length) out.push(`${name}: holds ${w.join(', ')} and uses a cache: ${c.join(' | ')}`);
    if (w.includes('id-token') && (job.steps ?? []).some((s) => action(s) === 'actions/checkout')) {
      out.push(`${name}: holds id-token and checks out the repository (signing runs none of its code)`);
    }
  }
  const tests = jobsWhere(wf, runsTests);
  if (!tests.length) out.push('no job runs make test');
  const pushers = jobsWhere(wf, pushesImage);
  if (!pushers.length) out.push('no job pushes the image (jib:build)');
  for (const p of pushers) {
    if (!tests.some((t) => upstream(wf, p).has(t))) out.push(`${p}: pushes without waiting for the tests (${tests.join(', ') || 'none'})`);
    for (const c of commands(wf.jobs[p]).filter((x) => /\bjib:build\b/.test(x))) {
      if (/-Djib\.from\.image=/.test(c)) out.push(`${p}: overrides the base image pinned in pom.xml: ${c}`);
    }
  }
  const scanners = jobsWhere(wf, scans);
  if (!scanners.length) out.push('no job scans the pushed image with Trivy (exit-code 1, CRITICAL and HIGH, OS packages)');
  for (const s of scanners) if (!pushers.some((p) => upstream(wf, s).has(p))) out.push(`${s}: scans before the image is pushed`);
  const signers = jobsWhere(wf, (j) => (j.steps ?? []).some((s) => /\bcosign sign\b/.test(s.run ?? '')));
  if (!signers.length) out.push('no job signs the image (cosign sign)');
  for (const s of signers) {
    if (!writeScopes(wf.jobs[s]).includes('id-token')) out.push(`${s}: signs without id-token: write`);
    if (!scanners.some((x) => upstream(wf, s).has(x))) out.push(`${s}: signs without waiting for the scan (${scanners.join(', ') || 'none'})`);
  }
  // The release tags: none from the build, both added after the scan and the signature, to the scanned digest.
  for (const p of pushers) {
    const tags = jibTags(wf.jobs[p]);
    const release = tags.filter(isReleaseTag);
    if (release.length) out.push(`${p}: pushes the release tag${release.length > 1 ? 's' : ''} ${release.join(', ')} from the build, before the scan and the signature: push a candidate tag only (-Djib.to.image=<image>:<candidate> -Djib.to.tags=<candidate>)`);
    for (const t of tags.filter((x) => /\$\{?[a-z_]/.test(x))) out.push(`${p}: pushes a tag this check cannot read: ${t}`);
  }
  const scannedRefs = scanners.flatMap((s) => trivy(wf.jobs[s]).filter(blockingScan).map((x) => substitute(variables(wf.jobs[s]), x.with['image-ref'])));
  let taggedVersion = false;
  let taggedLatest = false;
  for (const [name, job] of Object.entries(wf.jobs ?? {})) {
    for (const c of commands(job)) {
      const other = OTHER_TAGGERS.find((re) => re.test(c) && !(pushers.includes(name) && /\bjib:build\b/.test(c)));
      if (other) out.push(`${name}: tags or pushes with a command this check does not read (it reads oras tag): ${c}`);
    }
    const tagging = orasTags(job);
    if (!tagging.length) continue;
    const up = upstream(wf, name);
    for (const s of scanners) if (!up.has(s)) out.push(`${name}: adds tags without waiting for the scan (${s})`);
    for (const s of signers) if (!up.has(s)) out.push(`${name}: adds tags without waiting for the signature (${s})`);
    if (!scanners.length || !signers.length) out.push(`${name}: adds tags, but no job scans and signs first`);
    const w = writeScopes(job);
    if (w.join() !== 'packages') out.push(`${name}: adds tags holding ${w.join(', ') || 'no write scope'}: packages: write and nothing else`);
    if ((job.steps ?? []).some((s) => action(s) === 'actions/checkout')) out.push(`${name}: adds tags and checks out the repository (it runs none of its code)`);
    for (const { source, tags } of tagging) {
      const digest = /@(\$\{\{\s*needs\.(\w+)\.outputs\.digest\s*\}\})$/.exec(source ?? '');
      if (!digest || !pushers.includes(digest[2])) out.push(`${name}: tags ${source}, not the digest the build pushed (<image>@\${{ needs.<build>.outputs.digest }})`);
      else if (!scannedRefs.length || !scannedRefs.every((r) => r === source)) out.push(`${name}: tags ${source}, not the digest the scan checked (${scannedRefs.join(', ') || 'none'})`);
      else {
        taggedVersion ||= tags.some((t) => t !== 'latest' && isReleaseTag(t));
        taggedLatest ||= tags.includes('latest');
      }
    }
  }
  if (!taggedVersion || !taggedLatest) out.push(`no job tags the scanned and signed digest ${[!taggedVersion && 'X.Y.Z', !taggedLatest && 'latest'].filter(Boolean).join(' and ')} (oras tag)`);
  const releasers = jobsWhere(wf, (j) => commands(j).some((c) => /\bgh release create\b/.test(c)));
  if (!releasers.length) out.push('no job creates the GitHub release');
  for (const r of releasers) if (!signers.some((s) => upstream(wf, r).has(s))) out.push(`${r}: releases without waiting for the signature`);
  // The image SBOMs: written by Trivy (CycloneDX), attested by the signer, attached to the release.
  const imageSboms = Object.values(wf.jobs ?? {}).flatMap((j) => trivy(j).filter((s) => s.with?.format === 'cyclonedx' && s.with?.output)
    .flatMap((s) => expand(j, s.with.output)));
  if (!imageSboms.length) out.push('no step writes an image SBOM (Trivy, format cyclonedx)');
  const attested = signers.flatMap((s) => attestedSboms(wf.jobs[s]));
  for (const f of imageSboms) if (!attested.includes(f)) out.push(`image SBOM ${f}: not attested by ${signers.join(', ') || 'a signing job'}`);
  if (!attested.includes('bom.json')) out.push('the service SBOM (bom.json) is not attested');
  const releaseRun = releasers.map((r) => commands(wf.jobs[r]).join('\n')).join('\n');
  for (const f of imageSboms) if (!releaseRun.includes(f.replace(/linux-\w+/, 'linux-$arch'))) out.push(`image SBOM ${f}: not attached to the release`);
  return out;
}

/** Every `uses:` of a workflow's text that is not pinned to a commit SHA with its version in a comment. */
export function unpinned(text) {
  const out = [];
  for (const [i, line] of text.split('\n').entries()) {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(\S+))?/.exec(line);
    if (!m || m[1].startsWith('./')) continue;
    const [, ref, version] = m;
    const ok = ref.startsWith('docker://') ? /@sha256:[0-9a-f]{64}$/.test(ref) : /^[^@\s]+@[0-9a-f]{40}$/.test(ref) && /^v?\d/.test(version ?? '');
    if (!ok) out.push(`line ${i + 1}: ${ref}${version ? ` # ${version}` : ''}`);
  }
  return out;
}

const prop = (name, xml = pom) => new RegExp(`<${name.replace(/\./g, '\\.')}>([^<]*)</${name.replace(/\./g, '\\.')}>`).exec(xml)?.[1];

describe('release workflow', () => {
  test('tests hold no write scope, writers run no tests and no cache, push (a candidate tag) > scan > sign > tag X.Y.Z and latest > release, SBOMs attested and released', () => {
    assert.deepEqual(releaseProblems(release), []);
  });
  const broken = [
    ['the tests get an OIDC token', (wf) => { wf.jobs.test.permissions['id-token'] = 'write'; }, /^test: holds id-token and runs make/],
    ['the tests run in the job that pushes', (wf) => { wf.jobs.publish.steps.push({ run: 'make test' }); }, /^publish: holds packages and runs make: make test/],
    ['npm install where the image is pushed', (wf) => { wf.jobs.publish.steps.push({ run: 'cd e2e && npm ci' }); }, /^publish: holds packages and runs npm/],
    ['a Maven cache where the image is pushed', (wf) => { wf.jobs.publish.steps.find((s) => action(s) === 'actions/setup-java').with.cache = 'maven'; }, /^publish: holds packages and uses a cache: .*cache maven/],
    ['actions/cache where the image is signed', (wf) => { wf.jobs.sign.steps.unshift({ uses: 'actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830', with: { path: '~/.m2', key: 'k' } }); }, /^sign: holds .* and uses a cache: .*actions\/cache/],
    ['Jib\'s cache from the home folder', (wf) => { const s = wf.jobs.publish.steps.find((x) => /jib:build/.test(x.run ?? '')); s.run = s.run.replace(/-Djib\.baseImageCache=\S+/, ''); }, /^publish: holds packages and uses a cache: jib without -Djib\.baseImageCache/],
    ['a checkout where the OIDC token is', (wf) => { wf.jobs.sign.steps.unshift({ uses: 'actions/checkout@11d5960a326750d5838078e36cf38b85af677262' }); }, /^sign: holds id-token and checks out/],
    ['a write scope at the top level', (wf) => { wf.permissions = { contents: 'write' }; }, /^top level: permissions must be \{\}/],
    ['pushing before the tests pass', (wf) => { delete wf.jobs.publish.needs; }, /^publish: pushes without waiting for the tests/],
    ['signing before the scan', (wf) => { wf.jobs.sign.needs = ['publish']; }, /^sign: signs without waiting for the scan/],
    ['a scan that does not fail', (wf) => { for (const s of trivy(wf.jobs.scan)) delete s.with['exit-code']; }, /^no job scans the pushed image/],
    ['the base image overridden by tag', (wf) => { const s = wf.jobs.publish.steps.find((x) => /jib:build/.test(x.run ?? '')); s.run = s.run.replace('jib:build', 'jib:build -Djib.from.image=eclipse-temurin:25-jre'); }, /^publish: overrides the base image/],
    ['no image SBOM', (wf) => { wf.jobs.scan.steps = wf.jobs.scan.steps.filter((s) => s.with?.format !== 'cyclonedx'); }, /^no step writes an image SBOM/],
    ['the release tags pushed by the build (X.Y.Z, and latest from pom.xml)', (wf) => { const s = wf.jobs.publish.steps.find((x) => /jib:build/.test(x.run ?? '')); s.run = s.run.replace('-Djib.to.image="$image:$candidate" -Djib.to.tags="$candidate"', '-Djib.to.image="$image:${GITHUB_REF_NAME#v}"'); }, /^publish: pushes the release tags \$\{GITHUB_REF_NAME#v\}, latest from the build/],
    ['latest pushed by the build (pom.xml\'s <tags> not replaced)', (wf) => { const s = wf.jobs.publish.steps.find((x) => /jib:build/.test(x.run ?? '')); s.run = s.run.replace(' -Djib.to.tags="$candidate"', ''); }, /^publish: pushes the release tag latest from the build/],
    ['the tags added in the job that pushes', (wf) => { wf.jobs.publish.steps.push(...wf.jobs.promote.steps.filter((s) => /oras/.test(s.run ?? s.uses))); delete wf.jobs.promote; wf.jobs['github-release'].needs = ['publish', 'sign']; }, /^publish: adds tags without waiting for the scan/],
    ['the tags added before the signature', (wf) => { wf.jobs.promote.needs = ['publish', 'scan']; }, /^promote: adds tags without waiting for the signature \(sign\)/],
    ['the tags added to the candidate tag, not the scanned digest', (wf) => { const s = wf.jobs.promote.steps.find((x) => /oras tag/.test(x.run ?? '')); s.run = s.run.replace('"$IMAGE@$DIGEST"', '"$IMAGE:${GITHUB_REF_NAME#v}-candidate.${GITHUB_RUN_ID}.${GITHUB_RUN_ATTEMPT}"'); }, /^promote: tags .*-candidate\..*, not the digest the build pushed/],
    ['the tags added with a tool the check does not read', (wf) => { const s = wf.jobs.promote.steps.find((x) => /oras tag/.test(x.run ?? '')); s.run = s.run.replace(/oras tag .*/, 'docker buildx imagetools create -t "$IMAGE:${GITHUB_REF_NAME#v}" -t "$IMAGE:latest" "$IMAGE@$DIGEST"'); }, /^promote: tags or pushes with a command this check does not read/],
    ['latest never added', (wf) => { const s = wf.jobs.promote.steps.find((x) => /oras tag/.test(x.run ?? '')); s.run = s.run.replace('"$version" latest', '"$version"'); }, /^no job tags the scanned and signed digest latest/],
    ['the promoting job holds more than packages: write', (wf) => { wf.jobs.promote.permissions['id-token'] = 'write'; }, /^promote: adds tags holding packages, id-token/],
    ['an image SBOM not attested', (wf) => { wf.jobs.sign.steps = wf.jobs.sign.steps.filter((s) => !/image-sbom-linux-arm64/.test(s.with?.['sbom-path'] ?? '')); }, /^image SBOM image-sbom-linux-arm64\.cdx\.json: not attested/],
  ];
  for (const [what, mutate, expected] of broken) {
    test(`refused: ${what}`, () => {
      const wf = structuredClone(release);
      mutate(wf);
      const p = releaseProblems(wf);
      assert.ok(p.some((x) => expected.test(x)), `expected ${expected} among ${JSON.stringify(p)}`);
    });
  }
});

describe('every workflow', () => {
  const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
  test('there are workflows to check', () => assert.ok(files.includes('release.yml') && files.includes('ci.yml'), files.join(', ')));
  for (const f of files) {
    test(`${f}: every action pinned to a full commit SHA, its version in a comment`, () => {
      assert.deepEqual(unpinned(fs.readFileSync(path.join(WORKFLOWS, f), 'utf8')), []);
    });
  }
  test('a tag, a short SHA or a missing version comment is reported', () => {
    assert.deepEqual(unpinned([
      '      - uses: actions/checkout@v4',
      '        uses: actions/setup-java@cf277c6 # v4.9.1',
      '      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020',
      '      - uses: ./.github/actions/local',
      '      - uses: docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121 # v4.1.0',
    ].join('\n')), ['line 1: actions/checkout@v4', 'line 2: actions/setup-java@cf277c6 # v4.9.1', 'line 3: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020']);
  });
});

describe('the base image', () => {
  test('Jib pulls pom.xml\'s image.base by the digest in image.base.digest; image.base stays the plain name (.ci/run reads it)', () => {
    assert.match(prop('image.base.digest') ?? '', /^sha256:[0-9a-f]{64}$/, 'image.base.digest');
    assert.match(prop('image.base') ?? '', /^[^@\s]+:[^@\s]+$/, 'image.base: name:tag, no digest');
    const jib = /<artifactId>jib-maven-plugin<\/artifactId>[\s\S]*?<\/plugin>/.exec(pom)?.[0] ?? '';
    assert.equal(/<from>\s*<image>([^<]*)<\/image>/.exec(jib)?.[1], '${image.base}@${image.base.digest}');
    // No profile (multi-arch is the release's) names another base.
    const images = [...pom.matchAll(/<from>[\s\S]*?<\/from>/g)].flatMap((m) => [...m[0].matchAll(/<image>([^<]*)<\/image>/g)].map((x) => x[1]));
    assert.deepEqual([...new Set(images)], ['${image.base}@${image.base.digest}']);
  });
  test('Renovate\'s pattern (.github/renovate.json) finds the name, tag and digest in pom.xml', () => {
    const config = JSON.parse(fs.readFileSync(path.join(REPO, '.github', 'renovate.json'), 'utf8'));
    const manager = config.customManagers.find((m) => m.managerFilePatterns.some((p) => new RegExp(p.slice(1, -1)).test('pom.xml')));
    assert.equal(manager?.datasourceTemplate, 'docker');
    const g = new RegExp(manager.matchStrings[0]).exec(pom)?.groups;
    assert.deepEqual({ ...g }, { depName: prop('image.base').split(':')[0], currentValue: prop('image.base').split(':')[1], currentDigest: prop('image.base.digest') });
  });
});

describe('the Maven wrapper', () => {
  const props = Object.fromEntries(fs.readFileSync(path.join(REPO, '.mvn', 'wrapper', 'maven-wrapper.properties'), 'utf8')
    .split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  test('downloads Maven from Maven Central and checks its SHA-256 (distributionSha256Sum)', () => {
    assert.match(props.distributionUrl ?? '', /^https:\/\/repo\.maven\.apache\.org\/maven2\/org\/apache\/maven\/apache-maven\/[\d.]+\/apache-maven-[\d.]+-bin\.zip$/);
    assert.match(props.distributionSha256Sum ?? '', /^[0-9a-f]{64}$/);
  });
  test('a wrapper with a jar checks the jar too (wrapperSha256Sum)', () => {
    if (props.distributionType === 'only-script') {
      assert.ok(!fs.existsSync(path.join(REPO, '.mvn', 'wrapper', 'maven-wrapper.jar')), 'only-script, yet a maven-wrapper.jar is committed');
    } else {
      assert.match(props.wrapperSha256Sum ?? '', /^[0-9a-f]{64}$/);
    }
  });
});
