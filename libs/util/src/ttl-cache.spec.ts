import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000;
  });

  it('returns a value until its time to live has passed', () => {
    const cache = new TtlCache<string>(100, 10, clock);
    cache.set('a', 'x');
    now += 99;
    expect(cache.get('a')).toBe('x');
    now += 1;
    expect(cache.get('a')).toBeUndefined();
  });

  it('still gives an expired value to getStale within the allowed staleness, not after', () => {
    const cache = new TtlCache<string>(100, 10, clock);
    cache.set('a', 'x');
    now += 150;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.getStale('a', 100)).toBe('x');
    now += 50;
    expect(cache.getStale('a', 100)).toBeUndefined();
    cache.delete('a');
    expect(cache.size).toBe(0);
  });

  it('drops the oldest entry past its capacity', () => {
    const cache = new TtlCache<number>(1_000, 2, clock);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('keeps the summed weight under its bound, dropping the oldest first, and skips values heavier than the bound', () => {
    const cache = new TtlCache<Buffer>(1_000, 100, clock, { of: (b) => b.length, max: 10 });
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    cache.set('c', Buffer.alloc(4)); // 12 > 10: 'a' goes
    expect([cache.get('a'), cache.get('b')?.length, cache.get('c')?.length]).toEqual([undefined, 4, 4]);
    cache.set('huge', Buffer.alloc(11));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(2);
    // Replacing and deleting give the weight back.
    cache.set('b', Buffer.alloc(1));
    cache.delete('c');
    cache.set('d', Buffer.alloc(9));
    expect([cache.get('b')?.length, cache.get('d')?.length]).toEqual([1, 9]);
  });

  it('deletes every key with a prefix', () => {
    const cache = new TtlCache<number>(1_000, 10, clock, { of: () => 1, max: 10 });
    cache.set('org/a\u0000x', 1);
    cache.set('org/a\u0000y', 2);
    cache.set('org/ab\u0000x', 3);
    cache.deletePrefix('org/a\u0000');
    expect([cache.get('org/a\u0000x'), cache.get('org/a\u0000y'), cache.get('org/ab\u0000x')]).toEqual([undefined, undefined, 3]);
    for (let i = 0; i < 9; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(10); // the deleted entries no longer count against the weight bound
  });
});
