import { check } from '../core/errors';

const BUCKET = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Throws unless `name` is a valid JetStream KV bucket name (letters, digits, '_' and '-').
 * @internal
 */
export function assertBucketName(prop: string, name: string): string {
  check(typeof name === 'string' && BUCKET.test(name), prop, name, "a KV bucket name: 1-64 letters, digits, '_' and '-' (no dots: the bucket name becomes a stream name)");
  return name;
}

/**
 * A JetStream key-value bucket clients of one NATS server agree on. The server does not create buckets from its
 * config: the first client that opens the bucket creates it. Declaring the bucket on the server object lets every
 * consumer (operator env, agents, tests) take the name from one place, so they can never disagree.
 */
export interface NatsKvBucket {
  /** The bucket name (the stream is `KV_<name>`). */
  readonly name: string;
  /** What the bucket holds, for the operator notes. */
  readonly description: string;
}
