import { EnvSource } from './env';
import { check, ConfigError } from './errors';
import { assertDnsSubdomain } from './names';

/**
 * A key in a Secret that an operator (or a secret manager) creates. The library never generates or defaults a
 * credential: props take the Secret's name and key, and the release notes print the command that creates it.
 */
export interface SecretKey {
  /** The Secret's name (a DNS-1123 subdomain). */
  readonly name: string;
  /** The key inside the Secret. */
  readonly key: string;
}

const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * Throws unless `ref` names a key of an operator-created Secret. A missing reference fails with a message that says
 * credentials are never generated, so nobody reaches for a default.
 */
export function assertSecretKey(prop: string, ref: SecretKey | undefined): SecretKey {
  if (ref === undefined || ref === null || typeof ref !== 'object') {
    throw new ConfigError(prop, ref, '{ name, key } of a Secret an operator creates', 'credentials are never generated or defaulted');
  }
  assertDnsSubdomain(`${prop}.name`, ref.name);
  check(
    typeof ref.key === 'string' && ref.key.length > 0 && ref.key.length <= 253 && SECRET_DATA_KEY.test(ref.key),
    `${prop}.key`,
    ref.key,
    "a Secret key: letters, digits, '-', '_' and '.', at most 253 characters",
  );
  return { name: ref.name, key: ref.key };
}

/** The env value reading `ref` (a `secretKeyRef`). */
export function secretKeyEnv(ref: SecretKey): EnvSource {
  return EnvSource.secret(ref.name, ref.key);
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/**
 * The commands an operator runs to create the Secrets a release reads, for its notes: shell variables first (a
 * password used in two Secrets, or inside a URL, is generated once), then one `kubectl create secret generic` per
 * Secret with every key it needs. Values are shell expressions, written as the operator will paste them.
 */
export class SecretCommands {
  private readonly vars = new Map<string, string>();
  private readonly secrets = new Map<string, Map<string, string>>();

  /** A shell variable set before the commands (`PG_PASSWORD`, `"$(openssl rand -hex 32)"`). */
  public variable(name: string, expression: string): this {
    check(/^[A-Z_][A-Z0-9_]*$/.test(name), 'secretCommands.variable', name, 'an upper-case shell variable name');
    const seen = this.vars.get(name);
    check(seen === undefined || seen === expression, `secretCommands.${name}`, expression, `one expression per variable (already ${seen})`);
    this.vars.set(name, expression);
    return this;
  }

  /** `--from-literal=<key>=<expression>` for `ref`. The first expression given for a key wins. */
  public literal(ref: SecretKey, expression: string): this {
    return this.add(ref, `--from-literal=${shellQuote(ref.key)}=${expression}`);
  }

  /** `--from-file=<key>=<path>` for `ref` (a CA bundle, a key file). */
  public file(ref: SecretKey, path: string): this {
    return this.add(ref, `--from-file=${shellQuote(ref.key)}=${shellQuote(path)}`);
  }

  private add(ref: SecretKey, arg: string): this {
    if (!this.secrets.has(ref.name)) this.secrets.set(ref.name, new Map());
    const keys = this.secrets.get(ref.name)!;
    if (!keys.has(ref.key)) keys.set(ref.key, arg);
    return this;
  }

  /** True when no Secret is needed. */
  public get empty(): boolean {
    return this.secrets.size === 0;
  }

  /** The names of the Secrets, in the order they were first named. */
  public get names(): readonly string[] {
    return [...this.secrets.keys()];
  }

  /** The command lines for `namespace`: variables, then one create command per Secret. */
  public render(namespace: string): string[] {
    const lines = [...this.vars].map(([k, v]) => `${k}=${v}`);
    for (const [name, keys] of this.secrets) {
      lines.push(`kubectl -n ${namespace} create secret generic ${name} ${[...keys.values()].join(' ')}`);
    }
    return lines;
  }
}
