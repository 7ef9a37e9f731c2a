import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { DEPLOY_DIR, exists, type K8sObject, kustomizeLite, readYamlDocs, REPO_DIR } from './kustomize-lite.js';

const APPS = ['gateway', 'jobs', 'videos', 'files', 'users', 'render-worker'];
const OVERLAYS = ['dev', 'prod'];
const K8S = join(DEPLOY_DIR, 'k8s');
/** The apps with a database schema of their own (a `data-source.ts`: what deploy/migrate-job.mjs migrates). */
const WITH_SCHEMA = APPS.filter((app) => exists(join(REPO_DIR, 'apps', app, 'src', 'data-source.ts')));
/** The keys of `platform-secrets` each app reads: its config class's secrets, nothing more. */
const SECRET_KEYS: Record<string, string[]> = {
  gateway: ['CLERK_ISSUER', 'CLERK_JWKS_URL', 'CLERK_AUTHORIZED_PARTIES', 'CLERK_WEBHOOK_SECRET', 'FILES_SIGNING_SECRET'],
  jobs: ['DATABASE_URL'],
  videos: ['DATABASE_URL'],
  files: ['DATABASE_URL'],
  users: ['DATABASE_URL'],
  'render-worker': ['SCRIPT_PROVIDER_API_KEY'],
};

