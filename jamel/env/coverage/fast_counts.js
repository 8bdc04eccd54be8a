// Istanbul counts of one script from its merged V8 coverage, without re-running monocart's converter.
//
// For a script without a source map, everything monocart's conversion produces except the hit counts
// depends on the source alone: the statements, functions and branch groups come from the AST, their
// locations from the source text, the `v8 ignore` ranges from its comments. Only the counts depend on
// the V8 ranges. So the source-only part is built once per source (a "plan": each entity with the
// AST ancestors its count is read through) and every later conversion only assigns counts: the same
// rules monocart's converter applies (a function's count from its V8 function range, a block's from
// its function's block ranges, a statement's from its innermost block or function, a branch's from
// its blocks and its parent's count), over plain arrays instead of a fresh walk, fresh Istanbul maps
// and a FileCoverage. Istanbul's summary is then counted directly (lines: a statement's start line
// takes the largest count of the statements starting on it).
//
// Exactness is checked, not assumed: the worker builds a plan from a real monocart conversion of the
// source and keeps it only if the plan's counts equal monocart's on that conversion (otherwise the
// source stays on monocart's path); `--verify` compares every later conversion too (the tests and
// benchmarks run with it).
'use strict';

const path = require('path');
const Util = require('monocart-coverage-reports/util');
// not among the package's exports: loaded from the converter's own folder
const { getIgnoredRanges } = require(path.join(path.dirname(require.resolve('monocart-coverage-reports/converter')),
    'ignore.js'));

// The visitor types of monocart's node collection: walking with the same set visits in the same
// order with the same ancestor lists.
const VISITED = ['VariableDeclarator', 'Statement', 'StaticBlock', 'Function', 'BlockStatement', 'AssignmentPattern',
    'ConditionalExpression', 'IfStatement', 'LogicalExpression', 'SwitchStatement'];

const walk = (visitAst, ast) => {
    const calls = [];
    const visitors = {};
    for (const type of VISITED) {
        visitors[type] = (node, parents) => {
            calls.push([type, node, parents.slice().reverse()]); // innermost first
        };
    }
    visitAst(ast, visitors);
    return calls;
};

// Branch groups as monocart forms them: one per branching node, `a || b || c` chained into one group
// through the location that starts where the chained expression starts; a key collision keeps the
// first group's place with the later group.
const collectGroups = (calls) => {
    const groups = new Map();
    const locationAt = new Map();
    const newGroup = (type, node, rp) => {
        const group = { type, start: node.start, end: node.end, locations: [], rp };
        groups.set(`${node.start}_${node.end}`, group);
        return group;
    };
    const addLocation = (group, node) => {
        const loc = { key: `${group.start}_${group.end}`, start: node.start, end: node.end };
        if (node.type === 'SwitchCase') {
            loc.hasBreak = Boolean(node.consequent && node.consequent.find((it) => it.type === 'BreakStatement'));
        }
        group.locations.push(loc);
        if (node.end > group.end) {
            group.end = node.end;
        }
        locationAt.set(node.start, loc);
    };
    for (const [type, node, rp] of calls) {
        if (type === 'AssignmentPattern') {
            addLocation(newGroup(type, node, rp), node);
        } else if (type === 'ConditionalExpression') {
            const g = newGroup(type, node, rp);
            addLocation(g, node.consequent);
            addLocation(g, node.alternate);
        } else if (type === 'IfStatement') {
            const g = newGroup(type, node, rp);
            addLocation(g, node.consequent);
            if (node.alternate) {
                addLocation(g, node.alternate);
            } else {
                g.locations.push({ none: true });
            }
        } else if (type === 'LogicalExpression') {
            const prev = locationAt.get(node.start);
            const g = prev ? groups.get(prev.key) : newGroup(type, node, rp);
            if (!g) {
                throw new Error(`unlinked logical expression at ${node.start}`);
            }
            if (!prev) {
                addLocation(g, node.left);
            }
            addLocation(g, node.right);
            if (prev) {
                g.locations.sort((a, b) => a.start - b.start);
                const lastEnd = g.locations[g.locations.length - 1].end;
                if (lastEnd > g.end) {
                    g.end = lastEnd;
                }
            }
        } else if (type === 'SwitchStatement') {
            const g = newGroup(type, node, rp);
            for (const c of node.cases) {
                addLocation(g, c);
            }
        }
    }
    return [...groups.values()];
};

