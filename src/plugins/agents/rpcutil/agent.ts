// rpcutil: what a node can say about itself (MCollective's rpcutil, with Choria's dotted fact paths).
import { fileURLToPath } from 'node:url';
import { loadDDLFile } from '../../../ddl/index.js';
import { lookupFact } from '../../../filter/index.js';
import { ActionFailed, type AgentContext, type AgentPlugin, type ActionRequest } from '../../../server/agent.js';

const ddl = loadDDLFile(fileURLToPath(new URL('./rpcutil.ddl.json', import.meta.url)));

type Action = (req: ActionRequest, ctx: AgentContext) => Record<string, unknown>;

const actions: Record<string, Action> = {
  ping: () => ({ pong: Date.now() }),

  inventory: (_req, { node }) => ({
    agents: node
      .agents()
      .map((a) => a.metadata.name)
      .sort(),
    facts: node.facts(),
    classes: [...node.classes()],
    version: node.version,
    main_collective: node.mainCollective,
    collectives: [...node.collectives],
    data_plugins: [],
  }),

  get_fact: (req, { node }) => {
    const fact = String(req.data.fact);
    return { fact, value: lookupFact(node.facts(), fact) ?? null };
  },

  get_facts: (req, { node }) => {
    const names = String(req.data.facts)
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    return { values: Object.fromEntries(names.map((f) => [f, lookupFact(node.facts(), f) ?? null])) };
  },

  agent_inventory: (_req, { node }) => ({
    agents: node.agents().map((a) => ({ agent: a.metadata.name, ...a.metadata })),
  }),

  collective_info: (_req, { node }) => ({ main_collective: node.mainCollective, collectives: [...node.collectives] }),

  daemon_stats: (_req, { node }) => {
    const s = node.stats();
    const usage = process.cpuUsage();
    return {
      ...s,
      agents: node
        .agents()
        .map((a) => a.metadata.name)
        .sort(),
      pid: process.pid,
      version: node.version,
      configfile: node.configFile ?? '',
      times: { utime: usage.user / 1e6, stime: usage.system / 1e6 },
    };
  },

  get_config_item: (req, { node }) => {
    const item = String(req.data.item);
    const found = node.configItem(item);
    if (found === undefined) throw new ActionFailed(`Unknown config property '${item}'`, 4);
    // The key exists, so say so, but a secret's value is not for the network (MCollective's reply.fail!: status 1).
    if (found.secret) throw new ActionFailed(`Config property '${item}' is a secret: its value is not returned`, 1, { item });
    return { item, value: found.value };
  },
};

export const rpcutilAgent: AgentPlugin = {
  ddl,
  invoke(req, ctx) {
    const action = actions[req.action];
    if (!action) throw new ActionFailed(`Unknown action '${req.action}' for agent 'rpcutil'`, 2);
    return action(req, ctx);
  },
};
