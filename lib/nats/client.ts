import { ExternalEndpoint, ExternalPeer, HostForm, IConnectionTarget } from '../core/endpoint';
import { check } from '../core/errors';
import { deriveName } from '../core/names';
import { assertSecretKey, SecretKey, secretKeyEnv } from '../core/secrets';
import { assertInt, parseServerUrl } from '../core/validate';
import { WaitFor } from '../core/waits';
import { ClientBinding, Connection, IConnectable } from '../core/wiring';
import { NatsAuth } from './auth';
import { NATS_CLIENT_PORT } from './config';
import type { NatsConnectOptions, NatsEnvNames } from './server';

/** Where a client reads the CA of a TLS server (one directory per Secret). */
export const NATS_CA_DIR = '/etc/nats-ca';

/**
 * A NATS server or cluster clients connect to, in the cluster (`NatsServer`) or outside it (`ExternalNats`). Products
 * take this interface, so the operator chooses where messaging runs; both set the same env.
 */
export interface INats extends IConnectable {
  /** Where clients connect (port `client`). */
  readonly endpoint: IConnectionTarget;
  /** The number of servers (1, or the cluster size): what clients set stream replicas up to (NATS_REPLICAS). */
  readonly replicas: number;
  /** How clients authenticate. */
  readonly auth: NatsAuth;
  /** The URL scheme clients dial: `tls` when the server requires TLS. */
  readonly scheme: 'nats' | 'tls';
  /** The Secret key of the CA bundle clients verify the server against (TLS with a private CA). */
  readonly ca: SecretKey | undefined;
  /**
   * Wires `client`: the graph edge to port `client`, NATS_URL from the connection, NATS_REPLICAS, the credentials of
   * the auth kind as Secret key references, the CA mount, the TCP wait. Returns the connection.
   */
  connect(client: ClientBinding, options?: NatsConnectOptions): Connection;
}

/**
 * The one implementation of `INats.connect`, shared by the in-cluster server and an external one.
 * @internal
 */
export function connectNats(server: INats, client: ClientBinding, options: NatsConnectOptions, waitName: string, what: string): Connection {
  const names: Required<NatsEnvNames> = {
    url: 'NATS_URL', replicas: 'NATS_REPLICAS', token: 'NATS_TOKEN', user: 'NATS_USER', password: 'NATS_PASSWORD', nkeySeed: 'NATS_NKEY_SEED', caFile: 'NATS_CA_FILE',
    ...(options.env ?? {}),
  };
  const form = options.hostForm ?? HostForm.NAMESPACED;
  const auth = server.auth;
  if (options.urlSecret !== undefined) {
    assertSecretKey('connect.urlSecret', options.urlSecret);
    check(auth.kind === 'token' || auth.kind === 'users', 'connect.urlSecret', options.urlSecret,
      'unset, or a Secret key holding the URL with credentials when the server authenticates by token or users',
      auth.kind === 'none' ? `${what} authenticates no client: its URL carries no credentials` : 'a URL cannot carry an nkey signature');
  }
  const c = client.connect(server.endpoint, 'client', { purpose: options.purpose ?? 'messaging' });
  const hint = c.envHint();
  const secret = (name: string, key: SecretKey) => client.setEnv(name, secretKeyEnv(key), hint).addExternalRef({ kind: 'Secret', name: key.name });
  // With urlSecret the credentials travel inside the URL, which the operator writes into the Secret.
  if (options.urlSecret !== undefined) secret(names.url, options.urlSecret);
  else client.setEnv(names.url, c.url(server.scheme, { form }), hint);
  if (names.replicas !== false) client.setEnv(names.replicas, String(server.replicas), hint);
  if (options.urlSecret === undefined) setCredentialEnv(auth, options, names, secret, (name, value) => client.setEnv(name, value, hint));
  if (server.ca) {
    const dir = `${NATS_CA_DIR}/${server.ca.name}`;
    client.mountSecret({ volume: deriveName(['nats-ca', server.ca.name]), secretName: server.ca.name, mountPath: dir, items: [{ key: server.ca.key, path: 'ca.crt' }] });
    client.setEnv(names.caFile, `${dir}/ca.crt`, hint);
  }
  if (options.wait ?? true) client.addWait(WaitFor.tcp({ name: waitName, host: c.host(form), port: c.port.port }));
  return c;
}

