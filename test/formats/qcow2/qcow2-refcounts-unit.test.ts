import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getRefcount, refcountMax, refcountsPerBlock, setRefcount } from '../../../src/formats/qcow2/qcow2-refcount-codec.js';
import { placeRefcounts } from '../../../src/formats/qcow2/qcow2-refcount-growth.js';

test('refcount entries of every width sit where qcow2.txt puts them', () => {
  // order: [index, value, the bytes the block then starts with]
  const cases: Array<[number, number, number, number[]]> = [
    [0, 3, 1, [0x08]], // 1 bit: bit 3 of byte 0, least significant bit first
    [1, 3, 3, [0xc0]], // 2 bits: bits 6-7 of byte 0
    [2, 1, 9, [0x90]], // 4 bits: high nibble of byte 0
    [3, 1, 0xab, [0x00, 0xab]],
    [4, 1, 0x1234, [0, 0, 0x12, 0x34]],
    [5, 1, 0x01020304, [0, 0, 0, 0, 1, 2, 3, 4]],
    [6, 0, 2 ** 40 + 5, [0, 0, 1, 0, 0, 0, 0, 5]],
  ];
  for (const [order, index, value, bytes] of cases) {
    const block = Buffer.alloc(16);
    setRefcount(block, index, order, value);
    assert.deepEqual([...block.subarray(0, bytes.length)], bytes, `order ${order}`);
    assert.equal(getRefcount(block, index, order), value, `order ${order}`);
  }
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(refcountMax), [1, 3, 15, 255, 65535, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER]);
  assert.equal(refcountsPerBlock(512, 6), 64);
  assert.equal(refcountsPerBlock(65536, 4), 32768);
});

test('a sub-byte write leaves its neighbours alone', () => {
  for (const order of [0, 1, 2]) {
    const block = Buffer.alloc(8, 0xff);
    setRefcount(block, 5, order, 0);
    for (let i = 0; i < (64 >> order); i++) assert.equal(getRefcount(block, i, order), i === 5 ? 0 : refcountMax(order), `order ${order} entry ${i}`);
  }
});

const shape = (capacity: number, has: (k: number) => boolean) => ({
  clusterSize: 512,
  perBlock: 64,
  capacity,
  tableClusters: capacity / 64,
  hasBlock: async (k: number) => has(k),
});

test('new clusters past the last refcount block get a block that describes itself', async () => {
  assert.deepEqual(await placeRefcounts(64, 10, shape(64, (k) => k < 1)), { newBlocks: [1], tableClusters: 0, end: 75 });
  // Inside an existing block: nothing new.
  assert.deepEqual(await placeRefcounts(70, 10, shape(64, (k) => k < 2)), { newBlocks: [], tableClusters: 0, end: 80 });
});

test('blocks past the refcount table need a larger table, placed after them and counted too', async () => {
  assert.deepEqual(await placeRefcounts(64 * 64 - 5, 10, shape(64, (k) => k < 63)), { newBlocks: [63, 64], tableClusters: 2, end: 64 * 64 - 5 + 14 });
  // A table at QEMU's 8 MiB limit cannot grow.
  const full = 8 * 1024 * 1024 / 8;
  assert.equal(await placeRefcounts(full * 64, 1, { ...shape(full, () => true), tableClusters: full / 64 }), null);
});
