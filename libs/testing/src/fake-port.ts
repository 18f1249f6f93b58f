/** A call a fake port received: method name and arguments. */
export type PortCall = [method: string, ...args: unknown[]];

/**
 * An in-memory fake of a port for service specs: the methods a spec gives are used (and every
 * call is recorded in `calls`, in order); a method the spec did not give throws naming itself, so
 * a service that reaches for a port the spec did not expect fails loudly instead of getting
 * `undefined`.
 */
export function fakePort<T extends object>(name: string, methods: Partial<T>, calls: PortCall[] = []): T {
  return new Proxy(methods as T, {
    get(target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      const fn = (target as Record<string, unknown>)[prop];
      if (typeof fn !== 'function') {
        return () => {
          throw new Error(`${name}.${prop} is not faked in this spec`);
        };
      }
      return (...args: unknown[]) => {
        calls.push([`${name}.${prop}`, ...args]);
        return (fn as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The error `promise` rejected with, when it is a `type`; fails the spec when it resolved or threw something else. */
export async function rejectionOf<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof type)) throw new Error(`expected a ${type.name}, got ${err === null ? 'a result' : String(err)}`);
  return err;
}