/** Sets the credential variables of the auth kind on a client that reads them separately from the URL. */
function setCredentialEnv(
  auth: NatsAuth,
  options: NatsConnectOptions,
  names: Required<NatsEnvNames>,
  secret: (name: string, key: SecretKey) => unknown,
  plain: (name: string, value: string) => unknown,
): void {
  if (auth.token) secret(names.token, auth.token);
  if (auth.kind === 'users') {
    const users = auth.users;
    const user = options.user !== undefined ? users.find((u) => u.user === options.user) : users.length === 1 ? users[0] : undefined;
    check(user !== undefined, 'connect.user', options.user, `one of the server's users: ${users.map((u) => u.user).join(', ')}`, options.user === undefined ? 'the server has several users' : undefined);
    plain(names.user, user.user);
    secret(names.password, user.password);
  }
  if (auth.kind === 'nkeys') {
    check(options.nkeySeed !== undefined, 'connect.nkeySeed', options.nkeySeed, "{ name, key } of the Secret holding the client's nkey seed", 'the server authenticates clients by nkey');
    secret(names.nkeySeed, assertSecretKey('connect.nkeySeed', options.nkeySeed));
  } else {
    check(options.nkeySeed === undefined, 'connect.nkeySeed', options.nkeySeed, 'unset', `the server's auth is ${auth.kind}, not nkeys`);
  }
}

/** Options of a NATS outside the app. */
export interface ExternalNatsOptions {
  /**
   * A server clients dial, without credentials: `nats://nats.messaging.example.internal:4222`, or `tls://...` for a
   * server that requires TLS. The port defaults to 4222.
   */
  readonly url: string;
  /**
   * How many servers the cluster has: clients set stream replicas up to it (NATS_REPLICAS). Saying it here, once,
   * keeps every client's replica count equal to the cluster's.
   */
  readonly replicas: number;
  /** How clients authenticate (token, users or nkeys from operator-created Secrets, or none). */
  readonly auth: NatsAuth;
  /**
   * The Secret key holding the CA bundle a `tls://` server's certificate chains to (a private CA).
   * @default - the system trust store
   */
  readonly ca?: SecretKey;
  /**
   * Who answers at the host, for NetworkPolicy egress rules (the messaging subnet).
   * @default - undeclared
   */
  readonly peer?: ExternalPeer;
  /**
   * What it is, in notes and reports.
   * @default 'external NATS'
   */
  readonly description?: string;
}

/** A NATS cluster the app does not render (a shared messaging cluster, Synadia Cloud). Clients connect as to a NatsServer. */
export class ExternalNats implements INats {
  /** Declares an external NATS. */
  public static of(options: ExternalNatsOptions): ExternalNats {
    const u = parseServerUrl('url', options.url, {
      schemes: ['nats', 'tls'],
      schemesAllowed: 'a nats:// or tls:// URL',
      example: 'a URL such as nats://nats.messaging.example.internal:4222 or tls://...',
      credentialsFix: 'credentials belong in auth: NatsAuth.token({ name, key }) or NatsAuth.users([...])',
    });
    assertInt('replicas', options.replicas, { min: 1, max: 9 }, 'the number of servers of the cluster: 1, or an odd number from 3 to 9');
    check(options.replicas === 1 || options.replicas % 2 === 1, 'replicas', options.replicas, '1, or an odd number from 3 to 9', 'a JetStream cluster replicates with Raft and runs an odd number of servers');
    check(options.auth instanceof NatsAuth, 'auth', options.auth, 'NatsAuth.none(), token(...), users([...]) or nkeys([...])', 'credentials are never defaulted');
    const ca = options.ca !== undefined ? assertSecretKey('ca', options.ca) : undefined;
    if (ca) check(u.scheme === 'tls', 'ca', ca, 'unset for a nats:// URL', 'a CA verifies a TLS server; use a tls:// URL');
    const endpoint = ExternalEndpoint.of({
      host: u.host,
      ports: [{ name: 'client', port: u.port ?? NATS_CLIENT_PORT }],
      peer: options.peer,
      description: options.description ?? 'external NATS',
    });
    return new ExternalNats(endpoint, options.replicas, options.auth, u.scheme === 'tls' ? 'tls' : 'nats', ca);
  }

  private constructor(
    /** Where clients connect (port `client`). */
    public readonly endpoint: ExternalEndpoint,
    /** The cluster size. */
    public readonly replicas: number,
    /** How clients authenticate. */
    public readonly auth: NatsAuth,
    /** The URL scheme. */
    public readonly scheme: 'nats' | 'tls',
    /** The CA bundle, when there is one. */
    public readonly ca: SecretKey | undefined,
  ) {}

  /** Wires `client` to the cluster (see `INats.connect`). */
  public connect(client: ClientBinding, options: NatsConnectOptions = {}): Connection {
    return connectNats(this, client, options, 'nats', this.endpoint.description);
  }
}
