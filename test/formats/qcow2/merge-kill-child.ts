// Runs mergeParentIntoChild and SIGKILLs this process at one named point (the kill tests).
// argv: parent child redoLog point batchBytes
import { mergeParentIntoChild } from '../../../src/formats/qcow2/qcow2-merge.js';

const [parent, child, redoLog, point, batchBytes] = process.argv.slice(2) as [string, string, string, string, string];
await mergeParentIntoChild(parent, child, {
  redoLog,
  batchBytes: Number(batchBytes),
  onPoint: (p) => {
    if (p === point) process.kill(process.pid, 'SIGKILL');
  },
});
