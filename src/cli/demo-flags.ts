/**
 * The flags of `krs demo`, declared once as a flag table (src/cli/flag-table.ts): the commander
 * options and the parsed flags' type ({@link DemoFlags}) both come from {@link DEMO_FLAGS}.
 * Light to import (the demo's code loads when the command runs).
 */
import { errors } from '../core/errors.js';
import { BACKENDS } from './backend.js';
import { type FlagParser, type FlagsOf, flag } from './flag-table.js';
import { oneOf, parseNumber, parsePositiveInt, parseSeedOf } from './options.js';
import { SERVE_FLAG } from './serve-options.js';

/** The study families `--family` chooses (`mlp` by default). */
export const STUDY_FAMILIES = ['mlp', 'cnn', 'detector', 'segmenter', 'nlp'] as const;
export type StudyFamilyName = (typeof STUDY_FAMILIES)[number];

/**
 * A comma-separated list parsed item by item by `one` (made for the flag's name; it throws on a
 * bad item, as the options.ts parsers do); any bad or empty item refuses the whole list with `expected`.
 */
function commaList<T>(expected: string, one: (option: string) => (item: string) => T): FlagParser<T[]> {
  return (option) => {
    const item = one(option);
    return (value: string): T[] =>
      value.split(',').map((raw) => {
        try {
          const s = raw.trim();
          if (s === '') throw new Error('empty item');
          return item(s);
        } catch {
          throw errors.badOption(option, value, expected);
        }
      });
  };
}

/** An item `check` accepts, as a number. */
const numberIf = (check: (v: number) => boolean) => () => (s: string) => {
  const v = Number(s);
  if (!check(v)) throw new Error('out of range');
  return v;
};

const parseWidths = commaList(
  'comma-separated hidden-layer widths (integers 1–4096), e.g. 64,32',
  numberIf((w) => Number.isInteger(w) && w >= 1 && w <= 4096),
);
const parseSoftWeights = commaList(
  'a comma-separated list of weights in (0, 1], e.g. 0.3,0.6,0.9',
  numberIf((w) => w > 0 && w <= 1),
);
const parseTemperatures = commaList(
  'a comma-separated list of positive numbers, e.g. 1,2,4,8',
  numberIf((t) => t > 0 && Number.isFinite(t)),
);
/** A comma-separated list of seeds, each as `--seed` takes it (`parseSeedOf`). */
const parseSeedList = commaList('a comma-separated list of non-negative integers, e.g. 1,2,3', parseSeedOf);

/** `--task`: the MNIST demo or the regression demo. */
const parseDemoTask: FlagParser<'classification' | 'regression'> = (option) => (v: string) => {
  if (v !== 'classification' && v !== 'regression') throw errors.badOption(option, v, 'classification or regression');
  return v;
};

const FAMILY_HELP = `with --study: the networks — ${STUDY_FAMILIES.join(' or ')} (MLPs, default; cnn: LeNet-5 and CNN students, KD, FitNet on conv2, attention transfer; detector: CenterNet-style detectors on digit scenes, output distillation, FitNet, feature imitation; segmenter: U-Net-style segmenters on digit scenes, pixel-wise KD, FitNet, pair-wise affinity; nlp: a BERT-style encoder and students on SpamAssassin e-mails, DistilBERT, Patient KD, TinyBERT)`;

/** The flags of `krs demo`, in `--help` order. */
export const DEMO_FLAGS = [
  flag('--out <dir>', "output folder (default krs-demo; --study: krs-demo-study; --task regression: krs-demo-regression; --quick shares its mode's)"),
  flag('--force', 'write into an --out folder another demo mode made (refused otherwise)'),
  flag('--seed <n>', 'seed of the split, initial weights, batch order and augmentation (default 1)', { parse: parseSeedOf }),
  flag(
    '--seeds <list>',
    'with --study: run the whole study once per seed (comma-separated, distinct) into <out>/seed-<s>/ and report each statistic per seed with its spread',
    { parse: parseSeedList },
  ),
  flag(
    '--resume',
    'with --seeds: keep each seed whose folder already holds its finished study (results.json of the same settings and krs version) instead of running it again; a folder made with other settings is refused, naming the setting',
  ),
  flag('--quick', 'a quick check: one epoch of everything (MNIST: 600 training / 200 held-out digits; --study: 2 sizes on 600 / 300 digits)'),
  flag('--epochs <n>', 'epochs of every student (default 10, regression 30; quick 1)', { parse: parsePositiveInt }),
  flag('--teacher-epochs <n>', 'epochs of the teacher (default 15, regression 40; quick 1)', { parse: parsePositiveInt }),
  flag('--hint-epochs <n>', 'epochs of the hint stage of FitNet / the hint student (default 2, regression 5; quick 1)', { parse: parsePositiveInt }),
  flag('--train-size <n>', 'training digits (default 8000; quick 600)', { parse: parsePositiveInt }),
  flag('--test-size <n>', 'held-out digits (default 2000; quick 200)', { parse: parsePositiveInt }),
  flag('--temperatures <list>', 'temperatures of the vanilla-KD students (default 1,2,4,8)', { parse: parseTemperatures }),
  flag('--soft-weight <λ>', 'weight of the soft targets in the KD loss, in [0, 1] (default 0.9)', { parse: parseNumber }),
  flag('--fitnet-temperature <t>', "temperature of FitNet's KD stage (default 4)", { parse: parseNumber }),
  flag('--hint-layer <name>', 'the layer FitNet guides, hidden1, hidden2, … (default: the last hidden layer both networks have, hidden2)'),
  flag('--teacher-hidden <widths>', 'hidden-layer widths of the teacher MLP (default 300,100)', { parse: parseWidths }),
  flag('--student-hidden <widths>', 'hidden-layer widths of the student MLP (default 64,32)', { parse: parseWidths }),
  flag('--backend <name>', `matrix backend of the scoring: ${BACKENDS.join(', ')} (default auto, as krs score)`, { parse: oneOf(BACKENDS) }),
  flag(
    '--study',
    'the validation study instead: 8 student sizes × baseline, KD at T=2,4,8 and FitNet (32 experiments) on 4000 held-out digits, analysed as krs analyze does',
  ),
  flag('--family <name>', FAMILY_HELP, { parse: oneOf(STUDY_FAMILIES) }),
  flag(
    '--task <task>',
    'classification (MNIST, default) or regression: an LSTM teacher and students forecasting the next day of the shipped household power series',
    { parse: parseDemoTask },
  ),
  flag('--soft-weights <list>', "regression: weights λ of the teacher's forecasts in the distillation students' loss (default 0.3,0.6,0.9)", {
    parse: parseSoftWeights,
  }),
  SERVE_FLAG,
  flag('--run <prefix>', 'with --serve: runs are named <prefix>-<student> (default demo-seed<seed>)'),
  flag('--no-heatmaps', "with --study: skip each student's cross-layer CKA matrix (results.json heatmaps, heatmaps/*.svg)"),
  flag('--no-progress', 'no progress display on stderr'),
  flag('--json', 'print the results (as in results.json) on stdout'),
] as const;

/** The parsed flags of `krs demo` (`--no-heatmaps` sets `heatmaps` false, `--no-progress` `progress`). */
export type DemoFlags = FlagsOf<typeof DEMO_FLAGS>;
