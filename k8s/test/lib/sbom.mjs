// Checks of the CycloneDX SBOM that the build writes (target/bom.json, cyclonedx-maven-plugin,
// which also validates it against the CycloneDX JSON schema while writing it). The facts
// come from pom.xml and from the jars the build packages (target/libs, what the image runs).

/** The versions pom.xml pins: the Helidon parent, pgjdbc and Jedis, and the project itself. */
export function pomVersions(xml) {
  const noComments = xml.replace(/<!--[\s\S]*?-->/g, '');
  const parent = /<parent>([\s\S]*?)<\/parent>/.exec(noComments)?.[1] ?? '';
  const tag = (text, name) => new RegExp(`<${name.replace(/\./g, '\\.')}>\\s*([^<\\s]+)\\s*</${name.replace(/\./g, '\\.')}>`).exec(text)?.[1];
  const top = noComments.replace(/<parent>[\s\S]*?<\/parent>/, '')
    .replace(/<(properties|dependencies|dependencyManagement|build|profiles)>[\s\S]*?<\/\1>/g, '');
  return {
    project: { group: tag(top, 'groupId'), name: tag(top, 'artifactId'), version: tag(top, 'version') },
    helidon: tag(parent, 'groupId') === 'io.helidon.applications' ? tag(parent, 'version') : undefined,
    postgresql: tag(noComments, 'version.postgresql'),
    jedis: tag(noComments, 'version.jedis'),
  };
}

/** Problems of a parsed BOM (empty = fine). libs: file names of the packaged runtime jars. */
export function sbomProblems(bom, pom, libs = []) {
  const p = [];
  if (bom?.bomFormat !== 'CycloneDX') return [`not a CycloneDX BOM (bomFormat ${bom?.bomFormat})`];
  if (!/^1\.[4-9]$/.test(String(bom.specVersion))) p.push(`specVersion ${bom.specVersion}, want 1.4 or newer`);
  if (!/^urn:uuid:[0-9a-f-]{36}$/.test(String(bom.serialNumber))) p.push(`serialNumber ${bom.serialNumber} is no urn:uuid`);
  const me = bom.metadata?.component;
  if (me?.name !== pom.project.name || me?.version !== pom.project.version) p.push(`metadata.component is ${me?.name}@${me?.version}, not ${pom.project.name}@${pom.project.version}`);
  const components = bom.components ?? [];
  const refs = new Set();
  for (const c of components) {
    if (!c.version) p.push(`component ${c.group}:${c.name} has no version`);
    if (!String(c.purl).startsWith(`pkg:maven/${c.group}/${c.name}@${c.version}`)) p.push(`component ${c.group}:${c.name} purl ${c.purl} does not match its version ${c.version}`);
    if (refs.has(c['bom-ref'])) p.push(`bom-ref ${c['bom-ref']} twice`);
    refs.add(c['bom-ref']);
  }
  const has = (group, name, version) => components.some((c) => c.group === group && (name instanceof RegExp ? name.test(c.name) : c.name === name) && c.version === version);
  if (!pom.helidon || !has('io.helidon.webserver', 'helidon-webserver', pom.helidon)) p.push(`no io.helidon.webserver:helidon-webserver@${pom.helidon} (the Helidon of pom.xml's parent)`);
  if (!pom.postgresql || !has('org.postgresql', 'postgresql', pom.postgresql)) p.push(`no org.postgresql:postgresql@${pom.postgresql} (pgjdbc, pom.xml version.postgresql)`);
  if (!pom.jedis || !has('redis.clients', 'jedis', pom.jedis)) p.push(`no redis.clients:jedis@${pom.jedis} (pom.xml version.jedis)`);
  // Every jar the image ships is listed, at its version; nothing only tests use.
  for (const jar of libs) {
    if (!components.some((c) => `${c.name}-${c.version}.jar` === jar)) p.push(`target/libs/${jar} is not in the BOM`);
  }
  for (const c of components) {
    if (/^(junit-jupiter|testcontainers|hamcrest|assertj-core|mockito-core)$/.test(c.name)) p.push(`test dependency ${c.group}:${c.name} is in the BOM`);
  }
  return p;
}
