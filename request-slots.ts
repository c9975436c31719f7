// What the plugins keep for each request (its id, its timings, its log entry, its budget, ...),
// all in one object per Request. Each plugin used to keep a WeakMap of its own: ten entries per
// request, each an ephemeron that every young-generation collection must trace and that cost
// about as much to add as the rest of the plugin's work. Now one WeakMap entry holds a bag, and
// each plugin's slot is a key of its own in it.

/** One plugin's value per request, with a WeakMap's methods. */
export interface RequestSlot<T> {
  get(request: Request): T | undefined;
  set(request: Request, value: T): void;
  has(request: Request): boolean;
  delete(request: Request): void;
}

type Bag = Record<symbol, unknown>;

const bags = new WeakMap<Request, Bag>();

function bagOf(request: Request): Bag {
  let bag = bags.get(request);
  if (!bag) {
    bag = {};
    bags.set(request, bag);
  }
  return bag;
}

/** A slot of its own for `name` (which only names it when debugging) in every request's bag. */
export function requestSlot<T>(name: string): RequestSlot<T> {
  const key = Symbol(name);
  return {
    get: (request) => bags.get(request)?.[key] as T | undefined,
    set: (request, value) => {
      bagOf(request)[key] = value;
    },
    has: (request) => bags.get(request)?.[key] !== undefined,
    delete: (request) => {
      const bag = bags.get(request);
      if (bag) bag[key] = undefined;
    },
  };
}
