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
//           "changed": [key...], "converted": N, "skipped": N, "cpuMs": CPU time of the request}
//   {"op": "report", "dir": DIR, "name": NAME} -> writes monocart's HTML + json-summary of the union
//   {"op": "clear"} -> a new session: forget the union, keep the per-source caches (the process is
//       reused across sessions, so a library seen in an earlier session is not parsed again)
// `node istanbul_worker.js --no-skip` converts every script that ran (no unchanged-pattern skip).

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

// Keyed by the source text itself (a Map hashes string keys by content), so the caches outlive a
// session and a script met again in a later session reuses them. Bounded: least recently used first out.
const MAX_CACHED_SOURCES = 256;
const cacheGet = (cache, source) => {
    const value = cache.get(source);
    if (value !== undefined) {
        cache.delete(source); // re-insert: Map iteration order is the recency order
        cache.set(source, value);
    }
    return value;
};
const cachePut = (cache, source, value) => {
    cache.set(source, value);
    if (cache.size > MAX_CACHED_SOURCES) {
        cache.delete(cache.keys().next().value);
    }
};

const astCache = new Map();
const originalParse = acorn.parse;
acorn.parse = function cachedParse(source, options) {
    let ast = cacheGet(astCache, source);
    if (!ast) {
        ast = originalParse.call(acorn, source, options);
        cachePut(astCache, source, ast);
    }
    return ast;
};

const BaseLocator = locatorModule.Locator;
const locatorCache = new Map();
let scoring = false; // true only inside convertOne(), see below
class CachedLocator {
    constructor(source) {
        let locator = cacheGet(locatorCache, source);
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
            cachePut(locatorCache, source, locator);
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

// The AST walk, once per source. monocart's converter walks the whole AST on every conversion to
// collect the nodes it scores (functions, statements, blocks, branch groups); on jQuery that walk
// was a third of a conversion. The walk depends on the AST only, so the first walk of an AST records
// each visitor call (node and its ancestors) and later conversions replay the calls: the handlers run
// as before and build fresh branch groups, without acorn-walk's traversal. The converter also leaves
// per-conversion state on the nodes (`_state`, read back as "already counted" by the next
// conversion); it is cleared before each replay so every conversion starts from a clean AST, as a
// freshly parsed one would.
const walkCache = new WeakMap(); // AST root -> {keys, calls: [type, node, parents]}
const originalVisitAst = Util.visitAst;
Util.visitAst = (rootNode, visitors) => {
    const keys = Object.keys(visitors).join(',');
    const cached = walkCache.get(rootNode);
    if (cached && cached.keys === keys) {
        delete rootNode._state;
        for (const call of cached.calls) {
            delete call[1]._state;
        }
        for (const [type, node, parents] of cached.calls) {
            visitors[type](node, parents);
        }
        return;
    }
    const calls = [];
    const recording = {};
    delete rootNode._state;
    for (const [type, handler] of Object.entries(visitors)) {
        recording[type] = (node, parents) => {
            delete node._state; // the AST may have been converted before (the report path)
            calls.push([type, node, parents.slice()]);
            return handler(node, parents);
        };
    }
    originalVisitAst(rootNode, recording);
    walkCache.set(rootNode, { keys, calls });
};

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

// The unchanged-pattern skip. Most steps of a library-heavy app re-run library code that earlier
// steps already ran (jQuery's event dispatch on every click), and converting such a script again is
// the whole cost of the step. A conversion is skipped when both hold:
//   (a) every V8 range of this step's take, with its executed/not-executed bit, is one this script
//       already reported in an earlier take (nothing ran, and nothing was skipped, that had not
//       before: a branch taken the other way for the first time shows up as a new zero range), and
//   (b) merging the take changed no count's executed bit and no range of the session's merged
//       coverage (same functions, same ranges, only larger counts).
// Then the script's counts and covered entities are kept and its merged coverage is updated as
// usual, so the next conversion starts from the same data as without the skip. The parity tests
// replay long sessions against monocart from scratch with the skip exercised.
const rangePattern = (functions) => {
    const out = [];
    for (const fn of functions) {
        for (const r of fn.ranges) {
            out.push(`${r.startOffset}:${r.endOffset}:${r.count > 0 ? 1 : 0}`);
        }
    }
    return out;
};

const sameShape = (a, b) => {
    if (a.length !== b.length) {
        return false;
    }
    for (let i = 0; i < a.length; i++) {
        const ra = a[i].ranges;
        const rb = b[i].ranges;
        if (ra.length !== rb.length || a[i].isBlockCoverage !== b[i].isBlockCoverage) {
            return false;
        }
        for (let j = 0; j < ra.length; j++) {
            if (ra[j].startOffset !== rb[j].startOffset || ra[j].endOffset !== rb[j].endOffset
                || (ra[j].count > 0) !== (rb[j].count > 0)) {
                return false;
            }
        }
    }
    return true;
};

const SKIP_UNCHANGED = !process.argv.includes('--no-skip');

const addEntries = async (entries) => {
    const changed = [];
    let converted = 0;
    let skipped = 0;
    for (const entry of entries) {
        let script = scripts.get(entry.key);
        const pattern = rangePattern(entry.functions);
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
                persistent: { lines: 0, branches: 0, statements: 0, functions: 0 },
                seen: new Set(pattern)
            };
            scripts.set(entry.key, script);
        } else {
            const novel = pattern.filter((p) => !script.seen.has(p));
            // Same merge as monocart's generate() applies to several adds of one script.
            const merged = await Util.mergeV8Coverage([
                { functions: script.functions }, { functions: entry.functions }
            ]);
            const unchanged = SKIP_UNCHANGED && !novel.length && sameShape(script.functions, merged.functions);
            script.functions = merged.functions;
            for (const p of novel) {
                script.seen.add(p);
            }
            if (unchanged) {
                skipped += 1;
                continue;
            }
        }
        const before = script.counts;
        const { counts, covered } = await convertOne(entry.key, script);
        converted += 1;
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
    return { changed, converted, skipped };
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
            // CPU time of the request: what scoring costs, unlike wall time, which on a shared
            // machine also counts waiting for a core.
            const cpu0 = process.cpuUsage();
            const { changed, converted, skipped } = await addEntries(msg.entries || []);
            const cpu = process.cpuUsage(cpu0);
            return {
                ok: true, total: totals(), changed, converted, skipped, cpuMs: (cpu.user + cpu.system) / 1000
            };
        }
        case 'clear':
            scripts.clear();
            return { ok: true };
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
