/**
 * The HTML report: golden files of the three kinds (charts stubbed, so the golden holds the
 * page's text, tables and structure), and with real charts: self-contained (no script, no
 * external URL, font or stylesheet), ids unique across the inlined SVGs, every chart present.
 */
import { describe, expect, it } from 'vitest';
import type { Chart } from '../../src/report/chart.js';
import { cellText, esc, inlineSvg } from '../../src/report/html.js';
import { buildReport, type DemoReportInput, type ReportInput, renderReport, reportCharts, temperatureSentence } from '../../src/report/report.js';
import { paperAnalysis, sampleEpochs, sampleMatrix, sampleScore } from './fixtures.js';
import { expectGolden, normaliseText } from './golden.js';

const stub = async (c: Chart) => `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><title>${c.id}</title></svg>`;

const inputs: Record<string, ReportInput> = {
  score: {
    kind: 'score',
    result: sampleScore(),
    crossLayer: sampleMatrix(),
    command: 'krs score --task classification --teacher teacher.npz --student student.npz --report r.html',
    version: '0.0.0-test',
  },
  analysis: { kind: 'analysis', analysis: paperAnalysis(), command: 'krs analyze experiments.csv --report r.html', version: '0.0.0-test' },
  demo: {
    kind: 'demo',
    command: 'krs demo --seed 1',
    version: '0.0.0-test',
    description: ['A teacher and two students trained on MNIST.'],
    teacher: { label: 'CNN', accuracy: 0.991 },
    students: [
      { label: 'baseline', result: { ...sampleScore(), fss: 40, aoa: 55, krs: 50.5, warnings: [] }, crossLayer: sampleMatrix(-0.3), accuracy: 0.962 },
      { label: 'vanilla KD', result: sampleScore(), crossLayer: sampleMatrix(), accuracy: 0.975 },
    ],
    analysis: paperAnalysis(),
  },
};

