/**
 * Dex is not installable here (no Debian package, no npm server; Debian's `dex` is an unrelated tool), so its typed
 * config is checked against the rules of the version it pins, Dex v2.41.1 (`DEX_VERSION`), as `cmd/dex/config.go`
 * (`Config.Validate`, the static client checks) and `storage/` state them at that tag:
 * - the top-level keys are fields of `Config` (unknown keys fail the strict parse);
 * - `issuer` is set; OIDC clients compare the token's `iss` with it exactly, so one without a trailing slash;
 * - `storage.type` is a registered type and `storage.config` is present (sqlite3: `file`);
 * - `web.http` or `web.https` is set; the telemetry listener answers `/healthz/live` and `/healthz/ready`;
 * - every static client has `id` (or `idEnv`) and `secret` or `secretEnv` unless `public`;
 * - `enablePasswordDB: false` with no `staticPasswords`;
 * - connectors have `type`, `id`, `name` and `config`; `$VAR` in a connector config is expanded from env.
 * @see https://github.com/dexidp/dex/blob/v2.41.1/cmd/dex/config.go
 */
import { parse } from 'yaml';
import {
  DEX_CONFIG_KEYS, DEX_STORAGE_TYPES, DEX_VERSION, Dex, DexConnector, DexProps,
} from '../../lib/dex';
import { DemoWorkload, envOf, newRelease, Obj, Template } from '../support';

const GITHUB_PROPS = { clientId: { name: 'dex-github', key: 'client-id' }, clientSecret: { name: 'dex-github', key: 'client-secret' }, orgs: ['FishySoftware'] };
const GITHUB = DexConnector.github(GITHUB_PROPS);
const CLIENT = { id: 'semantic-explorer', secret: { name: 'oidc-client', key: 'secret' }, redirectUris: ['https://se.example.com/auth_callback'] };
const ISSUER = 'https://se.example.com/dex';

function render(props: Partial<DexProps> = {}): { dex: Dex; t: Template; r: ReturnType<typeof newRelease> } {
  const r = newRelease();
  const dex = new Dex(r, 'Dex', { issuer: ISSUER, connectors: [GITHUB], staticClients: [CLIENT], ...props });
  return { dex, t: Template.fromRelease(r), r };
}

/** Dex v2.41.1's config rules, as listed in the file comment: the list of broken rules (empty when valid). */
function dexRules(config: Obj): string[] {
  const broken: string[] = [];
  for (const k of Object.keys(config)) if (!DEX_CONFIG_KEYS.includes(k)) broken.push(`unknown field ${k}`);
  if (!config.issuer) broken.push('no issuer specified in config file');
  if (typeof config.issuer === 'string' && config.issuer.endsWith('/')) broken.push('issuer ends with /');
  if (!config.storage?.config) broken.push('no storage supplied in config file');
  if (!DEX_STORAGE_TYPES.includes(config.storage?.type)) broken.push(`unknown storage type ${config.storage?.type}`);
  if (config.storage?.type === 'sqlite3' && !config.storage.config?.file) broken.push('sqlite3 storage without file');
  if (!config.web?.http && !config.web?.https) broken.push('must supply a HTTP/HTTPS address to listen on');
  if (!config.enablePasswordDB && config.staticPasswords?.length) broken.push('cannot specify static passwords without enabling password db');
  for (const c of config.staticClients ?? []) {
    if (!c.id && !c.idEnv) broken.push('ID or IDEnv field is required for a client');
    if (!c.secret && !c.secretEnv && !c.public) broken.push(`Secret or SecretEnv field is required for client ${c.id}`);
  }
  for (const c of config.connectors ?? []) {
    for (const f of ['type', 'id', 'name', 'config']) if (!c[f]) broken.push(`connector without ${f}`);
  }
  return broken;
}

describe('Dex config text', () => {
  test('reads back as the config under YAML 1.1 too (Dex parses it with go-yaml): a name such as "yes" or "0755" is quoted', () => {
    const { t } = render({ staticClients: [{ ...CLIENT, name: 'yes' }], connectors: [DexConnector.github({ ...GITHUB_PROPS, name: '0755' })] });
    const text: string = t.find('ConfigMap', 'r-dex-config').data['config.yaml'];
    for (const version of ['1.1', '1.2'] as const) {
      const config = parse(text, { version });
      expect(config.staticClients[0].name).toBe('yes');
      expect(config.connectors[0].name).toBe('0755');
    }
  });
});

