// The reference C(t): what monocart itself reports when it is handed every take of steps 1..t, the
// way the public release scores a step (re-convert everything so far, from scratch, each step).
//
// Usage: node reference_scorer.js TAKES.jsonl [--upto T]
//   TAKES.jsonl: one line per step: {"step": t, "entries": [{key, url, source?, functions}]}
//   (sources appear on a key's first entry only; they are re-attached here).
// Prints one JSON line per step scored: {"step", "C", "lines", "branches", "statements", "functions", "ms"}.
// With --upto T only step T is scored (one from-scratch conversion, as the release does per step).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const MCR = require('monocart-coverage-reports');

const main = async () => {
    const file = process.argv[2];
    const uptoIdx = process.argv.indexOf('--upto');
    const upto = uptoIdx > 0 ? Number(process.argv[uptoIdx + 1]) : null;

    const steps = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const sources = new Map();
    for (const step of steps) {
        for (const e of step.entries) {
            if (typeof e.source === 'string') {
                sources.set(e.key, e.source);
            }
        }
    }
    // monocart mutates the ranges it is given; every conversion gets fresh copies so that one
    // step's conversion cannot leak into the next (a fresh process per step, as in the release).
    const toV8 = (e) => ({
        url: e.url, scriptId: e.key, source: sources.get(e.key), functions: JSON.parse(JSON.stringify(e.functions))
    });

    const scoreUpTo = async (t) => {
        const started = Date.now();
        const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jamel-ref-'));
        const mcr = MCR({
            outputDir, reports: [['json-summary']], logging: 'error', cleanCache: true
        });
        for (const step of steps) {
            if (step.step > t) {
                break;
            }
            if (step.entries.length) {
                await mcr.add(step.entries.map(toV8));
            }
        }
        await mcr.generate();
        const summaryFile = path.join(outputDir, 'coverage-summary.json');
        const total = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, 'utf8')).total : null;
        fs.rmSync(outputDir, { recursive: true, force: true });
        const c = (k) => (total ? total[k].covered : 0);
        const row = {
            step: t,
            lines: c('lines'),
            branches: c('branches'),
            statements: c('statements'),
            functions: c('functions'),
            ms: Date.now() - started
        };
        row.C = row.lines + row.branches + row.statements + row.functions;
        process.stdout.write(`${JSON.stringify(row)}\n`);
    };

    if (upto !== null) {
        await scoreUpTo(upto);
        return;
    }
    for (const step of steps) {
        await scoreUpTo(step.step);
    }
};

main().catch((err) => {
    process.stderr.write(`${err && err.stack || err}\n`);
    process.exit(1);
});
