/**
 * Reads from an async iterator of Buffers until `limit` bytes are gathered or it ends. Bytes past
 * the limit are kept in `carry` for the next call, so memory stays bounded by one part.
 */
export async function readUpTo(
  iterator: AsyncIterator<Buffer>,
  limit: number,
  carry: Buffer[],
): Promise<{ data: Buffer; done: boolean }> {
  const parts: Buffer[] = carry.splice(0);
  let size = parts.reduce((n, b) => n + b.length, 0);
  while (size < limit) {
    const next = await iterator.next();
    if (next.done) return { data: Buffer.concat(parts), done: true };
    parts.push(next.value);
    size += next.value.length;
  }
  const all = Buffer.concat(parts);
  if (all.length > limit) carry.push(all.subarray(limit));
  return { data: all.subarray(0, limit), done: false };
}
