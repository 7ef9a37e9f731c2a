import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { DEPLOY_DIR, exists, type K8sObject, kustomizeLite, REPO_DIR } from './kustomize-lite.js';

const APPS = ['gateway', 'jobs', 'videos', 'files', 'users', 'render-worker'];
const OVERLAYS = ['dev', 'prod'];
const K8S = join(DEPLOY_DIR, 'k8s');

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
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'platform-config' } }, { secretRef: { name: 'platform-secrets' } }]);
      // The grace period covers the preStop pause plus the services' own shutdown timeout.
      const preStop = Number(c.lifecycle.preStop.exec.command[1]);
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(grace + preStop * 1000);
      expect(d?.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '3000', 'prometheus.io/path': '/metrics' });
      const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === app);
      expect(Object.entries(svc?.spec.selector ?? {}).every(([k, v]) => labels[k] === v)).toBe(true);
      expect(svc?.spec.ports[0].targetPort).toBe('http');
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === app);
      expect(pdb?.spec.selector.matchLabels).toEqual(d?.spec.selector.matchLabels);
    }
  });

  it('scales the gateway and the render worker, shares blob storage, migrates with a Job', () => {
    const hpas = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['gateway', 'render-worker']);
    for (const h of hpas) {
      expect(deployments.some((d) => d.metadata.name === h.spec.scaleTargetRef.name)).toBe(true);
      expect(h.spec.minReplicas).toBeLessThanOrEqual(h.spec.maxReplicas);
    }
    const pvc = objs.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(pvc?.spec.accessModes).toEqual(['ReadWriteMany']);
    for (const app of ['gateway', 'videos', 'files', 'render-worker']) {
      const pod = deployments.find((d) => d.metadata.name === app)?.spec.template.spec;
      expect(pod.volumes).toContainEqual({ name: 'storage', persistentVolumeClaim: { claimName: pvc?.metadata.name } });
    }
    const job = objs.find((o) => o.kind === 'Job' && o.metadata.name === 'migrations');
    const c = job?.spec.template.spec.containers[0];
    expect(c.command).toEqual(['node', 'deploy/migrate-job.mjs']);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    // The image carries the script where the Job runs it (WORKDIR /app).
    expect(readFileSync(join(REPO_DIR, 'Dockerfile'), 'utf8')).toMatch(/cp deploy\/migrate-job\.mjs \/out\/deploy\//);
    expect(config(objs).DATABASE_MIGRATE_ON_START).toBe('false');
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
