import { ScenarioError, parseScenario } from '../../src/scenarios/loader.js';

/** The problems the loader finds in a scenario text, as `line: path: message` ('?' for no line); [] when it loads. */
export function scenarioIssues(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues.map((i) => `${i.line ?? '?'}: ${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}
