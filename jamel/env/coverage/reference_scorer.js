// The reference C(t): what monocart itself reports when it is handed every take of steps 1..t, the
// way the public release scores a step (re-convert everything so far, from scratch, each step).
//
// Usage: node reference_scorer.js TAKES.jsonl [--upto T]
//   TAKES.jsonl: one line per step: {"step": t, "entries": [{key, url, source?, functions}]}
//   (sources appear on a key's first entry only; they are re-attached here).
// Prints one JSON line per step scored: {"step", "merged": {lines, branches, statements, functions},
// "persistent": {...}, "C_merged", "C_persistent", "ms"}. `merged` is monocart's json-summary total of
// all takes so far; `persistent` counts every entity monocart reported covered at any step so far
// (computed from each step's coverage-final.json, so only meaningful without --upto).
// With --upto T only step T is scored (one from-scratch conversion, as the release does per step).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const MCR = require('monocart-coverage-reports');
const { KINDS, KIND_OF, istanbulCounts } = require('./istanbul_entities.js');

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

    const everCovered = new Set();
    const persistent = { lines: 0, branches: 0, statements: 0, functions: 0 };
    const scoreUpTo = async (t) => {
        const started = Date.now();
        const upTo = steps.filter((s) => s.step <= t && s.entries.length);
        const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jamel-ref-'));
        const mcr = MCR({
            outputDir, reports: [['json'], ['json-summary']], logging: 'error', cleanCache: true
        });
        for (const step of upTo) {
            await mcr.add(step.entries.map(toV8));
        }
        const merged = { lines: 0, branches: 0, statements: 0, functions: 0 };
        if (upTo.length) {
            await mcr.generate();
            const total = JSON.parse(fs.readFileSync(path.join(outputDir, 'coverage-summary.json'), 'utf8')).total;
            const files = JSON.parse(fs.readFileSync(path.join(outputDir, 'coverage-final.json'), 'utf8'));
            for (const k of KINDS) {
                merged[k] = total[k].covered;
            }
            for (const [file, data] of Object.entries(files)) {
                for (const id of istanbulCounts(data).covered) {
                    const full = `${file}\u0000${id}`;
                    if (!everCovered.has(full)) {
                        everCovered.add(full);
                        persistent[KIND_OF[id[0]]] += 1;
                    }
                }
            }
        }
        fs.rmSync(outputDir, { recursive: true, force: true });
        const sum = (c) => c.lines + c.branches + c.statements + c.functions;
        const row = {
            step: t, merged, persistent: { ...persistent }, C_merged: sum(merged), C_persistent: sum(persistent),
            ms: Date.now() - started
        };
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
