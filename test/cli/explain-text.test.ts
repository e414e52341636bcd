/**
 * `krs explain` shows a sample's text next to both models' outputs when a capture carries a
 * `text` array (NumPy unicode strings, test/fixtures/nlp-hf/make_fixtures.py): escaped and
 * shortened on the terminal, whole in --json; and `displayText`'s escaping.
 */
import { describe, expect, it } from 'vitest';
import { displayText } from '../../src/analysis/explain.js';
import { krs } from '../helpers/cli.js';
import { fixturePath, loadJson } from '../helpers/fixtures.js';

const ex = loadJson('nlp-hf/expected.json');
const f = (name: string) => fixturePath(`nlp-hf/${name}`);
const explain = (...args: string[]) => krs('explain', '--teacher', f('teacher.npz'), '--student', f('student.npz'), ...args);

describe('displayText', () => {
  it('escapes backslashes, line breaks, tabs, controls and bidirectional overrides; counts code points', () => {
    expect(displayText('a\\b\nc\td\r', 100)).toBe('a\\\\b\\nc\\td\\r');
    expect(displayText('x\u001b[31my\u202ez\u0085', 100)).toBe('x\\u{001b}[31my\\u{202e}z\\u{0085}');
    expect(displayText('今日は😀ok', 4)).toBe('今日は😀… (+2 characters)');
    expect(displayText('café', 4)).toBe('café');
    expect(displayText('Subject: hi\nthere', 12)).toBe('Subject: hi\\n… (+5 characters)');
  });
});

describe('krs explain with a text array', () => {
  it('prints the sample text escaped above the two models’ classes, and the last hidden states as the layer pair', async () => {
    const r = await explain('--sample', '5', '--pool', 'mean');
    expect(r.status, r.stderr).toBe(0);
    const escaped = (t: string) => t.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
    expect(r.stdout).toContain(`text ('text'): ${escaped(ex.text5)}\n`);
    const lines = r.stdout.split('\n');
    expect(lines.findIndex((l) => l.startsWith('text ('))).toBeLessThan(lines.findIndex((l) => l.startsWith('rank')));
    expect(r.stdout).toMatch(/hidden_states\.3\s+hidden_states\.2\s+24\/16/);
  });

  it('shortens a long text (--text-chars), gives it whole in --json, and a column in --worst', async () => {
    const short = await explain('--sample', '0', '--text-chars', '30');
    expect(short.stdout).toContain(`text ('text'): ${ex.text0.slice(0, 30)}… (+${ex.text0.length - 30} characters)`);
    const json = JSON.parse((await explain('--sample', '5', '--worst', '3', '--json')).stdout);
    expect([json.textKey, json.sample.text]).toEqual(['text', ex.text5]);
    expect(json.worst.every((w: any) => typeof w.text === 'string')).toBe(true);
    const worst = await explain('--worst', '3');
    expect(worst.stdout).toMatch(/ text\s*\n/);
    expect(worst.stdout).toMatch(/Subject: sample \d+\\n.*…/);
  });

  it('refuses a text array of numbers, naming the array', async () => {
    const r = await krs('explain', '--teacher', f('numeric-text.npz'), '--student', f('student.npz'), '--sample', '1');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/text array 'text' of .*numeric-text\.npz.*int64 numbers.*strings/);
  });
});
