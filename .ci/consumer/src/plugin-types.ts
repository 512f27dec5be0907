// The validation plugin's types come from the package's `cdk8s-ops-kit/plugin` entry (compiled, never run).
import { OpsKitValidation, OpsKitValidationProperties } from 'cdk8s-ops-kit/plugin';

const properties: OpsKitValidationProperties = { schema: true };
export const plugin: OpsKitValidation = new OpsKitValidation(properties);
