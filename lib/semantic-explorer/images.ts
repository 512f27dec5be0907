import { assertPinnedTag, ImageRef } from '../core/images';

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

/**
 * Validates the image settings and returns the reference of `service`'s image.
 * @internal
 */
export function semanticExplorerImage(images: SemanticExplorerImages, service: SemanticExplorerService): string {
  const gpu = service === SemanticExplorerService.EMBEDDING_INFERENCE || service === SemanticExplorerService.LLM_INFERENCE;
  const prop = gpu ? 'images.inferenceTag' : 'images.tag';
  const tag = gpu ? images.inferenceTag : images.tag;
  assertPinnedTag(prop, tag, { example: gpu ? '0.4.1-cuda12-sm89' : '0.4.1', missingReason: 'every image is pinned; there is no default tag' });
  const prefix = images.repositoryPrefix ?? SEMANTIC_EXPLORER_REPOSITORY_PREFIX;
  const ref = `${prefix}/${service}:${tag}`;
  ImageRef.parse(ref, 'images.repositoryPrefix');
  return ref;
}
