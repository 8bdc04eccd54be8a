// Incremental V8 -> Istanbul scorer for the novelty reward.
//
// One long-lived Node process per session. Python sends each step's V8 precise-coverage take
// (only the scripts that executed something); the worker keeps, per script, the V8 coverage merged
// over the whole session with monocart's own merge, re-converts only the scripts that ran this step
// with monocart's own converter, and keeps every other script's Istanbul counts cached. So the cost
// of a step depends on what ran in that step, never on how long the session is, and the numbers are
// monocart's (the reference the release re-computes from scratch every step).
//
// Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
//   {"op": "add", "entries": [{"key", "url", "source"?, "functions"}]}
//       -> {"ok": true, "total": {"merged": {lines, branches, statements, functions}, "persistent": {...}},
//           "changed": [key...]}
//   {"op": "report", "dir": DIR, "name": NAME} -> writes monocart's HTML + json-summary of the union

'use strict';

// stdout carries the protocol: anything a library logs goes to stderr instead.
console.log = console.error;
console.info = console.error;
console.warn = console.error;

const path = require('path');
const readline = require('readline');

// Per-source caches. monocart re-derives everything from the source text on each conversion (acorn
// AST, a line/comment index, offset -> line/column lookups). A script's source never changes under
// a key, so each of these is computed once per script and reused; the conversion itself is
// monocart's unchanged code. These hooks must be installed before the converter is loaded, since it
// binds `Locator` at load time. The AST visitor re-initialises the per-node state it attaches on
// every visit, which the parity test against from-scratch conversion checks.
const mcrDir = require.resolve('monocart-coverage-reports');
const acorn = require(require.resolve('acorn', { paths: [mcrDir] }));
const locatorModule = require(require.resolve('monocart-locator', { paths: [mcrDir] }));

const astCache = new Map();
const originalParse = acorn.parse;
acorn.parse = function cachedParse(source, options) {
    let ast = astCache.get(source);
    if (!ast) {
        ast = originalParse.call(acorn, source, options);
        astCache.set(source, ast);
    }
    return ast;
};

const BaseLocator = locatorModule.Locator;
const locatorCache = new Map();
let scoring = false; // true only inside convertOne(), see below
class CachedLocator {
    constructor(source) {
        let locator = locatorCache.get(source);
        if (!locator) {
            locator = new BaseLocator(source);
            const memo = new Map();
            const lookup = locator.offsetToLocation.bind(locator);
            // While scoring, the only readers take `line` and `column` and copy them, so one shared
            // frozen object per offset is safe; the report path gets monocart's full objects.
            locator.offsetToLocation = (offset) => {
                if (!scoring) {
                    return lookup(offset);
                }
                let loc = memo.get(offset);
                if (!loc) {
                    const full = lookup(offset);
                    loc = Object.freeze({ line: full.line, column: full.column });
                    memo.set(offset, loc);
                }
                return loc;
            };
            locatorCache.set(source, locator);
        }
        return locator; // a constructor may return another object: `new` yields the cached one
    }
}
locatorModule.Locator = CachedLocator;

const MCR = require('monocart-coverage-reports');
const Util = require('monocart-coverage-reports/util');
const { convertV8List } = require('monocart-coverage-reports/converter');

// While scoring, skip monocart's byte-range -> V8 line mapping: it feeds only the V8 report's own
// line counts (half of a conversion's time), never the Istanbul data C(t) is read from. The HTML
// report below runs with it on.
const fullGetRangeLines = Util.getRangeLines;
Util.getRangeLines = (sLoc, eLoc) => (scoring ? [] : fullGetRangeLines(sLoc, eLoc));

const CONVERT_OPTIONS = { all: null, v8Ignore: true, baseDir: process.cwd(), logging: 'error' };

const scripts = new Map(); // key -> {url, source, functions (merged), counts}

const { KINDS, KIND_OF, istanbulCounts } = require('./istanbul_entities.js');

const sourcePathOf = (key) => `jamel/${key}.js`;

