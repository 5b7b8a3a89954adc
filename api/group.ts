/** The API group every Flotilla kind belongs to. */
export const GROUP = 'flotilla.dev';
/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of every Flotilla object. */
export const API_VERSION = `${GROUP}/${VERSION}` as const;
/** The `kubectl get flotilla` category all four kinds join. */
export const CATEGORY = 'flotilla';
