import { parse, stringify } from 'yaml';
import { check } from '../core/errors';

/** Where every service reads the experiment config. */
export const EDEN_CONFIG_PATH = '/etc/eden/experiment-config.yaml';
/** The config's URI as registered with the control plane: the mounted file, never the git remote. */
export const EDEN_CONFIG_URI = 'file:///etc/eden/experiment-config.yaml';
/** Where the git credential helper is mounted (each git-using service passes it as `--credential-helper`). */
export const EDEN_CREDENTIAL_HELPER_PATH = '/etc/eden/git-credential-helper';
/** The Forgejo user the services push and fetch as. */
export const EDEN_GIT_USER = 'eden';

/**
 * The git credential helper every git-using service runs: it answers `get` with the `eden` user and the password from
 * FORGEJO_REMOTE_PASSWORD (a Secret key reference in the pod's env), so no credential is ever written to a file or a
 * ConfigMap. It reads git's request from stdin before answering and refuses to answer with an empty password (git
 * would otherwise prompt, and a pod has no terminal); `store` and `erase` are no-ops.
 * @see https://git-scm.com/docs/gitcredentials#_custom_helpers
 */
export const EDEN_CREDENTIAL_HELPER = [
  '#!/bin/sh',
  '# git credential helper of the EDEN services, rendered by cdk8s-ops-kit: the password comes from the env, never a file.',
  'case "$1" in',
  '  get)',
  '    cat >/dev/null',
  '    if [ -z "${FORGEJO_REMOTE_PASSWORD:-}" ]; then',
  '      echo "git-credential-helper: FORGEJO_REMOTE_PASSWORD is empty" >&2',
  '      exit 1',
  '    fi',
  `    printf 'username=%s\\n' '${EDEN_GIT_USER}'`,
  `    printf 'password=%s\\n' "$FORGEJO_REMOTE_PASSWORD"`,
  '    ;;',
  '  *)',
  '    cat >/dev/null',
  '    ;;',
  'esac',
  '',
].join('\n');

/**
 * What a config text parses to: true for a mapping, false for any other document, or the parser's first error line.
 * Texts already read are answered from `TEXT_SHAPES`: the example apps build four releases from one config text, and
 * parsing it is a pure function of the text.
 */
function yamlShape(yaml: string): boolean | { readonly error: string } {
  let doc: unknown;
  try {
    doc = parse(yaml);
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc);
}

/** `yamlShape` by config text, for the texts read so far. */
const TEXT_SHAPES = new Map<string, boolean | { readonly error: string }>();

/**
 * The experiment config (`experiment-config.schema.json`), passed to the services verbatim: as the file's text (kept
 * byte for byte, comments included) or as a structured object (rendered as YAML with sorted keys). Either way it must
 * be a YAML mapping.
 */
export class EdenExperimentConfig {
  /** The config file's text, exactly as written. */
  public static text(yaml: string): EdenExperimentConfig {
    check(typeof yaml === 'string' && yaml.trim().length > 0, 'experiment.config', yaml, 'the YAML text of the experiment config');
    let shape = TEXT_SHAPES.get(yaml);
    if (shape === undefined) TEXT_SHAPES.set(yaml, (shape = yamlShape(yaml)));
    if (typeof shape !== 'boolean') check(false, 'experiment.config', yaml.split('\n')[0], 'valid YAML', shape.error);
    check(shape, 'experiment.config', yaml.split('\n')[0], 'a YAML mapping (parallel_variants, evaluation_schema, objective, ...)');
    return new EdenExperimentConfig(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
  }

  /** The config as an object, rendered as YAML with sorted keys. */
  public static object(config: Readonly<Record<string, unknown>>): EdenExperimentConfig {
    check(config !== null && typeof config === 'object' && !Array.isArray(config) && Object.keys(config).length > 0, 'experiment.config', config, 'a non-empty mapping');
    return new EdenExperimentConfig(stringify(config, { sortMapEntries: true }));
  }

  private constructor(
    /** The file's text as mounted. */
    public readonly text: string,
  ) {}
}
