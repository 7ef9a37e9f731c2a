import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';

/** A Kubernetes object as rendered. */
export type K8sObject = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass']);

export function readYamlDocs(path: string): any[] {
  return loadAll(readFileSync(path, 'utf8')).filter((d) => d !== null && d !== undefined);
}

/**
 * The subset of `kustomize build` this repository's deploy/k8s uses, for machines without
 * kustomize: resources (files and directories), namespace, labels (metadata only), images,
 * and strategic-merge patches from files. Anything else in a kustomization is refused.
 */
export function kustomizeLite(dir: string): K8sObject[] {
  const k = readYamlDocs(join(dir, 'kustomization.yaml'))[0] as Record<string, any>;
  const known = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);
  for (const key of Object.keys(k)) if (!known.has(key)) throw new Error(`${dir}: kustomization field "${key}" is not supported by the lite renderer`);
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (statSync(p).isDirectory()) objects.push(...kustomizeLite(p));
    else objects.push(...(readYamlDocs(p) as K8sObject[]));
  }
  for (const patch of k.patches ?? []) {
    if (!patch.path || patch.target || patch.patch) throw new Error(`${dir}: only file patches without target are supported`);
    for (const doc of readYamlDocs(resolve(dir, patch.path))) {
      const i = objects.findIndex((o) => o.kind === doc.kind && o.metadata.name === doc.metadata?.name);
      if (i < 0) throw new Error(`${dir}: patch for ${doc.kind}/${doc.metadata?.name} matches nothing`);
      objects[i] = strategicMerge(objects[i], doc) as K8sObject;
    }
  }
  for (const l of k.labels ?? []) {
    if (l.includeSelectors || l.includeTemplates) throw new Error(`${dir}: labels with selectors/templates are not supported`);
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...(o.metadata.labels ?? {}), ...l.pairs } } }));
  }
  for (const img of k.images ?? []) objects.forEach((o) => setImages(o, img));
  if (k.namespace) objects = objects.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  return objects;
}

function setImages(o: K8sObject, img: { name: string; newName?: string; newTag?: string }): void {
  const spec = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    const [name, tag] = splitImage(c.image);
    if (name !== img.name) continue;
    c.image = `${img.newName ?? name}${img.newTag ? `:${img.newTag}` : tag ? `:${tag}` : ''}`;
  }
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

/** Maps merge key by key; lists of named items merge by `name`; anything else is replaced. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch) && [...base, ...patch].every((x) => x && typeof x === 'object' && typeof x.name === 'string')) {
    const out = base.map((x) => structuredClone(x));
    for (const p of patch) {
      const i = out.findIndex((x) => x.name === p.name);
      if (i >= 0) out[i] = strategicMerge(out[i], p);
      else out.push(structuredClone(p));
    }
    return out;
  }
  if (isMap(base) && isMap(patch)) {
    const out: Record<string, unknown> = structuredClone(base);
    for (const [key, value] of Object.entries(patch)) out[key] = key in out ? strategicMerge(out[key], value) : structuredClone(value);
    return out;
  }
  return structuredClone(patch);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const DEPLOY_DIR = resolve(dirname(new URL(import.meta.url).pathname), '..');
export const REPO_DIR = resolve(DEPLOY_DIR, '..');
export const exists = existsSync;
