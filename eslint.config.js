// @ts-check
import tseslint from 'typescript-eslint';

/**
 * Determinism is the product: simulated code reads time and randomness only from the
 * kernel (src/sim/scheduler.ts, src/sim/rng.ts). These bans keep ambient clocks, timers
 * and entropy out of src/, except the CLI's own progress display.
 */
const ambientBans = {
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Use the seeded Rng (sim.rng.fork(name)).' },
    { object: 'Date', property: 'now', message: 'Use simulated time (scheduler.now).' },
    { object: 'performance', property: 'now', message: 'Use simulated time (scheduler.now).' },
    { object: 'process', property: 'hrtime', message: 'Use simulated time (scheduler.now).' },
    { object: 'crypto', property: 'randomUUID', message: 'Use the seeded Rng.' },
    { object: 'crypto', property: 'getRandomValues', message: 'Use the seeded Rng.' },
    { object: 'crypto', property: 'randomBytes', message: 'Use the seeded Rng.' },
    { object: 'crypto', property: 'randomInt', message: 'Use the seeded Rng.' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use the scheduler (sim.scheduler.after).' },
    { name: 'setInterval', message: 'Use the scheduler (sim.scheduler.after).' },
    { name: 'setImmediate', message: 'Use the scheduler (sim.scheduler.after).' },
    { name: 'queueMicrotask', message: 'Microtasks escape the scheduler.' },
    { name: 'performance', message: 'Use simulated time (scheduler.now).' },
  ],
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'node:timers', message: 'Use the scheduler.' },
        { name: 'timers', message: 'Use the scheduler.' },
        { name: 'node:timers/promises', message: 'Use the scheduler.' },
        { name: 'node:perf_hooks', message: 'Use simulated time.' },
        { name: 'node:crypto', importNames: ['randomUUID', 'randomBytes', 'randomInt', 'getRandomValues', 'webcrypto'], message: 'Use the seeded Rng.' },
        { name: 'crypto', importNames: ['randomUUID', 'randomBytes', 'randomInt', 'getRandomValues', 'webcrypto'], message: 'Use the seeded Rng.' },
      ],
    },
  ],
};

const syntaxBans = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the wall clock; use simulated time.' },
  { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the wall clock; use simulated time.' },
  { selector: "CallExpression[callee.property.name='sort'][arguments.length=0]", message: 'Sort with an explicit total comparator (src/sim/order.ts).' },
  { selector: "MemberExpression[property.name=/^(randomUUID|getRandomValues|randomBytes|randomInt|hrtime)$/]", message: 'Ambient entropy or clock; use the seeded Rng or simulated time.' },
];

/**
 * Time and Duration are integer microseconds; a bare number cast to them is how a 100 ms
 * tick once became 100 µs (six hundred thousand controller ticks a minute). Build them with
 * the helpers of src/sim/time.ts (micros, millis, seconds, time).
 */
const unitCastBans = [
  { selector: "TSAsExpression > TSTypeReference.typeAnnotation[typeName.name=/^(Duration|Time)$/]", message: 'Do not cast numbers to Duration or Time; use micros(), millis(), seconds() or time() from src/sim/time.ts.' },
];

/** Simulated code is callbacks driven by the scheduler: promises run outside it. */
const asyncBans = [
  { selector: ':function[async=true]', message: 'No async in simulated code: microtasks escape the scheduler.' },
  { selector: 'AwaitExpression', message: 'No await in simulated code: microtasks escape the scheduler.' },
  { selector: "NewExpression[callee.name='Promise']", message: 'No promises in simulated code: microtasks escape the scheduler.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-all/**', 'dist-bench/**', 'node_modules/**', 'coverage/**', 'reports/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { ...ambientBans, 'no-restricted-syntax': ['error', ...syntaxBans] },
  },
  {
    files: ['src/nodes/**/*.ts', 'src/scenarios/**/*.ts', 'src/checkers/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...syntaxBans, ...unitCastBans] },
  },
  {
    files: ['src/sim/**/*.ts', 'src/network/**/*.ts', 'src/log/**/*.ts', 'src/checkers/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...syntaxBans, ...asyncBans] },
  },
  {
    files: ['src/nodes/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...syntaxBans, ...asyncBans, ...unitCastBans] },
  },
  {
    files: ['src/checkers/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...syntaxBans, ...asyncBans, ...unitCastBans] },
  },
);
