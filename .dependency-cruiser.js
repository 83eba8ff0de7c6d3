// @ts-check
/**
 * The layers of src/, lowest first: a folder may import from itself and from the folders before it, never
 * from one after it. Root files (main.ts, app.module.ts, ...) compose everything. `npm run check:architecture`
 * fails on a file-level import cycle or on an import against this order (which also rules out folder cycles).
 */
const LAYERS = [
  'config',
  'common',
  'database',
  'redis',
  'users',
  'chats',
  'messages',
  'inbox',
  'groups',
  'presence',
  'profiles',
  'auth',
  'realtime',
  'telegram',
  'notifications',
  'health',
  'cli',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle between files.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'layer-order',
      severity: 'error',
      comment: 'src/ must list each top-level folder in LAYERS (.dependency-cruiser.js).',
      from: { path: '^src/[^/]+/', pathNot: `^src/(${LAYERS.join('|')})/` },
      to: {},
    },
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-order:${layer}`,
      severity: /** @type {const} */ ('error'),
      comment: `src/${layer} may not import from a later layer (${LAYERS.slice(i + 1).join(', ')}).`,
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle of types is still a cycle for a reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
