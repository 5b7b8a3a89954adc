import { objectKey } from './resource.ts';
import type { KubeObject } from './resource.ts';

/**
 * What changed in a store: an object is there now (new or changed; `old` is the version it
 * replaced, so a mapper can ignore changes that do not matter to it), or it is gone.
 */
export type StoreChange<T> = { type: 'Applied'; object: T; old?: T } | { type: 'Deleted'; object: T };

/**
 * The local cache an informer keeps and reconcilers read from, keyed by objectKey. Reads never touch
 * the API server; the store is only as fresh as the informer's watch.
 */
export class Store<T extends KubeObject> {
  private readonly objects = new Map<string, T>();

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(filter?: (obj: T) => boolean): T[] {
    const all = [...this.objects.values()];
    return filter ? all.filter(filter) : all;
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  get size(): number {
    return this.objects.size;
  }

  /** Records an object; returns the change, or undefined when this resourceVersion is already stored. */
  apply(obj: T): StoreChange<T> | undefined {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return undefined;
    return old ? { type: 'Applied', object: obj, old } : { type: 'Applied', object: obj };
  }

  delete(obj: T): StoreChange<T> | undefined {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    return { type: 'Deleted', object: old };
  }

  /**
   * Replaces the whole content with a fresh list (after a relist) and returns what differs, so
   * deletes missed while the watch was down still reach the controllers.
   */
  replace(objs: readonly T[]): StoreChange<T>[] {
    const changes: StoreChange<T>[] = [];
    const seen = new Set<string>();
    for (const obj of objs) {
      seen.add(objectKey(obj));
      const change = this.apply(obj);
      if (change) changes.push(change);
    }
    for (const [key, old] of this.objects) {
      if (!seen.has(key)) {
        this.objects.delete(key);
        changes.push({ type: 'Deleted', object: old });
      }
    }
    return changes;
  }
}