describe(`Dex defaults (typed config for Dex ${DEX_VERSION})`, () => {
  const { dex, t } = render();
  const dep = t.find('Deployment', 'r-dex');
  const c = t.container('Deployment', 'r-dex', 'dex');
  const config = parse(t.find('ConfigMap', 'r-dex-config').data['config.yaml']);

  test('snapshot', () => {
    expect(t.objects).toMatchSnapshot();
  });

  test('the pinned version renders: the image tag is DEX_VERSION', () => {
    expect(DEX_VERSION).toBe('v2.41.1');
    expect(c.image).toBe('ghcr.io/dexidp/dex:v2.41.1');
  });

  test(`the rendered config passes Dex ${DEX_VERSION}'s config rules`, () => {
    expect(dexRules(config)).toEqual([]);
    expect(dex.node.findChild('Resource')).toBe(dex.deployment);
  });

  test('the rule check fails on what Dex refuses (the check cannot pass by accident)', () => {
    expect(dexRules({ ...config, issuer: '' })).toContain('no issuer specified in config file');
    expect(dexRules({ ...config, storage: { type: 'kubernetes' } })).toContain('no storage supplied in config file');
    expect(dexRules({ ...config, storage: { type: 'sqlite', config: {} } })).toContain('unknown storage type sqlite');
    expect(dexRules({ ...config, staticClients: [{ id: 'x', redirectURIs: [] }] })).toContain('Secret or SecretEnv field is required for client x');
    expect(dexRules({ ...config, staticPassword: [] })).toContain('unknown field staticPassword');
  });

  test('ports 5556 http, 5557 grpc, 5558 telemetry; health probes on 5558', () => {
    expect(c.ports).toEqual([{ name: 'http', containerPort: 5556 }, { name: 'grpc', containerPort: 5557 }, { name: 'telemetry', containerPort: 5558 }]);
    expect(t.find('Service', 'r-dex').spec.ports.map((p: Obj) => [p.name, p.port])).toEqual([['http', 5556], ['grpc', 5557], ['telemetry', 5558]]);
    expect([c.startupProbe, c.livenessProbe, c.readinessProbe].map((p: Obj) => [p.httpGet.path, p.httpGet.port])).toEqual([
      ['/healthz/live', 'telemetry'], ['/healthz/live', 'telemetry'], ['/healthz/ready', 'telemetry'],
    ]);
    expect(config.web.http).toBe('0.0.0.0:5556');
    expect(config.grpc.addr).toBe('0.0.0.0:5557');
    expect(config.telemetry.http).toBe('0.0.0.0:5558');
  });

  test('sqlite3 storage on an emptyDir, no Kubernetes storage: no CRD, no RBAC, no ServiceAccount token', () => {
    expect(config.storage).toEqual({ type: 'sqlite3', config: { file: '/var/dex/dex.db' } });
    const spec = dep.spec.template.spec;
    const data = spec.volumes.find((v: Obj) => v.name === 'data');
    expect(data.emptyDir).toBeDefined();
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/dex' });
    expect(t.ids().filter((id) => /^(CustomResourceDefinition|Role|RoleBinding|ClusterRole|ClusterRoleBinding|ServiceAccount)\//.test(id))).toEqual([]);
    expect(spec.serviceAccountName).toBeUndefined();
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy.type).toBe('Recreate');
  });

  test('client and connector secrets come from operator Secrets through env, never from the ConfigMap', () => {
    const env = envOf(c);
    const client = config.staticClients[0];
    expect(client).toEqual({ id: 'semantic-explorer', name: 'semantic-explorer', secretEnv: 'DEX_CLIENT_SEMANTIC_EXPLORER_SECRET', redirectURIs: ['https://se.example.com/auth_callback'] });
    expect(env[client.secretEnv]).toEqual({ secretKeyRef: { name: 'oidc-client', key: 'secret' } });
    const gh = config.connectors[0];
    expect(gh).toEqual({
      type: 'github', id: 'github', name: 'GitHub',
      config: { clientID: '$DEX_GITHUB_CLIENT_ID', clientSecret: '$DEX_GITHUB_CLIENT_SECRET', redirectURI: 'https://se.example.com/dex/callback', orgs: [{ name: 'FishySoftware' }] },
    });
    expect(env.DEX_GITHUB_CLIENT_ID).toEqual({ secretKeyRef: { name: 'dex-github', key: 'client-id' } });
    expect(env.DEX_GITHUB_CLIENT_SECRET).toEqual({ secretKeyRef: { name: 'dex-github', key: 'client-secret' } });
    expect(dep.metadata.annotations['refs.ops-kit.io/external']).toBe('Secret/dex-github,Secret/oidc-client');
    expect(t.find('ConfigMap', 'r-dex-config').data['config.yaml']).not.toMatch(/secret:/);
    expect(config.enablePasswordDB).toBe(false);
  });

  test('pods run non-root with a read-only root file system; the config checksum rolls them', () => {
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(dep.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('DexClient: the application gets the issuer Dex serves', () => {
  test('OIDC_ISSUER_URL equals the config issuer; client id and secret reference are the ones Dex reads; the edge is recorded', () => {
    const r = newRelease();
    const dex = new Dex(r, 'Dex', { issuer: ISSUER, connectors: [GITHUB], staticClients: [CLIENT] });
    const handle = dex.client('semantic-explorer');
    new DemoWorkload(r, 'Api', { name: 'api', connect: [handle] });
    const t = Template.verified(r);
    const env = envOf(t.container('Deployment', 'api', 'main'));
    const config = parse(t.find('ConfigMap', 'r-dex-config').data['config.yaml']);
    expect(env.OIDC_ISSUER_URL).toBe(config.issuer);
    expect(env.OIDC_CLIENT_ID).toBe(config.staticClients[0].id);
    const dexEnv = envOf(t.container('Deployment', 'r-dex', 'dex'));
    expect(env.OIDC_CLIENT_SECRET).toEqual(dexEnv[config.staticClients[0].secretEnv]);
    expect(t.connections.map((x) => [x.to.type === 'service' ? x.to.name : '', (x.to as Obj).port?.name])).toContainEqual(['r-dex', 'http']);
    expect(handle.issuerUrl).toBe(ISSUER);
    expect(handle.clientSecret).toEqual({ name: 'oidc-client', key: 'secret' });
  });

  test('fails when the client id is not a static client of Dex', () => {
    const { dex } = render();
    expect(() => dex.client('other')).toThrow(/'client' is "other".*semantic-explorer/s);
  });
});

describe('Dex custom', () => {
  test('snapshot: an upstream OIDC connector, two clients, a custom name', () => {
    const oidc = DexConnector.oidc({ id: 'corp', name: 'Corp SSO', issuer: 'https://login.corp.example', clientId: { name: 'corp-sso', key: 'id' }, clientSecret: { name: 'corp-sso', key: 'secret' } });
    const { t } = render({
      name: 'auth', connectors: [oidc], staticClients: [CLIENT, { id: 'grafana', name: 'Grafana', secret: { name: 'grafana-oidc', key: 'secret' }, redirectUris: ['https://se.example.com/grafana/login/generic_oauth'] }],
    });
    const config = parse(t.find('ConfigMap', 'auth-config').data['config.yaml']);
    expect(dexRules(config)).toEqual([]);
    expect(config.connectors[0].config).toEqual({ issuer: 'https://login.corp.example', clientID: '$DEX_CORP_CLIENT_ID', clientSecret: '$DEX_CORP_CLIENT_SECRET', redirectURI: 'https://se.example.com/dex/callback', scopes: ['openid', 'profile', 'email'] });
    expect(config.staticClients.map((c: Obj) => c.secretEnv)).toEqual(['DEX_CLIENT_SEMANTIC_EXPLORER_SECRET', 'DEX_CLIENT_GRAFANA_SECRET']);
    expect(t.objects).toMatchSnapshot();
  });

  test('an http issuer with a reason (development)', () => {
    const { dex } = render({ issuer: 'http://localhost:5556/dex', insecureIssuerReason: 'kind cluster on a laptop' });
    expect(dex.config.issuer).toBe('http://localhost:5556/dex');
  });
});

describe('Dex fails', () => {
  test('fails when the issuer is http without a reason', () => {
    expect(() => render({ issuer: 'http://se.example.com/dex' })).toThrow(/'issuer' is "http:\/\/se.example.com\/dex".*https:\/\/ URL/s);
  });
  test('fails when the issuer ends with a slash', () => {
    expect(() => render({ issuer: 'https://se.example.com/dex/' })).toThrow(/'issuer' is "https:\/\/se.example.com\/dex\/".*without a trailing slash/s);
  });
  test('fails when the issuer is not a URL', () => {
    expect(() => render({ issuer: 'se.example.com/dex' })).toThrow(/'issuer' is "se.example.com\/dex".*absolute URL/s);
  });
  test('fails when a client has no redirect URI', () => {
    expect(() => render({ staticClients: [{ ...CLIENT, redirectUris: [] }] })).toThrow(/'staticClients\[0\].redirectUris' is \[\].*at least one absolute URL/s);
  });
  test('fails when a redirect URI has a fragment', () => {
    expect(() => render({ staticClients: [{ ...CLIENT, redirectUris: ['https://se.example.com/cb#x'] }] })).toThrow(/'staticClients\[0\].redirectUris\[0\]' is "https:\/\/se.example.com\/cb#x".*without a fragment/s);
  });
  test('fails when a client has no secret', () => {
    expect(() => render({ staticClients: [{ ...CLIENT, secret: undefined as never }] })).toThrow(/'staticClients\[0\].secret'.*Secret an operator creates/s);
  });
  test('fails when two clients share an id', () => {
    expect(() => render({ staticClients: [CLIENT, CLIENT] })).toThrow(/'staticClients\[1\].id' is "semantic-explorer".*no other client/s);
  });
  test('fails when there is no connector', () => {
    expect(() => render({ connectors: [] })).toThrow(/'connectors' is \[\].*at least one DexConnector/s);
  });
});
