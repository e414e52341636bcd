/**
 * What a report says, before it is HTML: the summary (cards, facts, reading, diagnostics,
 * warnings), the sections with their charts and tables, and the provenance (command,
 * version). {@link buildReport} makes it from a score, an analysis or a demo; html.ts writes it.
 */
import type { Chart, ChartTable } from './chart.js';

export interface SummaryCard {
  label: string;
  value: string;
  note?: string;
  /** Colour key: krs, fss, aoa. */
  kind?: 'krs' | 'fss' | 'aoa';
}

export interface ReportSection {
  id: string;
  title: string;
  intro?: string;
  charts: Chart[];
  tables?: { title: string; table: ChartTable }[];
}

export interface ReportDocument {
  title: string;
  subtitle: string;
  summary: {
    cards: SummaryCard[];
    formula: string;
    facts: [string, string][];
    tables?: { title: string; table: ChartTable }[];
  };
  reading: string[];
  diagnostics: string[];
  warnings: string[];
  sections: ReportSection[];
  footer: { command: string; version: string; generatedAt: string | null; note: string };
}

/** Every chart of a document, in order. */
export function documentCharts(doc: ReportDocument): Chart[] {
  return doc.sections.flatMap((s) => s.charts);
}
