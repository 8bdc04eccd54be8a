// Incremental V8 -> Istanbul scorer for the novelty reward.
//
// One long-lived Node process, reused across sessions. Python sends each step's V8 precise-coverage
// take (only the scripts that executed something); the worker keeps, per script, the V8 coverage
// merged over the whole session (monocart's merge, applied to the functions the take reports), and
// re-counts only the scripts whose coverage pattern changed. A source's first conversion is
// monocart's own; it also yields the source's plan (fast_counts.js), through which every later
// conversion assigns monocart's counts without re-running the converter (checked equal to monocart
// on that first conversion, and on every conversion with --verify). So the cost of a step depends
// on what ran in that step, never on the session's length, and the numbers are monocart's.
//
// Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
//   {"op": "add", "entries": [{"key", "url", "source"?, "functions"}]}
//       -> {"ok": true, "total": {"merged": {lines, branches, statements, functions}, "persistent": {...}},
//           "changed": [key...], "converted": N, "skipped": N, "fast": N (conversions through a plan),
//           "cpuMs": CPU time of the request, "plansLoaded": plans read from --plan-cache so far}
//   {"op": "report", "dir": DIR, "name": NAME} -> writes monocart's HTML + json-summary of the union
//   {"op": "clear"} -> a new session: forget the union, keep the per-source caches (the process is
//       reused across sessions, so a library seen in an earlier session is not parsed again)
// `--no-skip`: convert every script that ran (no unchanged-pattern skip). `--verify`: also run
// monocart's whole merge and its converter on every step and fail the step if anything differs.
// `--monocart-only`: no plans and whole merges (the engine before plans, a benchmark baseline).
// `--plan-cache DIR`: also keep each source's plan on disk (see loadPlan), shared by every worker
// process and later run that meets the same source; `--plan-cache-max-mb N`: prune it at start (prunePlans).

'use strict';

// stdout carries the protocol: anything a library logs goes to stderr instead.
console.log = console.error;
console.info = console.error;
console.warn = console.error;

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const v8 = require('v8');

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

const { KINDS, KIND_OF, entityIds, istanbulCounts } = require('./istanbul_entities.js');
const fast = require('./fast_counts.js');

const sourcePathOf = (key) => `jamel/${key}.js`;
const VERIFY = process.argv.includes('--verify');
// The engine before plans (benchmarks' baseline): monocart converts every time, whole merges.
const MONOCART_ONLY = process.argv.includes('--monocart-only');
// Count and merge passes run on a new source's first take, so that the code is compiled by the page
// load rather than during the first steps (measured: p99 over a 300-step session ~60 -> ~40 ms CPU).
const WARMUP = 3;

// monocart's own conversion: the Istanbul file data of one script's merged coverage.
const monocartFile = async (key, script) => {
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
        return coverageData[item.sourcePath];
    } finally {
        scoring = false;
    }
};

// Per source: the plan of fast_counts.js and the entity ids, or `null` if the plan's counts did not
// equal monocart's on the conversion it was built from (that source then always takes monocart's path).
const planCache = new Map();

// A plan is a function of the source text and of the code that builds and reads it, so it is also
// kept on disk (`--plan-cache DIR`). Parallel workers are separate processes: without it each one
// parses and converts a shared library (React, jQuery) once more before its plan exists, and so does
// every later run. Files are named by the source's sha256 under a folder named by a hash of that
// code (these three files, the versions of monocart, acorn, acorn-walk and monocart-locator, the
// conversion options, V8's serialization format), written whole then renamed (a reader never sees half a file); an
// unreadable file is a miss. `--verify` still checks every conversion through a loaded plan.
const PLAN_DIR = (() => {
    const i = process.argv.indexOf('--plan-cache');
    return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : null;
})();
const PLAN_VERSION = (() => {
    if (!PLAN_DIR) {
        return null;
    }
    const h = crypto.createHash('sha256');
    for (const file of [__filename, require.resolve('./fast_counts.js'), require.resolve('./istanbul_entities.js')]) {
        h.update(fs.readFileSync(file));
    }
    const versionOf = (pkg) => {
        try {
            return require(require.resolve(`${pkg}/package.json`, { paths: [mcrDir] })).version;
        } catch {
            return null;
        }
    };
    const { all, v8Ignore } = CONVERT_OPTIONS;
    // acorn-walk sets the visit order (the entities' order), monocart-locator the line/column ids
    const packages = ['monocart-coverage-reports', 'acorn', 'acorn-walk', 'monocart-locator'];
    h.update(JSON.stringify([packages.map(versionOf), all, v8Ignore, process.versions.v8]));
    return h.digest('hex').slice(0, 16);
})();
const planFile = (source) => path.join(PLAN_DIR, PLAN_VERSION,
    `${crypto.createHash('sha256').update(source).digest('hex')}.plan`);
