// The library entry: no side effects on the importing process.
export { type GenerateConfig, loadConfig } from './config.js';
export { ExitCode, GenerateError, type Refusal, RefusedError, UsageError } from './errors.js';
export { type GeneratedFile, type GenerateOptions, type GeneratePlan, plan, write } from './generate.js';
export { type GenerateEvent, planEvents, renderText } from './render.js';
export { isSafeTypeChange } from './rules.js';
export { phase, possibleRenames, type Snapshot } from './snapshot.js';
export type { Action, Phase, Step } from './steps.js';
export { BATCH_TARGET_MS } from './templates.js';
