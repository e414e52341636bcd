/**
 * Flags declared once (src/cli/flag-table.ts): the commander options, the parsed flags' type
 * and the library options come from one table; the agreements' and similarities' options are
 * generated from their declarations, into `krs score --help` and the served API's schema; no
 * flag declaration is written twice across src/cli.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { addFlags, type FlagsOf, flag, flagKey, longFlag, type OptionsOf, optionsOf } from '../../src/cli/flag-table.js';
import { parseNumber, repeated } from '../../src/cli/options.js';
import { newRunBody } from '../../src/serve/schemas.js';
import { SIMILARITY_OPTIONS } from '../../src/similarity/registry.js';
import { AGREEMENT_OPTIONS, agreementOptionsOf } from '../../src/tasks/agreement-options.js';
import { krs } from '../helpers/cli.js';

const TABLE = [
  flag('--task <task>', 'the task', { required: true, to: true }),
  flag('--pair <t:s>', 'a pair', { parse: repeated, to: 'pairs' }),
  flag('--alpha-step <h>', 'a step', { parse: parseNumber }),
  flag('--port <n>', 'a port', { parse: parseNumber, default: 8080 }),
  flag('--channels-last', 'a switch', { to: true }),
  flag('--no-null', 'on unless given'),
] as const;

function parse(argv: string[]): Record<string, unknown> {
  const cmd = addFlags(new Command('x').exitOverride().configureOutput({ writeErr: () => {} }), TABLE);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

describe('a flag table', () => {
  it('gives the commander options: names, parsers (naming the flag), defaults, required, negations', () => {
    expect(parse(['--task', 'a', '--pair', 'x:y', '--pair', 'z:w', '--alpha-step', '0.5'])).toEqual({
      task: 'a',
      pair: ['x:y', 'z:w'],
      alphaStep: 0.5,
      port: 8080,
      null: true,
    });
    expect(parse(['--task', 'a', '--no-null', '--channels-last'])).toMatchObject({ null: false, channelsLast: true });
    expect(() => parse(['--task', 'a', '--alpha-step', 'x'])).toThrow('invalid --alpha-step "x": expected a number');
    expect(() => parse([])).toThrow(/required option '--task <task>' not specified/);
  });

  it('names each value as commander does', () => {
    expect(TABLE.map(flagKey)).toEqual(['task', 'pair', 'alphaStep', 'port', 'channelsLast', 'null']);
    expect(TABLE.map(longFlag)).toEqual(['--task', '--pair', '--alpha-step', '--port', '--channels-last', '--no-null']);
  });

  it("derives the parsed flags' type and the library options of plain renames", () => {
    type Flags = FlagsOf<typeof TABLE>;
    expectTypeOf<Flags>().toEqualTypeOf<{ task: string; port: number; null: boolean } & { pair?: string[]; alphaStep?: number; channelsLast?: boolean }>();
    expectTypeOf<OptionsOf<typeof TABLE>>().toEqualTypeOf<{ task: string } & { pairs?: string[]; channelsLast?: boolean }>();
    const flags = parse(['--task', 'a', '--pair', 'x:y', '--alpha-step', '1']);
    expect(optionsOf(flags, TABLE)).toEqual({ task: 'a', pairs: ['x:y'] });
  });
});

/** The long flags of one command of the real program. */
async function commandFlags(name: string): Promise<string[]> {
  const { buildProgram } = await import('../../src/cli/run.js');
  const program = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, argv: [], signals: false });
  return program.commands.find((c) => c.name() === name)!.options.map((o) => o.long!);
}

