import { check } from '../core/errors';
import { assertDnsSubdomain } from '../core/names';
import { assertSecretKey, SecretKey } from '../core/secrets';

/** A user authenticating with a name and a password from an operator-created Secret. */
export interface NatsUser {
  /** The user name (letters, digits, '_', '.', '@', '-'). */
  readonly user: string;
  /** The Secret key holding the password. */
  readonly password: SecretKey;
}

const USER = /^[A-Za-z0-9_.@-]{1,128}$/;
const NKEY_USER = /^U[A-Z2-7]{55}$/;

/**
 * How clients authenticate to a NatsServer. Secrets reach the server through a file an init container writes at start
 * (`include`d by the config), never through the ConfigMap, argv or NATS' `$VARIABLE` references (which parse the
 * value as config syntax, so a token like `12345` or `a b` breaks the server).
 * @see https://docs.nats.io/running-a-nats-service/configuration/securing_nats/auth_intro
 */
export class NatsAuth {
  /**
   * No client authentication: whoever reaches the client port reads and writes every subject and KV bucket. The
   * default, for clients that cannot send credentials (the IoT operator reads only NATS_URL); an externally reachable
   * server without authentication gets a release warning.
   */
  public static none(): NatsAuth {
    return new NatsAuth('none', undefined, [], []);
  }

  /** One shared token (`authorization { token }`) from a Secret key. */
  public static token(token: SecretKey): NatsAuth {
    return new NatsAuth('token', assertSecretKey('auth.token', token), [], []);
  }

  /** Users with passwords from Secret keys (`authorization { users }`). */
  public static users(users: readonly NatsUser[]): NatsAuth {
    check(Array.isArray(users) && users.length > 0, 'auth.users', users, 'at least one { user, password }');
    const seen = new Set<string>();
    const checked = users.map((u, i) => {
      check(typeof u.user === 'string' && USER.test(u.user), `auth.users[${i}].user`, u.user, "a user name: letters, digits, '_', '.', '@' and '-', at most 128 characters");
      check(!seen.has(u.user), `auth.users[${i}].user`, u.user, 'each user once');
      seen.add(u.user);
      return { user: u.user, password: assertSecretKey(`auth.users[${i}].password`, u.password) };
    });
    return new NatsAuth('users', undefined, checked, []);
  }

  /**
   * Users authenticating with nkeys: the server holds only their public keys (`U...`), which are not secrets and go
   * into the config; each client holds its seed (`SU...`) in a Secret and signs the server's challenge with it.
   */
  public static nkeys(publicKeys: readonly string[]): NatsAuth {
    check(Array.isArray(publicKeys) && publicKeys.length > 0, 'auth.nkeys', publicKeys, 'at least one public user nkey');
    publicKeys.forEach((k, i) => check(typeof k === 'string' && NKEY_USER.test(k), `auth.nkeys[${i}]`, k,
      "a user's public nkey: 'U' and 55 base32 characters (the seed, starting with 'SU', stays with the client)"));
    check(new Set(publicKeys).size === publicKeys.length, 'auth.nkeys', publicKeys, 'each key once');
    return new NatsAuth('nkeys', undefined, [], [...publicKeys]);
  }

  private constructor(
    /** Which kind of authentication. */
    public readonly kind: 'none' | 'token' | 'users' | 'nkeys',
    /** The token's Secret key (token only). */
    public readonly token: SecretKey | undefined,
    /** The users (users only). */
    public readonly users: readonly NatsUser[],
    /** The public nkeys (nkeys only). */
    public readonly nkeys: readonly string[],
  ) {}

  /** The Secret keys the server reads, with the env variable each reaches the init container under. */
  public get secretEnv(): ReadonlyArray<readonly [string, SecretKey]> {
    if (this.token) return [['NATS_AUTH_TOKEN', this.token]];
    return this.users.map((u, i) => [`NATS_AUTH_PASSWORD_${i}`, u.password] as const);
  }
}

/** TLS of a NatsServer from a Secret (a cert-manager Certificate's Secret has exactly these keys). */
export interface NatsTlsOptions {
  /** The Secret holding the certificate, its key and the CA. */
  readonly secretName: string;
  /**
   * The certificate's key in the Secret.
   * @default 'tls.crt'
   */
  readonly certKey?: string;
  /**
   * The private key's key in the Secret.
   * @default 'tls.key'
   */
  readonly keyKey?: string;
  /**
   * The CA bundle's key in the Secret: clients verify the server against it (it is mounted into their pods), and a
   * cluster's servers verify each other. `false` when clients trust the system roots; a cluster needs a CA.
   * @default 'ca.crt'
   */
  readonly caKey?: string | false;
}

/**
 * TLS on the client port (and, in a cluster, on the routes, with the servers verifying each other against the CA). The
 * certificate must name the client Service (`<name>.<namespace>.svc` and the FQDN) and, for a cluster, every pod
 * (`*.<name>-headless.<namespace>.svc.<cluster domain>`); the release notes list them. The monitoring port stays
 * plain HTTP for the probes.
 */
export class NatsTls {
  /** TLS from the Secret `options.secretName`. */
  public static fromSecret(options: NatsTlsOptions): NatsTls {
    assertDnsSubdomain('tls.secretName', options.secretName);
    const key = (prop: string, v: string) => assertSecretKey(`tls.${prop}`, { name: options.secretName, key: v }).key;
    const ca = options.caKey === false ? undefined : key('caKey', options.caKey ?? 'ca.crt');
    return new NatsTls(options.secretName, key('certKey', options.certKey ?? 'tls.crt'), key('keyKey', options.keyKey ?? 'tls.key'), ca);
  }

  private constructor(
    /** The Secret. */
    public readonly secretName: string,
    /** The certificate's key. */
    public readonly certKey: string,
    /** The private key's key. */
    public readonly keyKey: string,
    /** The CA bundle's key, when there is one. */
    public readonly caKey: string | undefined,
  ) {}
}

/**
 * Shell for the init container that writes the `authorization` block from the env (token or users).
 * @internal
 */
export function authConfigScript(auth: NatsAuth, file: string): string {
  const source = (k: SecretKey) => `Secret ${k.name} key ${k.key}`;
  const lines = [
    'set -eu',
    'umask 077',
    "nl='",
    "'",
    'need() { case "$1" in \'\') echo "$2 is empty or missing" >&2; exit 1 ;; *"$nl"*) echo "$2 contains a line break, which a config file cannot hold" >&2; exit 1 ;; esac; }',
    String.raw`esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }`,
  ];
  for (const [env, key] of auth.secretEnv) lines.push(`need "\${${env}:-}" "the ${auth.kind === 'token' ? 'token' : 'password'} (${source(key)})"`);
  lines.push('{', "  echo 'authorization {'");
  if (auth.token) {
    lines.push(String.raw`  printf '  token: "%s"\n' "$(esc "$NATS_AUTH_TOKEN")"`);
  } else {
    lines.push("  echo '  users: ['");
    auth.users.forEach((u, i) => lines.push(String.raw`  printf '    { user: "%s", password: "%s" }\n' '${u.user}' "$(esc "$NATS_AUTH_PASSWORD_${i}")"`));
    lines.push("  echo '  ]'");
  }
  lines.push("  echo '}'", `} > ${file}`);
  return `${lines.join('\n')}\n`;
}
