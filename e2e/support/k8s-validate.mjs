#!/usr/bin/env node
/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schemas (kubernetes-models, offline).
 * Reads a YAML stream (`helm template` output) on stdin; prints one JSON line per object:
 * {"kind","name","errors":[…]} — errors empty when the object is valid. An object of an API the
 * schemas do not know (a CRD such as ServiceMonitor) is reported with `unknownApi: true`.
 * A script, not a module the specs import: kubernetes-models is ESM only, the specs run as CommonJS.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const docs = parseAllDocuments(readFileSync(0, 'utf8')).map((d) => d.toJS()).filter((o) => o && typeof o === 'object');
/** apiVersion → the kubernetes-models module exporting its kinds. */
function modulePath(apiVersion) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
}

for (const object of docs) {
  const result = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name, errors: [] };
  let models;
  try {
    models = await import(modulePath(String(object.apiVersion)));
  } catch {
    models = undefined;
  }
  const Model = models?.[object.kind];
  if (!Model) {
    result.unknownApi = true;
  } else {
    try {
      new Model(object).validate();
    } catch (err) {
      result.errors.push(err.message);
    }
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
