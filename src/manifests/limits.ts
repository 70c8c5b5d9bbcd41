/** Limits that keep a hostile manifest from exhausting the service (both YAML paths hold to them). */
export const LIMITS = {
  maxFileBytes: 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 64,
  maxDocuments: 1000,
};
