// The metadata store of DESIGN.md "State on disk": one JSON record per snapshot under
// stateDir/<domain key>/snapshotdata-<name>.json, files 0600, folders 0700.
export { checkDomainKey, isDomainKey } from './domain-key.js';
export { checkSnapshotName, domainDir, recordPath, recordFileName } from './record-path.js';
export { serializeRecord } from './serialize-record.js';
export { recordProblems } from './validate-record.js';
export { MAX_RECORD_BYTES, type DomainRecords, type RecordProblem } from './scan-domain-dir.js';
export { readAllRecords, readDomainRecords, readRecord } from './read-records.js';
export { writeRecord } from './write-record.js';
export { deleteRecord } from './delete-record.js';
export { setPinned, updateRecord } from './update-record.js';
