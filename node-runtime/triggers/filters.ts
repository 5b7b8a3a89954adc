/**
 * FunctionTrigger filters: every filter must match the event's attributes (its headers plus the
 * CloudEvents attributes, e.g. `ce-subject` for the NATS subject or MQTT topic). Pure.
 */
import type { FunctionTriggerSpec } from '../../api/index.ts';

export type Filter = FunctionTriggerSpec['filters'][number];

export function matchesFilters(filters: readonly Filter[], attributes: Readonly<Record<string, string>>): boolean {
  return filters.every((f) => {
    const value = attributes[f.key.toLowerCase()];
    switch (f.operator) {
      case 'Exists':
        return value !== undefined;
      case 'Prefix':
        return value !== undefined && value.startsWith(f.value ?? '');
      case 'Equals':
        return value === f.value;
    }
    return false;
  });
}
