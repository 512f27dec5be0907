import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { EnvFrom } from '../../core/env';
import { check } from '../../core/errors';
import { Images } from '../../core/images';
import { assertDnsSubdomain } from '../../core/names';
import { assertExternalRefs, ExternalRef } from '../../core/policy';
import { Probes, probeSeconds } from '../../core/probes';
import { Release } from '../../release/release';
import { DEFAULT_GRAPHISTRY_TAG, graphistryImage } from '../defaults';
import { DATA_PATH, NEXUS_STATIC_PATH } from '../engine';
import { Postgres } from '../postgres';
import { assertOperatorSecret, GraphistrySecretKind, optionalSecretName } from '../secrets';
import { GRAPHISTRY_REDIS_DATABASE, GraphistryServiceRepositories, SERVICE_DEFAULT_RESOURCES, graphistryServiceProfile, ServiceNames, ServicePorts } from './defaults';
import { Redis } from './redis';
import { GraphistryService, GraphistryServiceOptions, ServiceCommonProps } from './workload';

/** Where nexus keeps uploaded media (on the data-mount volume). */
export const NEXUS_MEDIA_PATH = '/nexus_media';

/**
 * How dj-stripe validates the Stripe webhooks nexus receives (`DJSTRIPE_WEBHOOK_VALIDATION`).
 * @see https://dj-stripe.dev/
 */
export class StripeWebhookValidation {
  /** Re-fetch each event from Stripe's API before acting on it (what the seed chart sets; needs no webhook secret). */
  public static readonly RETRIEVE_EVENT = new StripeWebhookValidation('retrieve_event');
  /** Verify the `Stripe-Signature` header with `DJSTRIPE_WEBHOOK_SECRET` (from the optional Secret). */
  public static readonly VERIFY_SIGNATURE = new StripeWebhookValidation('verify_signature');

  private constructor(
    /** The value dj-stripe reads. */
    public readonly value: 'retrieve_event' | 'verify_signature',
  ) {}
}

/**
 * nexus' session and token lifetimes and its Stripe webhook validation as the seed chart renders them (its
 * `nexus.env` defaults: `sessionCookieAge` "1209600", `jwtExpirationDelta` "3600", and
 * `DJSTRIPE_WEBHOOK_VALIDATION: retrieve_event`). Taken from the chart the seed changes, not guessed; nexus' image
 * would otherwise apply its own Django settings.
 */
export const NEXUS_SEED_DEFAULTS = {
  sessionCookieAge: Duration.seconds(1209600),
  jwtExpiration: Duration.seconds(3600),
  stripeWebhookValidation: StripeWebhookValidation.RETRIEVE_EVENT,
} as const;

/** nexus' typed settings (rendered as env the construct owns, so the prop is the one place to set each). */
export interface NexusSettings {
  /**
   * `SESSION_COOKIE_AGE`: how long a login session cookie lives.
   * @default Duration.days(14) (the seed chart's 1209600 s)
   */
  readonly sessionCookieAge?: Duration;
  /**
   * `JWT_EXPIRATION_DELTA`: how long an API token (drf-jwt) is valid.
   * @default Duration.hours(1) (the seed chart's 3600 s)
   */
  readonly jwtExpiration?: Duration;
  /**
   * `DJSTRIPE_WEBHOOK_VALIDATION`: how Stripe webhooks are validated.
   * @default StripeWebhookValidation.RETRIEVE_EVENT (the seed chart's)
   */
  readonly stripeWebhookValidation?: StripeWebhookValidation;
}

