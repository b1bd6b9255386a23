/** The agent name on which `mco sim --raw-responder` answers bare broadcasts: the benchmark's floor. */
export const RAW_RESPONDER_AGENT = 'bench_floor';
