import { check } from '../core/errors';
import { ImageRef } from '../core/images';

/** The Docker Hub namespace the project publishes its images under. */
export const SEMANTIC_EXPLORER_REPOSITORY_PREFIX = 'jofish89';

/** The application's services, as their images and object names call them. */
export enum SemanticExplorerService {
  /** The HTTP API (Rust, actix). */
  API = 'semantic-explorer',
  /** The collections worker (file ingestion). */
  WORKER_COLLECTIONS = 'worker-collections',
  /** The datasets worker (embedding jobs). */
  WORKER_DATASETS = 'worker-datasets',
  /** The visualizations worker (Python). */
  WORKER_VISUALIZATIONS = 'worker-visualizations-py',
  /** The embedding and reranking inference API (CUDA). */
  EMBEDDING_INFERENCE = 'embedding-inference-api',
  /** The LLM inference API (CUDA). */
  LLM_INFERENCE = 'llm-inference-api',
}

/**
 * Which release of the application runs. There is no default tag: the project publishes `latest` and moves it under
 * running pods, and an unpinned image with `pullPolicy: Always` makes every restart a possible upgrade.
 */
export interface SemanticExplorerImages {
  /** The release tag of the API and the three workers (`0.4.1`); never `latest`. */
  readonly tag: string;
  /**
   * The tag of the two inference images, which name their CUDA and GPU architecture build (`0.4.1-cuda12-sm89`);
   * never `latest`.
   */
  readonly inferenceTag: string;
  /**
   * Registry and namespace of the images (`registry.corp.example/semantic-explorer`); the release's mirror still
   * applies.
   * @default 'jofish89' (Docker Hub)
   */
  readonly repositoryPrefix?: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Validates the image settings and returns the reference of `service`'s image.
 * @internal
 */
export function semanticExplorerImage(images: SemanticExplorerImages, service: SemanticExplorerService): string {
  const gpu = service === SemanticExplorerService.EMBEDDING_INFERENCE || service === SemanticExplorerService.LLM_INFERENCE;
  const prop = gpu ? 'images.inferenceTag' : 'images.tag';
  const tag = gpu ? images.inferenceTag : images.tag;
  check(typeof tag === 'string' && TAG.test(tag), prop, tag, gpu ? 'a release tag such as 0.4.1-cuda12-sm89' : 'a release tag such as 0.4.1',
    'every image is pinned; there is no default tag');
  check(tag !== 'latest', prop, tag, gpu ? 'a release tag such as 0.4.1-cuda12-sm89' : 'a release tag such as 0.4.1',
    'latest moves under running pods: two replicas can run different code, and a rollback restores nothing');
  const prefix = images.repositoryPrefix ?? SEMANTIC_EXPLORER_REPOSITORY_PREFIX;
  const ref = `${prefix}/${service}:${tag}`;
  ImageRef.parse(ref, 'images.repositoryPrefix');
  return ref;
}
