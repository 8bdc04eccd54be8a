// Istanbul numbers of one file as monocart reports them, and the ids of its covered entities.
// Shared by the incremental worker and the from-scratch reference, so both count the same way.
'use strict';

const { createFileCoverage } = require('istanbul-lib-coverage');

const KINDS = ['lines', 'branches', 'statements', 'functions'];
const locId = (loc) => (loc && loc.start ? `${loc.start.line}:${loc.start.column}-${loc.end.line}:${loc.end.column}` : '');

// The id of every Istanbul entity of a file, in Istanbul's order: `s[k]`, `f[k]`, `b[k][i]`, and the
// line of each statement (`sLine[k]`, what Istanbul's line coverage is keyed by). Ids are source
// locations, so the same entity has the same id in every conversion of the script.
const entityIds = (fileData) => {
    const keys = (obj) => Object.keys(obj);
    return {
        s: keys(fileData.s).map((k) => `s${locId(fileData.statementMap[k])}`),
        sLine: keys(fileData.s).map((k) => fileData.statementMap[k].start.line),
        f: keys(fileData.f).map((k) => `f${locId(fileData.fnMap[k].decl)}|${locId(fileData.fnMap[k].loc)}`),
        b: keys(fileData.b).map((k) => {
            const map = fileData.branchMap[k];
            return fileData.b[k].map((_, i) => `b${map.type}${locId(map.loc)}#${i}|${locId(map.locations[i])}`);
        })
    };
};

// monocart's numbers for one file, plus the ids of the entities it reports covered.
const istanbulCounts = (fileData) => {
    const fc = createFileCoverage(fileData);
    const s = fc.toSummary();
    const ids = entityIds(fileData);
    const covered = new Set();
    for (const [line, count] of Object.entries(fc.getLineCoverage())) {
        if (count > 0) covered.add(`l${line}`);
    }
    Object.values(fileData.s).forEach((count, k) => {
        if (count > 0) covered.add(ids.s[k]);
    });
    Object.values(fileData.f).forEach((count, k) => {
        if (count > 0) covered.add(ids.f[k]);
    });
    Object.values(fileData.b).forEach((counts, k) => {
        counts.forEach((count, i) => {
            if (count > 0) covered.add(ids.b[k][i]);
        });
    });
    return {
        counts: {
            lines: s.lines.covered, branches: s.branches.covered, statements: s.statements.covered, functions: s.functions.covered
        },
        covered
    };
};
const KIND_OF = { l: 'lines', b: 'branches', s: 'statements', f: 'functions' };

module.exports = { KINDS, KIND_OF, entityIds, istanbulCounts };
