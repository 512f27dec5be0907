/** Runs one scenario in this (fresh) process and prints one JSON line: objects, phases, peak RSS. */
import { scenarios } from './scenarios';

const name = process.argv[2];
const scenario = scenarios().find((s) => s.name === name);
if (!scenario) {
  process.stderr.write(`unknown scenario ${JSON.stringify(name)}; known: ${scenarios().map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const result = scenario.run();
process.stdout.write(`${JSON.stringify({ ...result, maxRssKb: process.resourceUsage().maxRSS })}\n`);
