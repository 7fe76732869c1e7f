// Lint rules for src/, bench/, test/ and scripts/ (npm run lint; npm test runs it).
// Formatting is prettier's (npm run format), so no rule here is about layout.
//
// The layering of src/ is enforced here: a file may import its own folder and
// the layers below it, never a layer above, and no import circles at all
// (type-only imports included). From the top:

const LAYERS = [
  ['src/main.ts'],
  ['src/cli.ts', 'src/cli'],
  ['src/server.ts'],
  // The admin endpoints: they stand on the API, the consumers and the node.
  ['src/admin'],
  // Doors into the node: connections, consumers, operations.
  ['src/transports', 'src/consumers', 'src/health.ts'],
  ['src/api'],
  // One connection's session; it owns the Transport and the Writer it needs.
  ['src/client'],
  // Publish path, client index, control plane; sessions only through its own interface.
  ['src/node'],
  ['src/hub', 'src/engines'],
  ['src/auth', 'src/channels', 'src/proxy'],
  ['src/config', 'src/protocol', 'src/metrics.ts', 'src/log.ts', 'src/version.ts'],
  ['src/util'],
];

import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const above = (i) => LAYERS.slice(0, i).flat();
const layerZones = LAYERS.flatMap((layer, i) =>
  layer.map((target) => ({
    target: `./${target}`,
    from: above(i).map((p) => `./${p}`),
    message: `${target} sits below these in the layering (see eslint.config.js): import only from lower layers.`,
  })),
).filter((zone) => zone.from.length > 0);
// Folders of one layer stay apart, so that each can be read (and replaced) on its own.
const apart = [
  ['src/hub', 'src/engines'],
  ['src/auth', 'src/channels', 'src/proxy'],
  ['src/config', 'src/protocol'],
  // Each engine stands on the Broker and PresenceManager interfaces alone.
  ['src/engines/memory', 'src/engines/redis'],
  ['src/engines/memory', 'src/engines/nats'],
  ['src/engines/redis', 'src/engines/nats'],
].flatMap(([a, b]) => [
  { target: `./${a}`, from: `./${b}`, message: `${a} and ${b} are independent.` },
  { target: `./${b}`, from: `./${a}`, message: `${a} and ${b} are independent.` },
]);
// Inside a layer: the control plane is a part the node uses, and reaches the
// node only through the handler interfaces it declares itself.
const inside = [
  {
    target: './src/node/control',
    from: ['./src/node/node.ts', './src/node/apply-user-command.ts'],
    message: 'node/control reaches the node through its own interfaces (ControlHost, SurveyHandler), never node.ts.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      // Unused bindings named _x are deliberate (destructuring to drop a field, a callback's unused argument).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-useless-path-segments': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...apart, ...inside] }] },
  },
  {
    // The admin web UI (src/admin-ui) is browser code, bundled by scripts/build-ui.mjs: browser
    // globals, its own tsconfig, none of the server's layering. It stands alone: it talks to the
    // server over HTTP only, so it imports nothing from the rest of src/.
    files: ['src/admin-ui/**/*.ts'],
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './src/admin-ui/tsconfig.json' })] },
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        location: 'readonly',
        localStorage: 'readonly',
        fetch: 'readonly',
        Headers: 'readonly',
        Request: 'readonly',
        Response: 'readonly',
        FormData: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        AbortController: 'readonly',
        DOMException: 'readonly',
        TextDecoderStream: 'readonly',
        ResizeObserver: 'readonly',
        CSS: 'readonly',
        requestAnimationFrame: 'readonly',
      },
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/admin-ui',
              from: './src',
              except: ['./admin-ui'],
              message: 'The admin UI talks to the server over HTTP only: import nothing from the rest of src/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests and tools may reach into any layer, and use `any` where a wire format is untyped.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  prettier,
);