const planCacheStats = { loaded: 0, saved: 0, unwritable: false };
const loadPlan = (source) => { // the entry (null included), or undefined when none is on disk
    if (!PLAN_DIR) {
        return undefined;
    }
    const file = planFile(source);
    let bytes;
    try {
        bytes = fs.readFileSync(file);
    } catch {
        return undefined;
    }
    try {
        const now = new Date();
        fs.utimesSync(file, now, now); // mtime = last use, for prunePlans
    } catch {
        // pruned meanwhile, or a read-only cache: the plan was read all the same
    }
    try {
        const entry = v8.deserialize(bytes);
        planCacheStats.loaded += 1;
        return entry;
    } catch (err) {
        console.error(`unreadable plan in ${PLAN_DIR}: ${err}`);
        return undefined;
    }
};
const savePlan = (source, entry) => { // best effort: a folder it cannot write is a cache that stays empty
    if (!PLAN_DIR || planCacheStats.unwritable) {
        return;
    }
    const file = planFile(source);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(tmp, v8.serialize(entry));
        fs.renameSync(tmp, file);
        planCacheStats.saved += 1;
    } catch (err) {
        console.error(`could not keep a plan in ${PLAN_DIR} (plans stay in memory from now on): ${err}`);
        planCacheStats.unwritable = true;
        try {
            fs.rmSync(tmp, { force: true });
        } catch {
            // nothing was written, or the folder cannot be read either
        }
    }
};

// The cache grows with every new source, so a worker prunes it once, at its start (never in a step),
// to `--plan-cache-max-mb` (absent or 0: never): first it deletes the folders of other versions, which
// this code can never read, unless one was used in the last hour (another install may be running);
// then, while the total is above the cap, its own least recently used plans, down to 80% of the cap.
// Another worker may be pruning at the same time and the folder may be read-only: a file that is gone
// is skipped, any other failure ends the pruning, never the worker.
const PLAN_MAX_BYTES = (() => {
    const i = process.argv.indexOf('--plan-cache-max-mb');
    const mb = i > 0 ? Number(process.argv[i + 1]) : 0;
    return mb > 0 ? mb * 1024 * 1024 : 0;
})();
const filesIn = (dir) => { // [{file, size, mtimeMs}] of a folder's files, [] if it cannot be read
    let names;
    try {
        names = fs.readdirSync(dir);
    } catch {
        return [];
    }
    const out = [];
    for (const name of names) {
        const file = path.join(dir, name);
        try {
            const { size, mtimeMs } = fs.statSync(file);
            out.push({ file, size, mtimeMs });
        } catch {
            // removed meanwhile
        }
    }
    return out;
};
const sizeOf = (files) => files.reduce((sum, f) => sum + f.size, 0);
const prunePlans = () => {
    if (!PLAN_DIR || !PLAN_MAX_BYTES) {
        return;
    }
    let total = 0;
    let folders = [];
    try {
        folders = fs.readdirSync(PLAN_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());
    } catch {
        return; // no cache yet, or one that cannot be read
    }
    for (const { name } of folders.filter((d) => d.name !== PLAN_VERSION)) {
        const dir = path.join(PLAN_DIR, name);
        const files = filesIn(dir);
        try {
            const used = files.reduce((t, f) => Math.max(t, f.mtimeMs), fs.statSync(dir).mtimeMs);
            if (Date.now() - used > 3600e3) {
                fs.rmSync(dir, { recursive: true, force: true });
                continue;
            }
        } catch (err) {
            if (err.code === 'ENOENT') {
                continue; // another worker pruned it first
            }
            console.error(`could not prune the plans in ${dir}: ${err}`);
        }
        total += sizeOf(files);
    }
    const own = filesIn(path.join(PLAN_DIR, PLAN_VERSION)).filter((f) => f.file.endsWith('.plan'));
    total += sizeOf(own);
    if (total <= PLAN_MAX_BYTES) {
        return;
    }
    own.sort((a, b) => a.mtimeMs - b.mtimeMs); // least recently used first
    try {
        for (const { file, size } of own) {
            if (total <= 0.8 * PLAN_MAX_BYTES) {
                break;
            }
            fs.rmSync(file, { force: true }); // force: one already gone is no error
            total -= size;
        }
    } catch (err) {
        console.error(`could not prune the plans in ${PLAN_DIR}: ${err}`);
    }
};