/** A real kustomize when this machine has one (`kustomize` or `kubectl kustomize`). */
function realKustomize(dir: string): K8sObject[] | null {
  for (const [cmd, args] of [
    ['kustomize', ['build', dir]],
    ['kubectl', ['kustomize', dir]],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    if (r.error) continue;
    if (r.status !== 0) throw new Error(`${cmd} failed on ${dir}: ${r.stderr}`);
    return loadAll(r.stdout).filter(Boolean) as K8sObject[];
  }
  return null;
}

const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
const byKey = (objs: K8sObject[]) => Object.fromEntries(objs.map((o) => [key(o), o]));

/** The kubernetes-models class of an object (it validates against the Kubernetes JSON schema with ajv). */
async function modelFor(o: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const mod = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`)) as Record<string, any>;
  const model = mod[o.kind];
  if (!model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return model;
}

const rendered: Record<string, K8sObject[]> = Object.fromEntries(OVERLAYS.map((ov) => [ov, kustomizeLite(join(K8S, 'overlays', ov))]));
const config = (objs: K8sObject[]) => objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'platform-config')?.data ?? {};
/** A container's literal env values (`value:`), which override the ConfigMap's. */
const literalEnv = (c: any): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
/** A container's keys of `platform-secrets`, by variable name. */
const secretRefs = (c: any): Record<string, { key: string; optional: boolean }> =>
  Object.fromEntries(
    (c.env ?? [])
      .filter((e: any) => e.valueFrom?.secretKeyRef)
      .map((e: any) => {
        expect(e.valueFrom.secretKeyRef.name).toBe('platform-secrets');
        return [e.name, { key: e.valueFrom.secretKeyRef.key, optional: e.valueFrom.secretKeyRef.optional === true }];
      }),
  );
const selects = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

describe.each(OVERLAYS)('deploy/k8s overlay %s', (overlay) => {
  const objs = rendered[overlay];
  const deployments = objs.filter((o) => o.kind === 'Deployment');

  it('renders the same objects as a real kustomize (when this machine has one)', () => {
    const real = realKustomize(join(K8S, 'overlays', overlay));
    if (real === null) {
      // No kustomize here: the lite renderer's output is what the other checks validate.
      expect(objs.length).toBeGreaterThan(20);
      return;
    }
    expect(byKey(objs)).toEqual(byKey(real));
  });

  it('validates every object against the Kubernetes schemas', async () => {
    const errors: string[] = [];
    for (const o of objs) {
      const Model = await modelFor(o);
      try {
        new Model(o).validate();
      } catch (err) {
        errors.push(`${key(o)}: ${(err as Error).message}`);
      }
    }
    expect(errors).toEqual([]);
    expect(new Set(objs.map((o) => o.metadata.namespace))).toEqual(new Set([overlay === 'prod' ? 'video-platform' : 'video-platform-dev']));
  });

  it('has a Deployment, Service and PodDisruptionBudget per app, with probes, resources and a locked-down context', () => {
    const grace = Number(config(objs).SHUTDOWN_TIMEOUT_MS);
    expect(grace).toBeGreaterThan(0);
    for (const app of APPS) {
      const d = deployments.find((o) => o.metadata.name === app);
      expect(d).toBeDefined();
      const pod = d?.spec.template.spec;
      const labels = d?.spec.template.metadata.labels;
      expect(d?.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': app });
      const c = pod.containers[0];
      expect(c.image).toMatch(overlay === 'prod' ? new RegExp(`^registry\\.example\\.com/video-platform/${app}:0\\.1\\.0$`) : new RegExp(`^video-platform/${app}:dev$`));
      expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(c.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.volumes.find((v: any) => v.name === 'tmp').emptyDir).toBeDefined();
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'platform-config' } }]);
      // The grace period covers the preStop pause (if any) plus the service's own shutdown timeout.
      const shutdown = Number(literalEnv(c).SHUTDOWN_TIMEOUT_MS ?? grace);
      const preStop = c.lifecycle?.preStop ? Number(c.lifecycle.preStop.exec.command[1]) : 0;
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(shutdown + preStop * 1000);
      // kubelet chowns a volume's files only when its root does not match fsGroup yet (the RWX storage
      // volume can hold millions), not on every pod start.
      expect(pod.securityContext).toMatchObject({ fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch' });
      expect(d?.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '3000', 'prometheus.io/path': '/metrics' });
      const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === app);
      expect(Object.entries(svc?.spec.selector ?? {}).every(([k, v]) => labels[k] === v)).toBe(true);
      expect(svc?.spec.ports[0].targetPort).toBe('http');
      // Only the pods are annotated for scraping: a Service-endpoints scrape job would scrape each pod again.
      expect(Object.keys(svc?.metadata.annotations ?? {}).filter((k) => k.startsWith('prometheus.io/'))).toEqual([]);
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === app);
      expect(pdb?.spec.selector.matchLabels).toEqual(d?.spec.selector.matchLabels);
      // NotReady pods (every back-end pod during a database outage) do not block node drains.
      expect(pdb?.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    }
  });

  it('scales the gateway and the render worker with HPAs alone, shares blob storage', () => {
    const hpas = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['gateway', 'render-worker']);
    for (const h of hpas) {
      const d = deployments.find((o) => o.metadata.name === h.spec.scaleTargetRef.name);
      expect(d).toBeDefined();
      expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
      // An applied `replicas` would scale the Deployment back to it on every `kubectl apply`,
      // whatever the HPA had set; the HPA's minReplicas is the floor.
      expect([h.metadata.name, d?.spec.replicas]).toEqual([h.metadata.name, undefined]);
    }
    const pvc = objs.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(pvc?.spec.accessModes).toEqual(['ReadWriteMany']);
    for (const app of ['gateway', 'videos', 'files', 'render-worker']) {
      const pod = deployments.find((d) => d.metadata.name === app)?.spec.template.spec;
      expect(pod.volumes).toContainEqual({ name: 'storage', persistentVolumeClaim: { claimName: pvc?.metadata.name } });
    }
  });

  it("migrates each service's schema in an initContainer of its own pods, before its code starts", () => {
    expect([...WITH_SCHEMA].sort()).toEqual(['files', 'jobs', 'users', 'videos']);
    // No Job: immutable, it failed `kubectl apply` on the next release (or was re-created and raced the rollout).
    expect(objs.filter((o) => o.kind === 'Job' || o.kind === 'CronJob')).toEqual([]);
    expect(config(objs).DATABASE_MIGRATE_ON_START).toBe('false');
    for (const d of deployments) {
      const app = d.metadata.name;
      const pod = d.spec.template.spec;
      if (!WITH_SCHEMA.includes(app)) {
        expect([app, pod.initContainers]).toEqual([app, undefined]);
        continue;
      }
      expect(pod.initContainers).toHaveLength(1);
      const [init] = pod.initContainers;
      // The service's own image (every image carries every app's build and the migration scripts).
      expect(init.image).toBe(pod.containers[0].image);
      expect(init.command).toEqual(['node', 'deploy/migrate-job.mjs', app]);
      expect(secretRefs(init)).toEqual({ DATABASE_URL: { key: 'DATABASE_URL', optional: false } });
      expect(init.envFrom).toBeUndefined();
      expect(init.securityContext).toEqual(pod.containers[0].securityContext);
      expect(init.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(init.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    }
    // The image carries the script where the initContainers run it (WORKDIR /app).
    expect(readFileSync(join(REPO_DIR, 'Dockerfile'), 'utf8')).toMatch(/cp deploy\/migrate-job\.mjs \/out\/deploy\//);
  });

  it("gives each container only the keys of platform-secrets its app reads", () => {
    for (const d of deployments) {
      const app = d.metadata.name;
      const [c] = d.spec.template.spec.containers;
      for (const k of [...d.spec.template.spec.containers, ...(d.spec.template.spec.initContainers ?? [])]) {
        expect((k.envFrom ?? []).filter((e: any) => e.secretRef)).toEqual([]);
      }
      const refs = secretRefs(c);
      expect([app, Object.keys(refs).sort()]).toEqual([app, [...SECRET_KEYS[app]].sort()]);
      for (const [name, ref] of Object.entries(refs)) expect(ref.key).toBe(name);
      // Only the services with a database get its credentials, and they cannot start without them.
      expect([app, 'DATABASE_URL' in refs]).toEqual([app, WITH_SCHEMA.includes(app)]);
      if ('DATABASE_URL' in refs) expect(refs.DATABASE_URL.optional).toBe(false);
    }
  });

  it('gives the render worker its own shutdown timeout, filling its grace period, and no preStop pause', () => {
    const d = deployments.find((o) => o.metadata.name === 'render-worker');
    const pod = d?.spec.template.spec;
    const [c] = pod.containers;
    const own = Number(literalEnv(c).SHUTDOWN_TIMEOUT_MS);
    expect(own).toBeGreaterThan(Number(config(objs).SHUTDOWN_TIMEOUT_MS));
    // Renders get SHUTDOWN_TIMEOUT_MS - 2 s to finish (worker.service.ts); the process exits at
    // SHUTDOWN_TIMEOUT_MS; SIGKILL comes at the grace period. Leave a margin, not half the period.
    const margin = pod.terminationGracePeriodSeconds * 1000 - own;
    expect(margin).toBeGreaterThanOrEqual(5000);
    expect(margin).toBeLessThanOrEqual(15000);
    // A pause before SIGTERM only lets the worker claim jobs it will then abort; no traffic comes through its Service.
    expect(c.lifecycle?.preStop).toBeUndefined();
  });

  it('denies ingress to the platform except the API to the gateway and the scrapes to every pod', () => {
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    const denyAll = policies.filter((p) => p.spec.policyTypes.includes('Ingress') && !p.spec.ingress?.length);
    expect(denyAll).toHaveLength(1);
    // Scoped to the platform's own pods: NATS (and possibly PostgreSQL) share the namespace but not these manifests.
    expect(denyAll[0].spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/part-of': 'video-platform' } });
    for (const d of deployments) {
      const app = d.metadata.name;
      const labels = d.spec.template.metadata.labels;
      const [c] = d.spec.template.spec.containers;
      const applying = policies.filter((p) => selects(p.spec.podSelector, labels) && p.spec.policyTypes.includes('Ingress'));
      expect(applying).toContain(denyAll[0]);
      const rules = applying.flatMap((p) => p.spec.ingress ?? []);
      // Every rule opens the `http` port only, which is the port Prometheus is told to scrape.
      for (const r of rules) expect(r.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
      expect(c.ports).toContainEqual({ name: 'http', containerPort: Number(d.spec.template.metadata.annotations['prometheus.io/port']), protocol: 'TCP' });
      const fromAnywhere = rules.some((r) => !r.from);
      expect([app, fromAnywhere]).toEqual([app, app === 'gateway']);
      const fromPrometheus = rules.some((r) =>
        (r.from ?? []).some((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus' && f.namespaceSelector !== undefined),
      );
      expect([app, fromPrometheus]).toEqual([app, true]);
    }
  });

  it('takes the public URLs from the overlay: dev local, prod from the one file an operator must edit', () => {
    const [base] = readYamlDocs(join(K8S, 'base', 'config.yaml'));
    expect(Object.keys(base.data)).not.toContain('PUBLIC_BASE_URL');
    expect(Object.keys(base.data)).not.toContain('CORS_ORIGINS');
    const data = config(objs);
    if (overlay === 'dev') {
      expect(data.PUBLIC_BASE_URL).toBe('http://localhost:3000');
      return;
    }
    const [file] = readYamlDocs(join(K8S, 'overlays', 'prod', 'public-urls.yaml'));
    expect({ PUBLIC_BASE_URL: data.PUBLIC_BASE_URL, CORS_ORIGINS: data.CORS_ORIGINS }).toEqual(file.data);
    expect(readFileSync(join(K8S, 'overlays', 'prod', 'public-urls.yaml'), 'utf8')).toMatch(/^# REQUIRED/);
    expect(readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8')).toMatch(/overlays\/prod\/public-urls\.yaml/);
  });

  it('references only Secrets it defines (dev) or documents (prod)', () => {
    const secrets = objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name);
    if (overlay === 'dev') expect(secrets).toEqual(['platform-secrets']);
    else {
      expect(secrets).toEqual([]);
      expect(readFileSync(join(DEPLOY_DIR, 'README.md'), 'utf8')).toMatch(/platform-secrets/);
    }
  });
});

describe('kustomize-lite', () => {
  it('refuses kustomization features it does not implement', () => {
    expect(exists(join(K8S, 'base', 'kustomization.yaml'))).toBe(true);
    expect(() => kustomizeLite(join(REPO_DIR, 'deploy', 'src', '__fixtures__', 'unsupported'))).toThrow(/not supported/);
  });

  it('prints the base with a real kustomize when one is installed', () => {
    const which = spawnSync('sh', ['-c', 'command -v kustomize || command -v kubectl'], { encoding: 'utf8' });
    if (which.status !== 0) return;
    expect(execFileSync(which.stdout.trim(), which.stdout.includes('kubectl') ? ['kustomize', join(K8S, 'base')] : ['build', join(K8S, 'base')], { encoding: 'utf8' })).toMatch(/kind: HorizontalPodAutoscaler/);
  });
});
