import { App } from 'cdk8s';
import { dimtensorApp } from './dimtensor';
import { edenApp } from './eden';
import { graphistryApp } from './graphistry';
import { iotFleetApp } from './iot-fleet';
import { semanticExplorerApp } from './semantic-explorer';

/** An example system: one file under apps/ that adds one or more Releases to the app. */
export interface ExampleApp {
  /** Short id used by `npm run synth -- --only <name>` and the benchmarks. */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** Adds this system's releases to `app`. */
  build(app: App): void;
}

/**
 * Every example app `npm run synth` renders into dist/. Product issues add theirs here; a throwaway demo app does not
 * belong in this list.
 */
export const EXAMPLE_APPS: readonly ExampleApp[] = [
  iotFleetApp,
  graphistryApp,
  dimtensorApp,
  semanticExplorerApp,
  edenApp,
];
