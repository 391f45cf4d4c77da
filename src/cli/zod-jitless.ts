// zod compiles a parser (new Function) for each object schema on its first
// parse, which pays off over many parses; a command parses each schema once
// or twice. This is z.config({ jitless: true }) set before zod is loaded
// (zod reads its config from this global when it loads, and object schemas
// read it when they are made): import this module before any that loads zod.
(globalThis as { __zod_globalConfig?: { jitless?: boolean } }).__zod_globalConfig = { jitless: true };
