import { renderEqualsToJsonSuite } from './render-cases';

// The L1 shapes read from the converters' source at run time (no module here carries precomputed ones).
renderEqualsToJsonSuite('one-pass render equals ApiObject.toJson()');