const planFor = (source, fileData, functions) => {
    let entry = cacheGet(planCache, source);
    if (entry === undefined) {
        try {
            const ast = cacheGet(astCache, source); // parsed by the conversion that just ran
            const plan = fast.buildPlan(ast, source, new CachedLocator(source), originalVisitAst, CONVERT_OPTIONS);
            entry = fast.sameCounts(fast.planCounts(plan, functions), fileData)
                ? { plan, table: fast.entityTable(entityIds(fileData)) } : null;
            for (let i = 0; entry && i < WARMUP; i++) { // compile the count and merge code now, not in the first steps
                fast.summarize(fast.planCounts(plan, functions), entry.table);
                Util.mergeV8Coverage([{ functions: copy(functions) }, { functions: copy(functions) }]);
            }
        } catch (err) {
            entry = null;
            console.error(`fast counts unavailable for a script: ${err && err.stack || err}`);
        }
        if (entry === null) {
            console.error('fast counts differ from monocart on a script: it is scored with monocart only');
        }
        cachePut(planCache, source, entry);
        savePlan(source, entry);
    }
    return entry;
};

// A script's Istanbul numbers and the entities reported covered: `covered` (ids), or `hit` (numbers
// of `table`). The first conversion of a source is monocart's (and builds the plan, checked against
// it); later ones assign counts through the plan.
const convertOne = async (key, script) => {
    let known = MONOCART_ONLY ? null : cacheGet(planCache, script.source);
    if (known === undefined) {
        known = loadPlan(script.source);
        if (known !== undefined) {
            cachePut(planCache, script.source, known);
        }
    }
    if (known) {
        const result = fast.summarize(fast.planCounts(known.plan, script.functions), known.table);
        if (VERIFY) {
            const ref = istanbulCounts(await monocartFile(key, script));
            const ids = new Set(result.hit.map((u) => known.table.idOf[u]));
            if (!KINDS.every((k) => ref.counts[k] === result.counts[k]) || ref.covered.size !== ids.size
                || ![...ref.covered].every((id) => ids.has(id))) {
                throw new Error(`fast counts differ from monocart on ${script.url}: `
                    + `${JSON.stringify(result.counts)} vs ${JSON.stringify(ref.counts)}`);
            }
        }
        return { ...result, table: known.table, fast: true };
    }
    const fileData = await monocartFile(key, script);
    if (known === undefined) {
        planFor(script.source, fileData, script.functions);
    }
    return istanbulCounts(fileData);
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

// Folds a take into a script's session coverage; returns whether no function's shape changed (see
// sameShape). The result is monocart's merge of the two (`mergeV8Coverage`: group the functions by
// root range, merge each group, sort by root range), computed for the functions the take reports
// only: after the first merge every other function is in merged (normalised) form, which merging
// leaves as it is (`--verify` checks it against the whole merge at every step).
const rootKey = (fn) => `${fn.ranges[0].startOffset};${fn.ranges[0].endOffset}`;
const byRootRange = (a, b) => a.ranges[0].startOffset - b.ranges[0].startOffset
    || b.ranges[0].endOffset - a.ranges[0].endOffset;
const copy = (x) => JSON.parse(JSON.stringify(x));
const mergeTake = (script, functions) => {
    if (script.shadow) {
        script.shadow = Util.mergeV8Coverage([{ functions: script.shadow }, { functions: copy(functions) }]).functions;
    }
    if (!script.byRoot || MONOCART_ONLY) { // the first merge: the whole of it (the first take is raw V8 output)
        const merged = Util.mergeV8Coverage([{ functions: script.functions }, { functions }]).functions;
        const same = sameShape(script.functions, merged);
        script.functions = merged;
        script.byRoot = new Map(merged.map((fn, i) => [rootKey(fn), i]));
        return same;
    }
    const hit = new Set();
    for (const fn of functions) {
        const i = script.byRoot.get(rootKey(fn));
        if (i !== undefined) {
            hit.add(i);
        }
    }
    const olds = [...hit].map((i) => script.functions[i]);
    const merged = Util.mergeV8Coverage([{ functions: olds }, { functions }]).functions;
    let added = false;
    let same = olds.length === merged.length;
    for (const fn of merged) {
        const i = script.byRoot.get(rootKey(fn));
        if (i === undefined) {
            script.functions.push(fn);
            added = true;
        } else {
            same = same && sameShape([script.functions[i]], [fn]);
            script.functions[i] = fn;
        }
    }
    if (added) {
        script.functions.sort(byRootRange);
        script.byRoot = new Map(script.functions.map((fn, i) => [rootKey(fn), i]));
    }
    if (script.shadow && JSON.stringify(script.shadow) !== JSON.stringify(script.functions)) {
        throw new Error(`incremental merge differs from monocart's merge on ${script.url}`);
    }
    return same;
};

const addEntries = async (entries) => {
    const changed = [];
    let converted = 0;
    let skipped = 0;
    let fastConversions = 0;
    for (const entry of entries) {
        let script = scripts.get(entry.key);
        const pattern = rangePattern(entry.functions);
        if (!script) {
            if (typeof entry.source !== 'string') {
                throw new Error(`first entry for script ${entry.key} carries no source`);
            }
            // As V8 reported it: monocart converts a script added once without merging it.
            script = {
                url: entry.url,
                source: entry.source,
                functions: entry.functions,
                byRoot: null, // root range -> index in functions, once they are in merged form
                shadow: VERIFY ? copy(entry.functions) : null,
                counts: null,
                covered: new Set(),
                persistent: { lines: 0, branches: 0, statements: 0, functions: 0 },
                seen: new Set(pattern)
            };
            scripts.set(entry.key, script);
        } else {
            const novel = pattern.filter((p) => !script.seen.has(p));
            const unchanged = mergeTake(script, entry.functions) && SKIP_UNCHANGED && !novel.length;
            for (const p of novel) {
                script.seen.add(p);
            }
            if (unchanged) {
                skipped += 1;
                continue;
            }
        }
        const before = script.counts;
        const { counts, covered, hit, table, fast: viaPlan } = await convertOne(entry.key, script);
        converted += 1;
        fastConversions += viaPlan ? 1 : 0;
        script.counts = counts;
        let grew = false;
        const cover = (id) => {
            if (!script.covered.has(id)) {
                script.covered.add(id);
                script.persistent[KIND_OF[id[0]]] += 1;
                grew = true;
            }
        };
        if (hit) { // numbers: each is looked up as an id once per session
            if (script.table !== table) {
                script.table = table;
                script.hitSeen = new Uint8Array(table.idOf.length);
            }
            for (const u of hit) {
                if (!script.hitSeen[u]) {
                    script.hitSeen[u] = 1;
                    cover(table.idOf[u]);
                }
            }
        } else {
            covered.forEach(cover);
        }
        if (grew || !before || KINDS.some((k) => before[k] !== counts[k])) {
            changed.push(entry.key);
        }
    }
    return { changed, converted, skipped, fast: fastConversions };
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
            const { changed, converted, skipped, fast: viaPlan } = await addEntries(msg.entries || []);
            const cpu = process.cpuUsage(cpu0);
            return {
                ok: true, total: totals(), changed, converted, skipped, fast: viaPlan, cpuMs: (cpu.user + cpu.system) / 1000,
                plansLoaded: planCacheStats.loaded
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

const serve = () => {
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
};

if (require.main === module) {
    prunePlans();
    serve();
} else { // required by a benchmark or profile script: the same engine, in-process
    module.exports = { handle, scripts, convertOne };
}
