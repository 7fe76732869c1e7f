// Key → members, for indexes where most keys have one member: a user's
// connections, a channel's local subscribers. A Set with its hash table costs
// about 150 bytes; one per user and one per channel came to about 6% of what
// a connection holds when each has its own user and channel. Here a lone member
// is stored as itself, and a Set is made for the second one.
//
// Members must be objects that are not Sets themselves (sessions, subscribers).

/** Whether what MemberMap.get() gave is several members (else it is the one member). */
export function isSeveral<V extends object>(members: V | ReadonlySet<V>): members is ReadonlySet<V> {
  return members instanceof Set;
}

export class MemberMap<K, V extends object> {
  private readonly map = new Map<K, V | Set<V>>();

  /** Keys with at least one member. */
  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** The members of `key`: one member, a Set of several, or undefined. For hot loops; see list() otherwise. */
  get(key: K): V | ReadonlySet<V> | undefined {
    return this.map.get(key);
  }

  /** Adds `member`; false when it was there already. */
  add(key: K, member: V): boolean {
    const m = this.map.get(key);
    if (m === undefined) {
      this.map.set(key, member);
      return true;
    }
    if (m instanceof Set) {
      if (m.has(member)) return false;
      m.add(member);
      return true;
    }
    if (m === member) return false;
    this.map.set(key, new Set([m, member]));
    return true;
  }

  /** Removes `member`; false when it was not there. A key left without members is dropped. */
  delete(key: K, member: V): boolean {
    const m = this.map.get(key);
    if (m === undefined) return false;
    if (!(m instanceof Set)) {
      if (m !== member) return false;
      this.map.delete(key);
      return true;
    }
    if (!m.delete(member)) return false;
    // Back to the single form, so a key that once had two members does not keep its Set.
    if (m.size === 1) this.map.set(key, m.values().next().value as V);
    return true;
  }

  count(key: K): number {
    const m = this.map.get(key);
    return m === undefined ? 0 : m instanceof Set ? m.size : 1;
  }

  /** A snapshot of the members of `key`. */
  list(key: K): V[] {
    const m = this.map.get(key);
    return m === undefined ? [] : m instanceof Set ? [...m] : [m];
  }

  /** Every key with its member count. */
  *counts(): IterableIterator<[K, number]> {
    for (const [key, m] of this.map) yield [key, m instanceof Set ? m.size : 1];
  }
}
