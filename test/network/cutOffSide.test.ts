import { describe, expect, it } from 'vitest';
import { cutOffSide } from '../../src/network/partitions.js';

const all = ['controller-1', 'broker-1', 'broker-2', 'broker-3', 'producer-p1'];

describe('cutOffSide', () => {
  it('is the isolated nodes of an isolation, not everyone they can no longer reach', () => {
    expect(cutOffSide({ kind: 'isolate', nodes: ['broker-3'] }, all)).toEqual(['broker-3']);
  });

  it('is every side but the largest of a split, each side when they are the same size, never a bridge', () => {
    expect(cutOffSide({ kind: 'groups', groups: [['broker-2'], ['broker-1', 'broker-3']] }, all)).toEqual(['broker-2']);
    expect(cutOffSide({ kind: 'groups', groups: [['broker-1'], ['broker-2']] }, all)).toEqual(['broker-1', 'broker-2']);
    expect(cutOffSide({ kind: 'groups', groups: [['broker-1', 'broker-2'], ['broker-2', 'broker-3', 'controller-1']] }, all)).toEqual(['broker-1']);
  });

  it('is the sending side of a one-way cut from one node to the rest', () => {
    expect(cutOffSide({ kind: 'oneWay', from: ['broker-1'], to: ['broker-1', 'broker-2', 'broker-3'] }, all)).toEqual(['broker-1']);
  });
});
