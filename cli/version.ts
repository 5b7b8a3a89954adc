import { readFileSync } from 'node:fs';

/** This CLI's version: package.json's, the one the images and the rendered platform carry. */
export const CLIENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
