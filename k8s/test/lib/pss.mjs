// Pod Security Standards, "restricted" profile (which includes "baseline"), version "latest",
// as the Kubernetes documentation defines it; plus this project's own hardening rules.
// Each function returns a list of violations for one pod spec (empty = compliant).

const ALLOWED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret', 'image']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

export const allContainers = (spec) => [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];

/** Violations of Pod Security "restricted" (latest) in one pod spec. */
export function restrictedViolations(spec) {
  const v = [];
  const psc = spec.securityContext ?? {};
  // --- baseline
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k] === true) v.push(`${k}: true`);
  if (psc.windowsOptions?.hostProcess === true) v.push('pod windowsOptions.hostProcess');
  for (const vol of spec.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== 'name');
    if (type === 'hostPath') v.push(`volume ${vol.name}: hostPath`);
    // --- restricted: volume types
    if (!ALLOWED_VOLUME_TYPES.has(type)) v.push(`volume ${vol.name}: type ${type} not allowed`);
  }
  for (const s of psc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`unsafe sysctl ${s.name}`);
  const checkSeLinux = (o, where) => {
    if (!o) return;
    if (!SELINUX_TYPES.has(o.type ?? '')) v.push(`${where} seLinuxOptions.type ${o.type}`);
    if (o.user || o.role) v.push(`${where} seLinuxOptions.user/role set`);
  };
  checkSeLinux(psc.seLinuxOptions, 'pod');
  const badProfile = (p) => p && !['RuntimeDefault', 'Localhost'].includes(p.type);
  if (psc.appArmorProfile && badProfile(psc.appArmorProfile)) v.push(`pod appArmorProfile ${psc.appArmorProfile.type}`);
  // --- restricted: pod-level fields that containers may inherit
  if (psc.runAsUser === 0) v.push('pod runAsUser 0');
  if (psc.seccompProfile && badProfile(psc.seccompProfile)) v.push(`pod seccompProfile ${psc.seccompProfile.type}`);

  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged === true) v.push(`${at}: privileged`);
    if (sc.windowsOptions?.hostProcess === true) v.push(`${at}: windowsOptions.hostProcess`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${at}: hostPort ${p.hostPort}`);
    checkSeLinux(sc.seLinuxOptions, at);
    if (sc.procMount && sc.procMount !== 'Default') v.push(`${at}: procMount ${sc.procMount}`);
    if (sc.appArmorProfile && badProfile(sc.appArmorProfile)) v.push(`${at}: appArmorProfile ${sc.appArmorProfile.type}`);
    // restricted
    if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation is not false`);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) v.push(`${at}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) v.push(`${at}: runAsUser 0`);
    const seccomp = sc.seccompProfile ?? psc.seccompProfile;
    if (!seccomp || badProfile(seccomp)) v.push(`${at}: seccompProfile is not RuntimeDefault or Localhost`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${at}: capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') v.push(`${at}: adds capability ${cap}`);
  }
  return v;
}

/** The project's own rules on top of "restricted" (from the issue). */
export function hardeningViolations(spec) {
  const v = [];
  const psc = spec.securityContext ?? {};
  if (spec.automountServiceAccountToken !== false) v.push('automountServiceAccountToken is not false (no pod here talks to the API server)');
  for (const c of allContainers(spec)) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (!Number.isInteger(uid) || uid <= 0) v.push(`${at}: no numeric non-root runAsUser`);
    if (sc.readOnlyRootFilesystem !== true) v.push(`${at}: readOnlyRootFilesystem is not true`);
    for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) {
      if (c.resources?.[kind]?.[r] === undefined) v.push(`${at}: no ${r} ${kind}`);
    }
    if (!c.image || /:latest$/.test(c.image) || !/:[^/]+$/.test(c.image)) v.push(`${at}: image ${c.image} has no fixed tag`);
    // a read-only root needs an emptyDir at /tmp for anything that writes temporary files
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    if (!(spec.volumes ?? []).find((x) => x.name === tmp?.name)?.emptyDir) v.push(`${at}: no emptyDir at /tmp`);
    for (const m of c.volumeMounts ?? []) {
      const vol = (spec.volumes ?? []).find((x) => x.name === m.name);
      if (vol?.secret && m.readOnly !== true) v.push(`${at}: Secret ${vol.secret.secretName} mounted writable`);
      if (vol?.secret && ((vol.secret.defaultMode ?? 0o644) & 0o007)) v.push(`${at}: Secret ${vol.secret.secretName} files readable by others (defaultMode ${(vol.secret.defaultMode ?? 0o644).toString(8)})`);
    }
  }
  return v;
}

/** Every pod spec of the given objects: [{where, spec}]. */
export function podSpecs(objs) {
  const out = [];
  for (const o of objs) {
    const where = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'Pod') out.push({ where, spec: o.spec });
    else if (o.kind === 'CronJob') out.push({ where, spec: o.spec.jobTemplate.spec.template.spec });
    else if (o.spec?.template?.spec) out.push({ where, spec: o.spec.template.spec });
  }
  return out;
}
