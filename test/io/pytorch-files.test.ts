/**
 * A PyTorch file given as a capture (issue 22, item 10) is named for what it is, with how to
 * save arrays krs reads — not "'logits' not found". torch.save writes a pickle (protocol 2+
 * starts with 0x80) or, since PyTorch 1.6, a zip whose members sit under `<name>/data.pkl`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCapture } from '../../src/io/node-capture.js';
import { NpzWriter } from '../../src/io/node-npz-writer.js';
import { krs } from '../helpers/cli.js';
import { expectKrsError, fixturePath } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'krs-torch-'));
const ADVICE = /is a PyTorch or pickle file \(torch\.save\), which krs does not read .*numpy\.savez\(.*safetensors\.torch\.save_file/;

/** A zip laid out as torch.save writes it (archive/data.pkl, archive/data/0), under `name`. */
function torchZip(name: string): string {
  const file = join(dir, name);
  const w = new NpzWriter(file, 0);
  w.attach('archive/data.pkl', Uint8Array.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
  w.attach('archive/data/0', new Uint8Array(16));
  w.finish();
  return file;
}

describe('PyTorch files', () => {
  it('a torch.save zip under any name, a legacy pickle, a .pt name: BAD_FILE with the advice', async () => {
    const legacy = join(dir, 'legacy.dat');
    writeFileSync(legacy, Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    for (const file of [torchZip('student.bin'), torchZip('student.pt'), legacy]) {
      await expectKrsError(() => openCapture(file), 'BAD_FILE', ADVICE);
    }
  });

  it('krs score --student model.pt: one line, exit 3', async () => {
    const r = await krs('score', '--task', 'classification', '--teacher', fixturePath('score/cls-teacher.npz'), '--student', torchZip('s.pt'));
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(ADVICE);
    expect(r.stderr).not.toMatch(/'logits' not found/);
  });
});