// The static part of a script's conversion. `fnIndex`: node -> index in `functions`; every entity
// refers to the function (or the root, -1) whose state its count is read through, and to the block
// nodes between it and that function (a block with a V8 range lends its count to what it holds).
const buildPlan = (ast, source, locator, visitAst, options) => {
    const calls = walk(visitAst, ast);
    const functions = [];
    const blocks = [];
    const statements = [];
    for (const [type, node, rp] of calls) {
        if (type === 'Function' || type === 'StaticBlock') {
            functions.push({ node, rp });
        } else if (type === 'BlockStatement') {
            blocks.push({ node, rp });
        } else if (type === 'Statement') {
            statements.push({ node, rp });
        }
    }
    const fnIndex = new Map(functions.map((f, i) => [f.node, i]));
    const blockIndex = new Map(blocks.map((b, i) => [b.node, i]));
    // innermost function ancestor (the root counts as one) and the block nodes on the way to it
    const scope = (rp, self) => {
        const inner = [];
        for (const n of rp) {
            if (n === self) {
                continue; // a block's own range is not its parent
            }
            if (fnIndex.has(n)) {
                return { fn: fnIndex.get(n), inner };
            }
            if (n === ast) {
                return { fn: -1, inner };
            }
            if (blockIndex.has(n)) {
                inner.push(blockIndex.get(n));
            }
        }
        return { fn: -2, inner }; // no function state at all (monocart: nothing to read)
    };
    const ignored = getIgnoredRanges(locator, options);
    const isIgnored = (start, end) => Boolean(ignored && Util.findInRanges(start, end, ignored));

    const fnPlan = functions.map(({ node, rp }) => {
        const parent = rp[1];
        return {
            start: node.start,
            end: node.end,
            type: node.type,
            async: Boolean(node.async),
            method: parent && parent.type === 'MethodDefinition'
                ? { start: parent.start, end: parent.end, type: parent.type, isStatic: Boolean(parent.static) } : null,
            ignored: isIgnored(node.start, node.end)
        };
    });
    const blockPlan = blocks.map(({ node, rp }) => {
        const s = scope(rp, node);
        return { start: node.start, end: node.end, fn: s.fn };
    });
    const stmtPlan = [];
    for (const { node, rp } of statements) {
        if (node.type === 'BlockStatement') {
            continue; // monocart drops block statements from the statement list
        }
        if (isIgnored(node.start, node.end)) {
            continue;
        }
        const own = fnIndex.get(node);
        stmtPlan.push({ start: node.start, end: node.end, own: own === undefined ? -3 : own, fn: scope(rp).fn });
    }
    const groups = collectGroups(calls);
    for (const g of groups) {
        for (const loc of g.locations) {
            if (loc.none) {
                loc.start = g.start;
                loc.end = g.end;
            }
        }
    }
    groups.forEach((g, i) => {
        g.order = i;
    });
    const sorted = groups.slice().sort((a, b) => a.start - b.start);
    const branchPlan = groups.map((g) => {
        const s = scope(g.rp);
        const groupIgnored = isIgnored(g.start, g.end);
        return {
            type: g.type,
            start: g.start,
            end: g.end,
            fn: s.fn,
            inner: s.inner,
            locations: g.locations.map((l) => ({
                start: l.start, end: l.end, none: Boolean(l.none), hasBreak: Boolean(l.hasBreak),
                ignored: groupIgnored || isIgnored(l.start, l.end)
            })),
            ignored: groupIgnored
        };
    });
    return {
        functions: fnPlan,
        blocks: blockPlan,
        statements: stmtPlan,
        branches: branchPlan,
        // Istanbul's branch order: by start (a stable sort of the groups' creation order)
        branchOrder: sorted.map((g) => g.order).filter((i) => !branchPlan[i].ignored)
    };
};

// -- per conversion ------------------------------------------------------------------------------

// monocart's coverage list: a covered function whose range lies in an uncovered block of a function
// listed before it splits that block around it. Rare; done on a copy so the caller's data is untouched.
const coverageList = (functions) => {
    const uncoveredBlocks = [];
    const uncoveredList = [];
    for (const block of functions) {
        const ranges = block.ranges;
        for (let i = 0; i < ranges.length; i++) {
            const r = ranges[i];
            if (i === 0) {
                if (r.count > 0) {
                    const hit = Util.findInRanges(r.startOffset, r.endOffset, uncoveredBlocks, 'startOffset', 'endOffset');
                    if (hit) {
                        if (!hit.coveredList) {
                            hit.coveredList = [];
                            uncoveredList.push(hit);
                        }
                        hit.coveredList.push(r);
                    }
                }
            } else if (r.count === 0) {
                uncoveredBlocks.push({ startOffset: r.startOffset, endOffset: r.endOffset, count: r.count, index: i, block });
            }
        }
    }
    if (!uncoveredList.length) {
        return functions;
    }
    const copies = new Map();
    const out = functions.map((block) => {
        if (!uncoveredList.some((it) => it.block === block)) {
            return block;
        }
        const copy = { ...block, ranges: block.ranges.slice() };
        copies.set(block, copy);
        return copy;
    });
    for (const it of uncoveredList) {
        const { index, count, coveredList: covered } = it;
        const args = [index, 1];
        Util.sortOffsetRanges(covered);
        let startOffset = it.startOffset;
        for (const cov of covered) {
            if (cov.startOffset > startOffset) {
                args.push({ startOffset, endOffset: cov.startOffset, count });
                startOffset = cov.endOffset;
            }
        }
        if (it.endOffset > startOffset) {
            args.push({ startOffset, endOffset: it.endOffset, count });
        }
        copies.get(it.block).ranges.splice(...args);
    }
    return out;
};

