import { check } from '../core/errors';
import { ImageRef } from '../core/images';

/**
 * The Valkey image used unless told otherwise: Valkey 8, Alpine variant (its busybox runs the init script), pinned. Tag
 * choice: Valkey 8.0.1 (October 2024) on Docker Hub's `valkey/valkey`, which publishes `<version>-alpine` per release.
 */
export const VALKEY_IMAGE = 'valkey/valkey:8.0.1-alpine';
/**
 * The Redis image used by `ValkeyEngine.redis()`: Redis 7, Alpine variant, pinned. Tag choice: Redis 7.4.1 (October
 * 2024) on Docker Hub's official `redis`, which publishes `<version>-alpine` per release.
 */
export const REDIS7_IMAGE = 'redis:7.4.1-alpine';

/**
 * Which server runs: Valkey or Redis. They read the same configuration file and speak the same protocol; they differ in
 * image and in the names of their binaries and of the env variable their CLI reads a password from (which the probes
 * use, so the password never appears in a command line).
 */
export class ValkeyEngine {
  /**
   * Valkey (the BSD-licensed fork of Redis 7.2).
   * @param image a Valkey image, pinned @default VALKEY_IMAGE
   */
  public static valkey(image: string = VALKEY_IMAGE): ValkeyEngine {
    return new ValkeyEngine('valkey', image, 'valkey-server', 'valkey-cli', 'VALKEYCLI_AUTH');
  }

  /**
   * Redis 7.
   * @param image a Redis 7 image, pinned @default REDIS7_IMAGE
   */
  public static redis(image: string = REDIS7_IMAGE): ValkeyEngine {
    return new ValkeyEngine('redis', image, 'redis-server', 'redis-cli', 'REDISCLI_AUTH');
  }

  private constructor(
    /** `valkey` or `redis`. */
    public readonly kind: 'valkey' | 'redis',
    /** The image as written. */
    public readonly image: string,
    /** The server binary. */
    public readonly server: string,
    /** The CLI binary (probes). */
    public readonly cli: string,
    /** The env variable the CLI reads the password from. */
    public readonly cliAuthEnv: string,
  ) {
    check(typeof image === 'string' && image.length > 0, 'engine.image', image, 'an image reference such as valkey/valkey:8.0.1-alpine');
    ImageRef.parse(image, 'engine.image');
  }
}