describe('options generated from the declarations', () => {
  it('every declared agreement option is a flag of krs score once, and in its --help once', async () => {
    expect(AGREEMENT_OPTIONS.map((o) => o.key)).toEqual(['temperature', 'scoreMin', 'iouMin', 'ignoreLabel', 'mseMax']);
    const score = await commandFlags('score');
    const help = (await krs('score', '--help')).stdout;
    for (const o of AGREEMENT_OPTIONS) {
      expect(score.filter((f) => f === o.flag)).toHaveLength(1);
      expect(help.split(`  ${o.flag} <${o.placeholder}>`).length - 1, o.flag).toBe(1);
    }
    expect(help).toMatch(/--score-min <s> +detection: keep boxes with score ≥ s \(default\s+0\.5\)/);
    expect(help).toMatch(/--mse-max <m> +regression: worst-case MSE normaliser \(default:\s+variance of the teacher outputs\)/);
    // eval: the ones its action passes on; explain: KL agreement's temperature.
    expect((await commandFlags('eval')).filter((f) => AGREEMENT_OPTIONS.some((o) => o.flag === f))).toEqual(['--temperature', '--ignore-label', '--mse-max']);
    expect((await commandFlags('explain')).filter((f) => AGREEMENT_OPTIONS.some((o) => o.flag === f))).toEqual(['--temperature']);
  });

  it("every declared agreement option is in the served API's settings.output schema once, with its domain", () => {
    const output = newRunBody.properties.settings.properties.output;
    expect(Object.keys(output.properties)).toEqual(AGREEMENT_OPTIONS.map((o) => o.key));
    for (const o of AGREEMENT_OPTIONS)
      expect((output.properties as unknown as Record<string, { description: string }>)[o.key]!.description).toContain(o.expected);
    const committed = JSON.parse(readFileSync('docs/openapi.json', 'utf8')) as Record<string, unknown>;
    const text = JSON.stringify(committed);
    for (const o of AGREEMENT_OPTIONS) expect(text.split(`"${o.key}":{"type":"number"`).length - 1, o.key).toBe(1);
  });

  it('the flags carry their values to the output options by API name', () => {
    expect(agreementOptionsOf({ scoreMin: 0.3, temperature: undefined, alpha: 0.5 })).toEqual({ scoreMin: 0.3 });
  });

  it('the agreements check values with their declarations (messages as before)', async () => {
    const { detectionAgreement } = await import('../../src/agreement/detection.js');
    const { segmentationAgreementMeasure } = await import('../../src/agreement/segmentation.js');
    const { klAgreementMeasure } = await import('../../src/agreement/classification.js');
    const { regressionAgreementMeasure } = await import('../../src/agreement/regression.js');
    expect(() => detectionAgreement([], { iouMin: 2 })).toThrow('invalid iouMin 2: expected a number in (0, 1]');
    expect(() => detectionAgreement([], { scoreMin: Number.NaN })).toThrow('expected a finite number');
    expect(() => klAgreementMeasure({ temperature: 0 }).init()).toThrow('invalid temperature 0: expected a finite number > 0');
    expect(() => regressionAgreementMeasure({ mseMax: -1 }).init()).toThrow('invalid mseMax -1: expected a finite number > 0');
    expect(() => segmentationAgreementMeasure({ ignoreLabel: 1.5 }).init()).toThrow('invalid ignoreLabel 1.5: expected an integer or null');
    expect(segmentationAgreementMeasure({ ignoreLabel: null }).init()).toBeDefined();
  });
});

/** Sources of src/cli, every command's flags declared in tables (`krs demo` too). */
const CLI = 'src/cli';
const TABLE_SOURCES = readdirSync(CLI).filter((f) => f.endsWith('.ts'));

describe('each flag declared once', () => {
  it('no command declares a flag outside a flag table (commander .option, .requiredOption, new Option)', () => {
    const outside = TABLE_SOURCES.filter((f) => f !== 'flag-table.ts').filter((f) =>
      /\.(option|requiredOption|addOption)\(|new Option\(/.test(readFileSync(`${CLI}/${f}`, 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('no flag declaration is written twice: a flag shared by commands has one declaration', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const file of TABLE_SOURCES) {
      const text = readFileSync(`${CLI}/${file}`, 'utf8');
      for (const m of text.matchAll(/\bflag\(\s*(['`])(--[^'`\s]+)[^'`]*\1,\s*(['"`])((?:(?!\3)[^\\]|\\.)*)\3/g)) {
        const key = `${m[2]} ${m[4]}`;
        if (seen.has(key)) twice.push(`${key.slice(0, 60)}… in ${seen.get(key)} and ${file}`);
        seen.set(key, file);
      }
    }
    expect(seen.size).toBeGreaterThan(100); // the scan sees the declarations
    expect(twice).toEqual([]);
  });

  it('the similarities and agreements declare their flags; nothing else in src/ writes them', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
      );
    // The code, not its comments (which may name a flag as an example).
    const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const all = files('src').map((path) => ({ path, text: code(readFileSync(path, 'utf8')) }));
    for (const o of [...SIMILARITY_OPTIONS, ...AGREEMENT_OPTIONS]) {
      const writers = all.filter((f) => new RegExp(`['"\`]${o.flag}[ '"\`]`).test(f.text)).map((f) => f.path);
      expect(writers, o.flag).toHaveLength(1);
      expect(writers[0]).toMatch(/^src\/(similarity|agreement)\//);
    }
  });

  it('one seed parser: parseSeedOf in options.ts, written nowhere else in src/cli', () => {
    const writers = TABLE_SOURCES.filter((f) => /function parseSeed\w*\(/.test(readFileSync(`${CLI}/${f}`, 'utf8')));
    expect(writers).toEqual(['options.ts']);
  });
});
