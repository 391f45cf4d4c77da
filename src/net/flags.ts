// The names of the network flags of run, prepare and run-prepared, without
// their parser (request.ts, which loads zod): the command list imports these.
export const NET_FLAGS = ['--net', '--port', '--dns', '--dns-search', '--dns-opt', '--hostname', '--hosts-entry'] as const;
export type NetFlag = (typeof NET_FLAGS)[number];
export const isNetFlag = (flag: string): flag is NetFlag => (NET_FLAGS as readonly string[]).includes(flag);