// V8 function ranges by where they start, the uncovered ones sorted, each with its block ranges.
const indexCoverage = (list) => {
    const byStart = new Map();
    const byName = new Map();
    const statics = [];
    const uncovered = [];
    const blocksOf = new Map(); // function range -> {map, uncovered, covered}
    let root;
    for (const block of list) {
        const fr = block.ranges[0];
        if (block.ranges.length > 1) {
            blocksOf.set(fr, block.ranges); // indexed on first use (blockOf)
        }
        if (!root) {
            root = fr;
        }
        byStart.set(fr.startOffset, fr);
        if (block.functionName) {
            byName.set(fr.startOffset + block.functionName.length, fr);
        }
        if (block.functionName === '<static_initializer>') {
            statics.push(fr);
        }
        if (fr.count === 0) {
            uncovered.push(fr);
        }
    }
    Util.sortOffsetRanges(uncovered);
    return { byStart, byName, statics, uncovered, blocksOf, root };
};

const functionRange = (start, end, type, cov) => byStartOr(cov, start)
    || (type === 'StaticBlock' && cov.statics.length
        ? Util.findInRanges(start, end, cov.statics, 'startOffset', 'endOffset') : undefined)
    || Util.findInRanges(start, end, cov.uncovered, 'startOffset', 'endOffset');
const byStartOr = (cov, start) => cov.byStart.get(start) || cov.byName.get(start);

const findFunction = (f, cov) => {
    let r = functionRange(f.start, f.end, f.type, cov);
    if (!r && f.async) {
        r = functionRange(f.start - 6, f.end, f.type, cov); // `async ` before the V8 start
    }
    if (!r && f.method) {
        r = functionRange(f.method.start, f.method.end, f.method.type, cov);
        if (!r && f.method.isStatic) {
            r = functionRange(f.method.start + 7, f.method.end, f.method.type, cov); // `static `
        }
    }
    return r;
};

// The block range of a function that holds [start, end): exact start, else the innermost uncovered
// one, else the last covered one around it.
const blockOf = (start, end, state, cov) => {
    if (!state || !state.range) {
        return undefined;
    }
    let b = cov.blocksOf.get(state.range);
    if (!b) {
        return undefined;
    }
    if (Array.isArray(b)) {
        const rest = b.slice(1);
        const map = new Map();
        for (const r of rest) {
            map.set(r.startOffset, r);
        }
        const unc = rest.filter((r) => r.count === 0);
        Util.sortOffsetRanges(unc);
        b = { map, uncovered: unc, covered: rest.filter((r) => r.count > 0) };
        cov.blocksOf.set(state.range, b);
    }
    const exact = b.map.get(start);
    if (exact) {
        return exact;
    }
    const unc = Util.findInRanges(start, end, b.uncovered, 'startOffset', 'endOffset');
    if (unc) {
        return unc;
    }
    for (let i = b.covered.length - 1; i >= 0; i--) {
        const r = b.covered[i];
        if (start >= r.startOffset && end <= r.endOffset) {
            return r;
        }
    }
    return undefined;
};

