// Istanbul numbers of one file as monocart reports them, and the ids of its covered entities.
// Shared by the incremental worker and the from-scratch reference, so both count the same way.
'use strict';

const { createFileCoverage } = require('istanbul-lib-coverage');

const KINDS = ['lines', 'branches', 'statements', 'functions'];
const locId = (loc) => (loc && loc.start ? `${loc.start.line}:${loc.start.column}-${loc.end.line}:${loc.end.column}` : '');

// monocart's numbers for one file, plus the ids of the entities it reports covered. Ids are
// source locations, so the same entity has the same id in every conversion of the script.
const istanbulCounts = (fileData) => {
    const fc = createFileCoverage(fileData);
    const s = fc.toSummary();
    const covered = new Set();
    for (const [line, count] of Object.entries(fc.getLineCoverage())) {
        if (count > 0) covered.add(`l${line}`);
    }
    for (const [k, count] of Object.entries(fileData.s)) {
        if (count > 0) covered.add(`s${locId(fileData.statementMap[k])}`);
    }
    for (const [k, count] of Object.entries(fileData.f)) {
        if (count > 0) covered.add(`f${locId(fileData.fnMap[k].decl)}|${locId(fileData.fnMap[k].loc)}`);
    }
    for (const [k, counts] of Object.entries(fileData.b)) {
        const map = fileData.branchMap[k];
        counts.forEach((count, i) => {
            if (count > 0) covered.add(`b${map.type}${locId(map.loc)}#${i}|${locId(map.locations[i])}`);
        });
    }
    return {
        counts: {
            lines: s.lines.covered, branches: s.branches.covered, statements: s.statements.covered, functions: s.functions.covered
        },
        covered
    };
};
const KIND_OF = { l: 'lines', b: 'branches', s: 'statements', f: 'functions' };

module.exports = { KINDS, KIND_OF, istanbulCounts };