const convertOne = async (key, script) => {
    const item = {
        url: script.url,
        type: 'js',
        source: script.source,
        functions: JSON.parse(JSON.stringify(script.functions)), // the converter mutates ranges
        sourcePath: sourcePathOf(key),
        id: key
    };
    scoring = true;
    try {
        const { coverageData } = await convertV8List([item], CONVERT_OPTIONS);
        return istanbulCounts(coverageData[item.sourcePath]);
    } finally {
        scoring = false;
    }
};

// Two readings of C(t). `merged`: monocart's numbers for the session's merged V8 coverage (what the
// release computes). `persistent`: every entity monocart has reported covered at any step so far.
// They agree until a reload: V8 then reports a not-yet-recompiled function as an uncovered block of
// its parent, and monocart's merge of that with the earlier take can un-cover code that did run.
// `persistent` keeps the paper's "executed at least once in the session" (code never pays twice).
const totals = () => {
    const merged = { lines: 0, branches: 0, statements: 0, functions: 0 };
    const persistent = { lines: 0, branches: 0, statements: 0, functions: 0 };
    for (const script of scripts.values()) {
        for (const k of KINDS) {
            merged[k] += script.counts[k];
            persistent[k] += script.persistent[k];
        }
    }
    return { merged, persistent };
};

const addEntries = async (entries) => {
    const changed = [];
    for (const entry of entries) {
        let script = scripts.get(entry.key);
        if (!script) {
            if (typeof entry.source !== 'string') {
                throw new Error(`first entry for script ${entry.key} carries no source`);
            }
            script = {
                url: entry.url,
                source: entry.source,
                functions: entry.functions,
                counts: null,
                covered: new Set(),
                persistent: { lines: 0, branches: 0, statements: 0, functions: 0 }
            };
            scripts.set(entry.key, script);
        } else {
            // Same merge as monocart's generate() applies to several adds of one script.
            const merged = await Util.mergeV8Coverage([
                { functions: script.functions }, { functions: entry.functions }
            ]);
            script.functions = merged.functions;
        }
        const before = script.counts;
        const { counts, covered } = await convertOne(entry.key, script);
        script.counts = counts;
        let grew = false;
        for (const id of covered) {
            if (!script.covered.has(id)) {
                script.covered.add(id);
                script.persistent[KIND_OF[id[0]]] += 1;
                grew = true;
            }
        }
        if (grew || !before || KINDS.some((k) => before[k] !== counts[k])) {
            changed.push(entry.key);
        }
    }
    return changed;
};

const writeReport = async (dir, name) => {
    const mcr = MCR({
        name: name || 'JAMEL session coverage',
        outputDir: dir,
        reports: [['v8'], ['json-summary']],
        logging: 'error',
        cleanCache: true
    });
    const list = [];
    for (const [key, script] of scripts) {
        list.push({ url: script.url, source: script.source, functions: script.functions, scriptId: key });
    }
    if (list.length) {
        await mcr.add(list);
    }
    const results = await mcr.generate();
    return { reportPath: results ? results.reportPath : null };
};

const handle = async (msg) => {
    switch (msg.op) {
        case 'add': {
            const changed = await addEntries(msg.entries || []);
            return { ok: true, total: totals(), changed };
        }
        case 'report':
            return { ok: true, ...(await writeReport(path.resolve(msg.dir), msg.name)) };
        default:
            throw new Error(`unknown op ${JSON.stringify(msg.op)}`);
    }
};

// Requests are handled strictly in order: a reply must never overtake an earlier one.
let queue = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
    if (!line.trim()) {
        return;
    }
    queue = queue.then(async () => {
        let reply;
        try {
            reply = await handle(JSON.parse(line));
        } catch (err) {
            reply = { ok: false, error: String(err && err.stack || err) };
        }
        process.stdout.write(`${JSON.stringify(reply)}\n`);
    });
});
rl.on('close', () => queue.then(() => process.exit(0)));