// Hit counts in Istanbul's order: {s: [...], f: [...], b: [[...], ...]}.
const planCounts = (plan, functions) => {
    const cov = indexCoverage(coverageList(functions));
    const root = { count: cov.root ? cov.root.count : 1, range: cov.root };
    const fnStates = plan.functions.map((f) => {
        const r = findFunction(f, cov);
        return r ? { count: r.count, range: r } : { count: root.count, range: undefined };
    });
    const stateOf = (fn) => (fn === -1 ? root : fn >= 0 ? fnStates[fn] : undefined);
    const blockCounts = plan.blocks.map((b) => {
        const r = blockOf(b.start, b.end, stateOf(b.fn), cov);
        return r ? r.count : undefined;
    });

    const s = [];
    for (const st of plan.statements) {
        if (st.own >= 0) {
            s.push(fnStates[st.own].count);
            continue;
        }
        const state = stateOf(st.fn);
        if (!state) {
            s.push(1);
        } else if (state.count === 0) {
            s.push(0);
        } else {
            const r = blockOf(st.start, st.end, state, cov);
            s.push(r ? r.count : state.count);
        }
    }
    const f = [];
    plan.functions.forEach((fp, i) => {
        if (!fp.ignored) {
            f.push(fnStates[i].count);
        }
    });

    const groupCounts = plan.branches.map((g) => {
        const counts = new Array(g.locations.length).fill(0);
        const state = stateOf(g.fn);
        if (!state || state.count === 0) {
            return counts;
        }
        let parent = state.count;
        for (const bi of g.inner) {
            if (blockCounts[bi] !== undefined) {
                parent = blockCounts[bi];
                break;
            }
        }
        const gb = blockOf(g.start, g.end, state, cov);
        if (gb) {
            parent = gb.count;
        }
        const blocks = g.locations.map((l) => (l.none ? undefined : blockOf(l.start, l.end, state, cov)));
        if (g.type === 'LogicalExpression') {
            blocks.forEach((b, i) => {
                counts[i] = b ? b.count : parent;
            });
        } else if (g.type === 'AssignmentPattern') {
            counts.fill(parent);
        } else {
            let blockSum = 0;
            const free = [];
            blocks.forEach((b, i) => {
                if (b) {
                    counts[i] = b.count;
                    blockSum += b.count;
                } else {
                    free.push(i);
                }
            });
            if (!free.length) {
                return counts;
            }
            if (g.type === 'SwitchStatement') {
                for (const i of free) {
                    let fellThrough = false;
                    for (let j = i - 1; j >= 0; j--) {
                        if (!g.locations[j].hasBreak && counts[j] > 0) {
                            counts[i] += counts[j];
                            fellThrough = true;
                            continue;
                        }
                        break;
                    }
                    if (!fellThrough) {
                        counts[i] = parent - blockSum;
                    }
                }
            } else { // IfStatement, ConditionalExpression: what the blocks did not take goes to the first other one
                let rest = parent - blockSum;
                for (const i of free) {
                    counts[i] = rest;
                    rest = 0;
                }
            }
        }
        return counts;
    });
    const b = plan.branchOrder.map((gi) => groupCounts[gi].filter((_, i) => !plan.branches[gi].locations[i].ignored));
    return { s, f, b };
};

// The entities of a source as small integers (`ids`: from istanbul_entities.entityIds): one number
// per distinct id, so two entities at one location stay one entity, as in the id sets.
const entityTable = (ids) => {
    const idOf = [];
    const numbers = new Map();
    const uid = (id) => {
        let u = numbers.get(id);
        if (u === undefined) {
            u = idOf.length;
            idOf.push(id);
            numbers.set(id, u);
        }
        return u;
    };
    const lines = [...new Set(ids.sLine)];
    const lineUid = new Int32Array(Math.max(0, ...lines) + 1);
    for (const line of lines) {
        lineUid[line] = uid(`l${line}`);
    }
    return {
        idOf,
        sLine: Int32Array.from(ids.sLine),
        lines,
        lineUid,
        s: Int32Array.from(ids.s, uid),
        f: Int32Array.from(ids.f, uid),
        b: ids.b.map((group) => Int32Array.from(group, uid))
    };
};

// Istanbul's summary (FileCoverage.toSummary: a line takes the largest count of the statements that
// start on it; lines, statements and functions count when non-zero, branches when positive) and the
// entities hit (count > 0), as numbers of `table`.
const summarize = (counts, table) => {
    const lineMax = new Float64Array(table.lineUid.length).fill(NaN);
    const hit = [];
    const totals = { lines: 0, branches: 0, statements: 0, functions: 0 };
    counts.s.forEach((c, k) => {
        const line = table.sLine[k];
        if (!(lineMax[line] >= c)) {
            lineMax[line] = c;
        }
        if (c) {
            totals.statements += 1;
            if (c > 0) {
                hit.push(table.s[k]);
            }
        }
    });
    for (const line of table.lines) {
        const c = lineMax[line];
        if (c) {
            totals.lines += 1;
            if (c > 0) {
                hit.push(table.lineUid[line]);
            }
        }
    }
    counts.f.forEach((c, k) => {
        if (c) {
            totals.functions += 1;
            if (c > 0) {
                hit.push(table.f[k]);
            }
        }
    });
    counts.b.forEach((group, k) => {
        group.forEach((c, i) => {
            if (c > 0) {
                totals.branches += 1;
                hit.push(table.b[k][i]);
            }
        });
    });
    return { counts: totals, hit };
};

const sameCounts = (a, fileData) => {
    const eq = (xs, obj) => xs.length === Object.keys(obj).length && xs.every((v, k) => obj[k] === v);
    return eq(a.s, fileData.s) && eq(a.f, fileData.f)
        && a.b.length === Object.keys(fileData.b).length && a.b.every((g, k) => eq(g, fileData.b[k]));
};

module.exports = { buildPlan, planCounts, entityTable, summarize, sameCounts };