/** Props of Nexus. */
export interface NexusProps extends ServiceCommonProps, GraphistryServiceOptions, NexusSettings {
  /**
   * `GRAPHISTRY_CPU_MODE`: run Graphistry's Python code without a GPU. GraphistryStack sets the same value here and
   * in the engine's forge-etl-python and dask-cuda-worker, so they cannot disagree.
   * @default false
   */
  readonly cpuMode?: boolean;
  /** The Postgres server: connection env and the `pg_isready` init wait on the same host and port. */
  readonly postgres: Postgres;
  /** Name of the operator-created Secret with DJANGO_SECRET_KEY (loaded with envFrom). */
  readonly jwtSecret: string;
  /**
   * Name of the operator-created Secret with GRAPHISTRY_NEXUS_ENCRYPTION_KEYS, GRAPHISTRY_NEXUS_SIGNING_KEY and
   * GRAPHISTRY_NEXUS_SIGNING_SALT (loaded with envFrom; more nexus-only sensitive variables may live in it).
   */
  readonly requiredSecret: string;
  /**
   * Name of a Secret with feature credentials nexus reads only when the feature is on (LDAP bind password, SMTP,
   * OAuth, Slack, Stripe), by environment variable name. Loaded with `optional: true`, so it may not exist yet.
   * @default - none
   */
  readonly optionalSecret?: string;
  /**
   * Whether browsers reach the site over HTTPS (from the TLS mode in front of Caddy). Sets COOKIE_SECURE, so the
   * session cookie is never sent over plain HTTP when the site is HTTPS, and still works when it is not.
   */
  readonly externalScheme: 'http' | 'https';
  /** Claim name of the shared data PVC. */
  readonly dataMountClaim: string;
  /** Claim name of the media PVC nexus collects its static files into. */
  readonly localMediaMountClaim: string;
  /**
   * Redis for nexus' cache and task queue: the connection sets REDIS_URL (database 0).
   * @default - none (the platform tier has no Redis)
   */
  readonly redis?: Redis;
  /**
   * Graphistry release tag of the image.
   * @default 'v2.50.7'
   */
  readonly tag?: string;
  /**
   * Replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * More objects the pod references that an operator creates (the PVCs, when another release renders them).
   * @default - the Postgres and crypto Secrets only
   */
  readonly additionalExternalRefs?: readonly ExternalRef[];
}

/**
 * nexus: Graphistry's Django app (accounts, auth, datasets, the API and the landing pages) on port 8000. It reads
 * its crypto from two operator-created Secrets, waits for Postgres on the configured port before starting, and marks
 * its cookies Secure exactly when the site is served over HTTPS.
 */