describe('report HTML', () => {
  for (const [kind, input] of Object.entries(inputs)) {
    it(`${kind}: matches its golden file (charts stubbed)`, async () => {
      const html = await renderReport(input, { renderChart: stub });
      expectGolden(`report-${kind}.html`, normaliseText(html, 2));
    });
  }

  it('score: summary first (KRS, FSS, AOA, task, α, β, reading, diagnostics), then the layer charts and the heatmap', () => {
    const doc = buildReport(inputs.score!);
    expect(doc.summary.cards.map((c) => c.label)).toEqual(['KRS', 'FSS', 'AOA']);
    expect(doc.summary.cards[0]!.value).toBe('87.3');
    expect(doc.summary.facts).toEqual(
      expect.arrayContaining([
        ['task', 'classification'],
        ['α, β', '0.3, 0.7'],
      ]),
    );
    expect(doc.summary.formula).toBe('KRS = α·FSS + β·AOA = 0.3 × 71.97 + 0.7 × 93.94 = 87.35');
    const reading = doc.reading.join(' ');
    expect(reading).toMatch(/KRS = 87\.3 on a 0–100 scale, where 100 means identical to the teacher/);
    expect(reading).toMatch(/FSS = 72\.0 is the similarity of the two networks' layer representations of these inputs/);
    expect(reading).toMatch(/AOA = 93\.9 is the agreement of the student's outputs with the teacher's/);
    expect(reading).not.toMatch(/retains|points of its teacher's knowledge/);
    expect(doc.diagnostics[0]).toMatch(/^Both components are high \(FSS 72, AOA 93.9/);
    expect(doc.diagnostics.join(' ')).toMatch(/weakest layer pair is conv at 56\.8/);
    expect(reportCharts(inputs.score!).map((c) => c.id)).toEqual(['krs-composition', 'layer-similarity', 'cross-layer-cka']);
    expect(doc.footer.command).toContain('krs score');
  });

  it('analysis: every chart of the paper figures, once', () => {
    expect(reportCharts(inputs.analysis!).map((c) => c.id)).toEqual([
      'krs-pre-post',
      'krs-box',
      'delta-heatmap',
      'krs-vs-metric',
      'method-rankings',
      'alpha-sensitivity',
    ]);
  });

  it('demo: students, heatmaps side by side, and the analysis; chart ids unique', () => {
    const ids = reportCharts(inputs.demo!).map((c) => c.id);
    expect(ids.slice(0, 3)).toEqual(['students', 'student-layers', 'cross-layer-cka']);
    expect(ids).toContain('alpha-sensitivity');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('demo with epochs: a "KRS as a tuning signal" section after the students, with the temperature each measure picks', () => {
    const epochs = sampleEpochs();
    const demo = inputs.demo as DemoReportInput;
    const input: DemoReportInput = {
      ...demo,
      students: epochs.map((e, i) => ({ ...demo.students[i % 2]!, label: e.label, epochs: e.epochs as DemoReportInput['students'][number]['epochs'] })),
      temperature: {
        candidates: [1, 4],
        byKrs: { temperature: 4, students: [epochs[1]!.label], krs: 92.5, accuracy: 0.9325 },
        byAccuracy: { temperature: 1, students: ['kd-T1 (vanilla KD, T=1)', epochs[1]!.label], krs: 90.5, accuracy: 0.9335, tied: [1, 4] },
      },
    };
    const doc = buildReport(input);
    expect(doc.sections.map((s) => s.id).slice(0, 3)).toEqual(['students', 'tuning', 'cross-layer']);
    const tuning = doc.sections[1]!;
    expect(tuning.title).toBe('KRS as a tuning signal');
    expect(tuning.intro).toBe(
      "Among the vanilla-KD temperatures (T = 1, 4), KRS after the last epoch picks T = 4 (KRS 92.50, accuracy 93.25%) and held-out accuracy picks T = 1 (accuracy 93.35%, KRS 90.50; tied with T = 4), so KRS's pick is among accuracy's.",
    );
    expect(tuning.charts.map((c) => c.id)).toEqual(['krs-by-epoch']);
    const values = (tuning.charts[0]!.spec as any).data.values as { student: string; pickKrs: boolean; pickAcc: boolean }[];
    expect(values.filter((v) => v.pickAcc).map((v) => v.student)).toEqual([epochs[1]!.label]);
    // Without epochs (as in the golden file) the section is left out.
    expect(buildReport(inputs.demo!).sections.map((s) => s.id)).not.toContain('tuning');
  });

  it('states the two picks in one sentence, saying whether they differ', () => {
    const pick = (temperature: number, krs: number, accuracy: number) => ({ temperature, students: [`kd-T${temperature}`], krs, accuracy });
    expect(temperatureSentence({ candidates: [1, 2, 4, 8], byKrs: pick(8, 92.827, 0.9345), byAccuracy: { ...pick(2, 91.727, 0.935), tied: [2] } })).toBe(
      'Among the vanilla-KD temperatures (T = 1, 2, 4, 8), KRS after the last epoch picks T = 8 (KRS 92.83, accuracy 93.45%) and held-out accuracy picks T = 2 (accuracy 93.50%, KRS 91.73).',
    );
    expect(temperatureSentence({ candidates: [2, 4], byKrs: pick(4, 92, 0.93), byAccuracy: pick(4, 92, 0.93) })).toMatch(
      /picks T = 4 \(accuracy 93\.00%, KRS 92\.00\): they agree\.$/,
    );
  });

  it('is self-contained with real charts: no script, no external resource, ids unique, every chart inline', async () => {
    const html = await renderReport(inputs.analysis!);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|@font-face/i);
    // The only URLs are XML namespace names, which are never fetched.
    const urls = [...html.matchAll(/(?:https?:)?\/\/[\w.-]+\.[a-z]{2,}[^\s"')<]*/gi)].map((m) => m[0]);
    expect(
      urls.every((u) => /^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink)$/.test(u)),
      urls.join(' '),
    ).toBe(true);
    expect(html).not.toMatch(/\b(src|href)="(?!#)/);
    const charts = reportCharts(inputs.analysis!);
    for (const c of charts) expect(html).toContain(`data-chart="${c.id}"`);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
    expect(html).toContain('<meta charset="utf-8">');
  });

  it('escapes text, formats cells and prefixes SVG ids', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(cellText(null, {})).toBe('—');
    expect(cellText(3, {})).toBe('3');
    expect(cellText(-1.234, { digits: 1 })).toBe('−1.2');
    expect(cellText(2.5, { digits: 1, signed: true })).toBe('+2.5');
    const svg = inlineSvg('<svg width="1"><defs><linearGradient id="gradient_0"/></defs><rect fill="url(#gradient_0)"/></svg>', 'heat', 'Heat <map>');
    expect(svg).toContain('id="heat__gradient_0"');
    expect(svg).toContain('url(#heat__gradient_0)');
    expect(svg).toContain('aria-label="Heat &lt;map&gt;"');
  });
});
