/**
 * The Kubernetes version whose OpenAPI definitions verification checks every object against (the `_definitions.json`
 * of this version), and so the oldest cluster the rendered manifests are known to be valid for. Packaging states it
 * (a Helm chart's `kubeVersion`).
 */
export const KUBERNETES_SCHEMA_VERSION = '1.28.0';
