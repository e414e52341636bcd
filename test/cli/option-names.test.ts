/**
 * Library errors name options by their API names; the CLI shows the flags a user types.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { flagNamer } from '../../src/cli/option-names.js';
import { errors, KrsError, opt } from '../../src/core/errors.js';
import { krs } from '../helpers/cli.js';

const FIX = 'test/fixtures/score';

describe('option names in error messages', () => {
  it('the library says the API name; withOptionNames rewords every reference', () => {
    const e = errors.badOption('batchSize', 0, `a positive integer (or leave ${opt('batchSize')} out)`);
    expect(e.message).toBe('invalid batchSize 0: expected a positive integer (or leave batchSize out)');
    expect(e.details).toEqual({ option: 'batchSize', value: 0 });
    const cli = e.withOptionNames((n) => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    expect(cli).toBeInstanceOf(KrsError);
    expect(cli.message).toBe('invalid --batch-size 0: expected a positive integer (or leave --batch-size out)');
    expect(cli.code).toBe('BAD_OPTION');
    expect(cli.details).toEqual(e.details);
  });

  it("flagNamer reads the commands' own options, with aliases for names spelt differently", () => {
    const program = new Command('x');
    program.command('a').option('--alpha-step <s>').option('--no-progress');
    const name = flagNamer(program);
    expect(name('alphaStep')).toBe('--alpha-step');
    expect(name('progress')).toBe('--no-progress');
    expect(name('teacherInputs')).toBe('--teacher-outputs');
    expect(name('unknownThing')).toBe('unknownThing');
  });

  it('krs analyze: a bad --alpha-step is named as the flag', async () => {
    const r = await krs('analyze', 'examples/paper/experiments.csv', '--alpha-step', '0.03');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^krs: invalid --alpha-step 0\.03: expected/);
    expect(r.stderr).not.toMatch(/alphaStep/);
  });

  it('krs score: logits flagged as probabilities point to --teacher-outputs', async () => {
    const r = await krs(
      'score',
      '--task',
      'classification',
      '--teacher',
      `${FIX}/cls-teacher.npz`,
      '--student',
      `${FIX}/cls-student.npz`,
      '--teacher-outputs',
      'probs',
    );
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/set --teacher-outputs to logits/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('option references never reach a user as markers', () => {
  it('nameOptionsIn names them in every string of a result (the service answers with it)', async () => {
    const { nameOptionsIn, opt } = await import('../../src/core/errors.js');
    const result = {
      ciReason: `over the budget (${opt('intervals')}.workBudget)`,
      layers: [{ note: `raise ${opt('memoryBudget')}` }],
      n: 3,
      a: new Float64Array(1),
    };
    const named = nameOptionsIn(result);
    expect(JSON.stringify(named)).not.toMatch(/[\u{E000}\u{E001}]/u);
    expect(named.ciReason).toBe('over the budget (intervals.workBudget)');
    expect(named.layers[0]!.note).toBe('raise memoryBudget');
    expect(named.a).toBe(result.a);
    expect(nameOptionsIn(result, (o) => `--${o}`).layers[0]!.note).toBe('raise --memoryBudget');
  });

  it('safeText: flags for markers; control, C1 and bidi characters as \\uXXXX (valid inside JSON); \\r and ESC [ K only on a terminal', async () => {
    const { safeText } = await import('../../src/cli/safe-output.js');
    const { opt } = await import('../../src/core/errors.js');
    const flag = (o: string) => (o === 'batchSize' ? '--batch-size' : o);
    expect(safeText(`set ${opt('batchSize')}\n`, flag)).toBe('set --batch-size\n');
    expect(safeText('a\u001b[31mb\u0007c\u009bd\u202ee\tf\n', flag)).toBe('a\\u001b[31mb\\u0007c\\u009bd\\u202ee\tf\n');
    expect(safeText('\r\u001b[K  bar', flag)).toBe('\\u000d\\u001b[K  bar');
    expect(safeText('\r\u001b[K  bar\u001b]0;x', flag, true)).toBe('\r\u001b[K  bar\\u001b]0;x');
    const json = JSON.stringify({ w: 'x\u0085y\u202e' });
    expect(JSON.parse(safeText(json, flag))).toEqual({ w: 'x\u0085y\u202e' });
  });
});

describe('every command ends its --help with examples', () => {
  it('2–3 examples per command, each naming only options the command has', async () => {
    const { buildProgram } = await import('../../src/cli/run.js');
    const { COMMAND_EXAMPLES } = await import('../../src/cli/examples.js');
    const program = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {}, argv: [], signals: false });
    const longs = (c: Command): string[] => [...c.options.map((o) => o.long ?? ''), ...c.commands.flatMap(longs)];
    for (const command of program.commands) {
      const examples = COMMAND_EXAMPLES[command.name()];
      expect(examples, command.name()).toBeDefined();
      expect(examples!.length).toBeGreaterThanOrEqual(2);
      expect(examples!.length).toBeLessThanOrEqual(3);
      const known = new Set([...longs(command), '--help', '--version']);
      for (const line of examples!) {
        expect(line.startsWith(`krs ${command.name()}`), line).toBe(true);
        for (const flag of line.match(/--[a-z][a-z0-9-]*/g) ?? [])
          expect(known.has(flag) || known.has(flag.replace(/^--no-/, '--')), `${flag} in "${line}"`).toBe(true);
      }
    }
    const help = await krs('score', '--help');
    expect(help.stdout).toMatch(/\nExamples:\n {2}krs score --task classification .*\n {2}krs score .*\n {2}krs score .*\n$/);
  });
});
