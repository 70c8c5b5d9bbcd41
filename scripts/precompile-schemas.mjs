// Build step: the built-in schemas' validators as ajv standalone code, in dist/precompiled-schemas/
// (see src/manifests/precompiled.ts). Run after tsc, by `npm run build`, `prepare`, `prepack` and `bench`.
import { loadProviders } from '../dist/src/providers/registry.js';
import { builtinSchemas, writePrecompiled } from '../dist/src/manifests/standalone.js';

const n = writePrecompiled(builtinSchemas(await loadProviders()));
if (process.env.DRIFTLESS_BUILD_VERBOSE) console.log(`precompiled ${n} schemas`);