export class Nexus extends GraphistryService {
  constructor(scope: Construct, id: string, props: NexusProps) {
    const tag = props.tag ?? DEFAULT_GRAPHISTRY_TAG;
    super(scope, id, { name: ServiceNames.NEXUS, component: 'api', version: tag, container: 'nexus' }, 'Nexus');
    const ns = Release.of(this).releaseNamespace;
    const jwt = assertOperatorSecret(GraphistrySecretKind.JWT, props.jwtSecret, ns, 'jwtSecret');
    const required = assertOperatorSecret(GraphistrySecretKind.NEXUS, props.requiredSecret, ns, 'requiredSecret');
    const optional = optionalSecretName('optionalSecret', props.optionalSecret);
    check(props.externalScheme === 'http' || props.externalScheme === 'https', 'externalScheme', props.externalScheme, 'http or https');
    const settings = nexusSettingsEnv(props);
    assertDnsSubdomain('dataMountClaim', props.dataMountClaim);
    assertDnsSubdomain('localMediaMountClaim', props.localMediaMountClaim);

    props.postgres.connect(this.client);
    this.env
      // Derived from the TLS mode, so nexus and Caddy can never disagree about whether the site is HTTPS.
      .own('COOKIE_SECURE', props.externalScheme === 'https' ? 'True' : 'False')
      .own('JWT_AUTH_COOKIE', 'graphistry_jwt')
      .own('GRAPHISTRY_CPU_MODE', props.cpuMode ? '1' : '0', { controlledBy: "the 'cpuMode' prop (the engine's Python containers get the same value)" });
    for (const [name, { value, prop }] of Object.entries(settings)) this.env.own(name, value, { controlledBy: `the '${prop}' prop` });
    props.redis?.connect(this.client, { urlEnv: 'REDIS_URL', database: GRAPHISTRY_REDIS_DATABASE });
    this.connectAll(props.connections);
    this.env
      .defaults({
        APP_ENVIRONMENT: 'production',
        DJANGO_ALLOWED_HOSTS: '*',
        DJANGO_DEBUG: 'False',
        DJANGO_SETTINGS_MODULE: 'config.settings.production',
        ENABLE_DJANGO_SILK: 'False',
        GRAPHISTRY_LOG_LEVEL: 'INFO',
        LOG_LEVEL: 'INFO',
        NODE_ENV: 'production',
      })
      .user(props.env, 'env')
      .envFrom(EnvFrom.secret(jwt), 'jwtSecret')
      .envFrom(EnvFrom.secret(required), 'nexusSecret');
    // Feature credentials: absent on minimal installs, so the reference is optional and the pod starts without it.
    if (optional) this.env.envFrom(EnvFrom.secret(optional, { optional: true }), 'optionalSecret');

    const health = { port: ServicePorts.NEXUS, path: '/ht/' };
    this.render({
      image: Images.of(this).resolve('image', props.image ?? graphistryImage(GraphistryServiceRepositories.nexus, tag, 'universal')),
      ports: [{ name: 'http', port: ServicePorts.NEXUS }],
      servicePorts: [{ name: 'http', port: ServicePorts.NEXUS, targetPort: 'http' }],
      resources: props.resources ?? SERVICE_DEFAULT_RESOURCES[ServiceNames.NEXUS],
      // Migrations run at start-up, so liveness waits long; readiness keeps nexus out of rotation until it answers.
      liveness: Probes.curl(health, probeSeconds(180, 60, 30)),
      readiness: Probes.curl(health, probeSeconds(20, 10, 10)),
      volumeMounts: [
        { name: 'local-media-mount', mountPath: NEXUS_STATIC_PATH },
        { name: 'data-mount', mountPath: DATA_PATH },
        { name: 'data-mount', mountPath: NEXUS_MEDIA_PATH, subPath: 'nexus_media' },
      ],
      volumes: [
        { name: 'local-media-mount', persistentVolumeClaim: { claimName: props.localMediaMountClaim } },
        { name: 'data-mount', persistentVolumeClaim: { claimName: props.dataMountClaim } },
      ],
      security: props.securityProfile ?? graphistryServiceProfile(),
      placement: props.placement,
      replicas: props.replicas,
      rollout: props.rollout,
      externalRefs: [{ kind: 'Secret', name: jwt }, { kind: 'Secret', name: required }, ...assertExternalRefs('additionalExternalRefs', props.additionalExternalRefs ?? [])],
    });
  }
}

/** The env of nexus' typed settings, each with the prop that sets it (validated: whole seconds above zero). */
function nexusSettingsEnv(props: NexusSettings): Record<string, { value: string; prop: string }> {
  const seconds = (prop: keyof NexusSettings, d: Duration | undefined, fallback: Duration) => {
    const n = (d ?? fallback).toSeconds({ integral: false });
    check(Number.isSafeInteger(n) && n > 0, prop, `${n}s`, 'a whole number of seconds above 0');
    return String(n);
  };
  const validation = props.stripeWebhookValidation ?? NEXUS_SEED_DEFAULTS.stripeWebhookValidation;
  check(validation instanceof StripeWebhookValidation, 'stripeWebhookValidation', validation, 'StripeWebhookValidation.RETRIEVE_EVENT or StripeWebhookValidation.VERIFY_SIGNATURE');
  return {
    SESSION_COOKIE_AGE: { value: seconds('sessionCookieAge', props.sessionCookieAge, NEXUS_SEED_DEFAULTS.sessionCookieAge), prop: 'sessionCookieAge' },
    JWT_EXPIRATION_DELTA: { value: seconds('jwtExpiration', props.jwtExpiration, NEXUS_SEED_DEFAULTS.jwtExpiration), prop: 'jwtExpiration' },
    DJSTRIPE_WEBHOOK_VALIDATION: { value: validation.value, prop: 'stripeWebhookValidation' },
  };
}
