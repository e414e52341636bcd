/** Types of make-font-metrics.mjs, for the test that checks the committed table. */
export declare const RANGES: readonly (readonly [number, number])[];
export declare function fontWidths(file: string): { unitsPerEm: number; widths: (number | null)[][] };
export declare function tableSource(): string;
