import { fileURLToPath } from 'node:url';

// test/fixtures of the checkout, from dist/test/support (the tests read nothing outside the checkout).
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

/** The path of an appc spec 0.8.11 example manifest kept in test/fixtures/appc-examples. */
export const appcExample = (name: string): string => fileURLToPath(new URL(`appc-examples/${name}`, FIXTURES));
