/**
 * The scripts a PostgresServer mounts at `/docker-entrypoint-initdb.d`. The official image runs them once, on an empty
 * data directory, with a server listening only on its Unix socket; they are also safe to run again by hand (every
 * statement is idempotent), which is how a role or database added later reaches an initialized server.
 *
 * Identifiers are validated lowercase names, so they are written quoted without escaping. Passwords never appear in
 * the scripts: each comes from an env variable of the server container (a Secret key reference) and reaches SQL as a
 * psql variable (`:'name'`), which psql quotes as a literal.
 * @see https://github.com/docker-library/docs/blob/master/postgres/README.md#initialization-scripts
 */

/**
 * A role an init script creates.
 * @internal
 */
export interface InitRole {
  /** Role name (a validated lowercase identifier). */
  readonly name: string;
  /** The server container's env variable holding the password. */
  readonly passwordEnv: string;
  /** Where the password comes from, for the error an empty one gets. */
  readonly passwordSource: string;
  /** May create databases. */
  readonly createDb: boolean;
  /**
   * Member of `pg_monitor` (reads the statistics views a metrics exporter needs).
   * @default false
   */
  readonly monitor?: boolean;
  /**
   * The superuser the image created from POSTGRES_USER: the script only sets its password (so running the script again
   * after a Secret changed brings the database back in line with it).
   * @default false
   */
  readonly superuser?: boolean;
}

/**
 * A database an init script creates.
 * @internal
 */
export interface InitDatabase {
  /** Database name (a validated lowercase identifier). */
  readonly name: string;
  /** Owning role. */
  readonly owner: string;
  /** Further roles granted CONNECT (CONNECT is revoked from PUBLIC). */
  readonly connect: readonly string[];
}

/**
 * File name of the roles script (runs first: databases name their owners).
 * @internal
 */
export const ROLES_SCRIPT = '10-roles.sh';
/**
 * File name of the databases script.
 * @internal
 */
export const DATABASES_SCRIPT = '20-databases.sh';

function header(server: string, what: string, file: string): string[] {
  return [
    '#!/bin/sh',
    `# ${what} of PostgreSQL server ${server}, rendered by cdk8s-ops-kit. Do not edit: change the construct and synthesize again.`,
    '# The image runs this once, on an empty data directory. Every statement is idempotent, so it can be run again on a',
    `# running server: kubectl exec ${server}-0 -- /docker-entrypoint-initdb.d/${file}`,
    'set -eu',
  ];
}

const PSQL = 'psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB"';

/**
 * Creates each role that does not exist, then sets its attributes and its password from the env (so a second run
 * syncs each password to its Secret as the container saw it when it started). An empty password stops the script
 * before anything runs.
 * @internal
 */
export function rolesScript(server: string, roles: readonly InitRole[]): string {
  const lines = header(server, 'Roles', ROLES_SCRIPT);
  for (const r of roles) {
    lines.push(`[ -n "\${${r.passwordEnv}:-}" ] || { echo "role ${r.name}: the password (${r.passwordSource}) is empty or missing" >&2; exit 1; }`);
  }
  const vars = roles.map((r) => `  -v ${varName(r.name)}="$${r.passwordEnv}"`);
  lines.push(`${PSQL} \\`, ...vars.map((v) => `${v} \\`), "  <<'EOSQL'");
  for (const r of roles) {
    if (r.superuser) {
      lines.push(`ALTER ROLE "${r.name}" WITH PASSWORD :'${varName(r.name)}';`);
      continue;
    }
    lines.push(`SELECT format('CREATE ROLE %I', '${r.name}') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${r.name}')\\gexec`);
    lines.push(`ALTER ROLE "${r.name}" WITH LOGIN NOSUPERUSER NOCREATEROLE ${r.createDb ? 'CREATEDB' : 'NOCREATEDB'} PASSWORD :'${varName(r.name)}';`);
    if (r.monitor) lines.push(`GRANT pg_monitor TO "${r.name}";`);
  }
  lines.push('EOSQL');
  return `${lines.join('\n')}\n`;
}

/**
 * Creates each database that does not exist, owned by its role, and limits who may connect to it: CONNECT and
 * TEMPORARY are revoked from PUBLIC (every role may connect to every database otherwise) and granted to the roles named.
 * @internal
 */
export function databasesScript(server: string, databases: readonly InitDatabase[]): string {
  const lines = header(server, 'Databases', DATABASES_SCRIPT);
  lines.push(`${PSQL} <<'EOSQL'`);
  for (const d of databases) {
    lines.push(`SELECT format('CREATE DATABASE %I OWNER %I', '${d.name}', '${d.owner}') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '${d.name}')\\gexec`);
    lines.push(`ALTER DATABASE "${d.name}" OWNER TO "${d.owner}";`);
    lines.push(`REVOKE CONNECT, TEMPORARY ON DATABASE "${d.name}" FROM PUBLIC;`);
    for (const r of d.connect) lines.push(`GRANT CONNECT, TEMPORARY ON DATABASE "${d.name}" TO "${r}";`);
  }
  lines.push('EOSQL');
  return `${lines.join('\n')}\n`;
}

function varName(role: string): string {
  return `password_${role}`;
}
