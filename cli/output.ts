// One `-o` vocabulary for every command, as kubectl's: `table` (the human form, the default),
// `wide` (more columns), `json`, `yaml`, `name` (one name per line, for scripts). Each command
// declares the subset it can print, and commander checks the value while parsing argv, so a wrong
// `-o` fails before the command does anything (a push never happens and then fails on its flag).
import { Option } from 'commander';
import { stringify } from 'yaml';

/** Every output format a command may offer. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The `-o, --output` option offering `formats` (the first is the default). */
export function outputOption(formats: readonly [OutputFormat, ...OutputFormat[]], what = 'the result'): Option {
  const [first] = formats;
  return new Option('-o, --output <format>', `how to print ${what}: ${formats.join(', ')} (json and yaml on stdout, progress on stderr)`).choices(formats).default(first);
}

/** A machine-readable document in `format` (json or yaml), ending in a newline. */
export function renderDocument(format: 'json' | 'yaml', value: unknown): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}

/** Writes `value` as json or yaml, `names` one per line for `name`, else `human` (table or wide). */
export function writeOutput(format: OutputFormat, value: unknown, human: () => string, names: () => readonly string[] = () => []): void {
  if (format === 'json' || format === 'yaml') process.stdout.write(renderDocument(format, value));
  else if (format === 'name') process.stdout.write(names().map((n) => `${n}\n`).join(''));
  else {
    const text = human();
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
