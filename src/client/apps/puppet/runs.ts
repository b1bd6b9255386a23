// Following Puppet runs across nodes, each node on its own so a slow or silent one never holds up the rest.
// A run asked for at `initiated_at` is finished once the node is not applying and its last run completed
// at or after that time; not applying with an older last run means "asked but not started" (splay, start-up).

export interface NodeStatus {
  applying: boolean;
  enabled: boolean;
  lastrun: number;
  /** The last run the node's agent started and followed (its process), when it reports one. */
  run?: RunExit;
}

/** A started run's process, as the node saw it: ended or not, with its exit code and Puppet's error line. */
export interface RunExit {
  initiatedAt: number;
  ended: boolean;
  exitCode: number;
  error: string;
}

export type Verdict = 'applying' | 'finished' | 'waiting';

/** Finished once Puppet recorded a run since it was asked for, or once the process of that very run has ended. */
export function judge(status: NodeStatus, initiatedAt: number): Verdict {
  if (status.applying) return 'applying';
  if (status.lastrun >= initiatedAt) return 'finished';
  return status.run?.ended && status.run.initiatedAt === initiatedAt ? 'finished' : 'waiting';
}

/** What the node said to runonce: undefined when it did not answer. */
export interface Trigger {
  ok: boolean;
  message: string;
  initiatedAt: number;
}

/** The two requests runs are driven with; implemented over the RPC client, or in memory in tests. */
export interface RunsClient {
  /** Status of each host; `onReply` fires as each answer arrives, so callers need not wait for the slowest. */
  status(hosts: readonly string[], onReply: (host: string, status: NodeStatus) => void): Promise<void>;
  runonce(host: string): Promise<Trigger | undefined>;
}

export type RunResult =
  /** The run completed. */
  | 'finished'
  /** The node refused to run (disabled, applying, bad input…). */
  | 'refused'
  /** The node did not answer runonce. */
  | 'no_response'
  /** Asked, but never seen applying or finished within the allowed checks. */
  | 'not_started'
  /** Stopped answering status while its run was followed. */
  | 'unresponsive'
  /** Still running when the caller stopped waiting. */
  | 'timeout';

export interface RunOutcome {
  host: string;
  result: RunResult;
  message: string;
  initiatedAt?: number;
  /** How the run's process ended, when the node followed it. */
  exit?: RunExit;
  /** Client clock, ms since the epoch: when the run was asked for and when its end was seen. */
  askedAt: number;
  doneAt: number;
}

export interface FollowOptions {
  pollIntervalMs: number;
  /** Polls answered "not started yet" before giving up on a host. */
  maxChecks: number;
  /** Polls without an answer before giving up on a host. */
  maxNoResponse: number;
  /** Stop following at this client time (ms since the epoch). */
  deadline?: number;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/**
 * Collects status requests made in the same tick into one request, and hands each host its answer
 * the moment it arrives; hosts that never answer get undefined when the request times out.
 */
export class StatusPoller {
  private pending = new Map<string, Array<(s: NodeStatus | undefined) => void>>();
  private scheduled = false;

  constructor(private readonly client: RunsClient) {}

  get(host: string): Promise<NodeStatus | undefined> {
    return new Promise((resolve) => {
      const waiters = this.pending.get(host) ?? [];
      waiters.push(resolve);
      this.pending.set(host, waiters);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const answer = (host: string, status: NodeStatus | undefined) => {
      for (const resolve of batch.get(host) ?? []) resolve(status);
      batch.delete(host);
    };
    try {
      await this.client.status([...batch.keys()], (host, status) => answer(host, status));
    } finally {
      for (const host of [...batch.keys()]) answer(host, undefined);
    }
  }
}

/** Polls one host until its run asked for at `initiatedAt` is over, or it is given up on. */
export async function followRun(
  host: string,
  initiatedAt: number,
  askedAt: number,
  poller: StatusPoller,
  o: FollowOptions,
): Promise<RunOutcome> {
  let checks = 0;
  let silent = 0;
  const done = (result: RunResult, message: string): RunOutcome => ({ host, result, message, initiatedAt, askedAt, doneAt: o.now() });
  for (;;) {
    if (o.deadline !== undefined && o.now() >= o.deadline) return done('timeout', 'Stopped waiting for the run to finish');
    await o.sleep(o.pollIntervalMs);
    const status = await poller.get(host);
    if (!status) {
      silent++;
      o.log(`Host ${host} did not respond to the status action.`);
      if (silent >= o.maxNoResponse) {
        o.log(`Host ${host} failed to respond multiple times. Skipping.`);
        return done('unresponsive', 'Did not respond to the status action');
      }
      continue;
    }
    const verdict = judge(status, initiatedAt);
    if (verdict === 'finished') {
      const outcome = done('finished', 'Completed a Puppet run');
      if (status.run?.ended && status.run.initiatedAt === initiatedAt) outcome.exit = status.run;
      return outcome;
    }
    if (verdict === 'waiting' && ++checks >= o.maxChecks) {
      o.log(`Host ${host} did not move into an applying state. Skipping.`);
      return done('not_started', 'Did not move into an applying state');
    }
  }
}

/** Follows a run the node started on its own (daemon schedule) until it is over; it holds a slot meanwhile. */
async function followOwnRun(host: string, poller: StatusPoller, o: FollowOptions): Promise<void> {
  let silent = 0;
  for (;;) {
    await o.sleep(o.pollIntervalMs);
    const status = await poller.get(host);
    if (!status) {
      if (++silent >= o.maxNoResponse) return;
      continue;
    }
    if (!status.applying) return;
  }
}

export interface RunAllOptions extends FollowOptions {
  concurrency: number;
}

const APPLYING_REFUSAL = 'Puppet is currently applying a catalog';

/**
 * Starts a run on every host with at most `concurrency` runs going at once, counting runs nodes started
 * on their own (`applying` in `initial`). Each slot moves on as soon as its own host is done.
 */
export async function runAll(
  hosts: readonly string[],
  initial: ReadonlyMap<string, NodeStatus>,
  client: RunsClient,
  o: RunAllOptions,
): Promise<RunOutcome[]> {
  const poller = new StatusPoller(client);
  const queue = [...hosts];
  const outcomes: RunOutcome[] = [];
  const total = hosts.length;
  let active = 0;
  let wake: () => void = () => undefined;

  // Each lane reports exactly once; its slot is freed right here, so two lanes ending in one tick count correctly.
  const progress = (outcome: RunOutcome) => {
    outcomes.push(outcome);
    active--;
    const verb = outcome.result === 'finished' ? 'completed its Puppet run' : `was skipped: ${outcome.message}`;
    o.log(`${outcome.host} ${verb}; ${outcomes.length} of ${total} done, ${active} running, ${queue.length} waiting`);
  };

  const lane = async (host: string, ownRunFirst: boolean, retried = false): Promise<void> => {
    if (ownRunFirst) await followOwnRun(host, poller, o);
    const askedAt = o.now();
    const trigger = await client.runonce(host);
    if (!trigger) {
      o.log(`Host ${host} did not respond to the runonce action.`);
      return progress({ host, result: 'no_response', message: 'Did not respond to the runonce action', askedAt, doneAt: o.now() });
    }
    o.log(`${host} schedule status: ${trigger.message}`);
    if (!trigger.ok) {
      // It started a run of its own since it was scanned: wait for that one (it holds this slot), then ask once more.
      if (trigger.message.startsWith(APPLYING_REFUSAL) && !retried) return lane(host, true, true);
      return progress({ host, result: 'refused', message: trigger.message, askedAt, doneAt: o.now() });
    }
    progress(await followRun(host, trigger.initiatedAt, askedAt, poller, o));
  };

  const start = (host: string, ownRunFirst: boolean) => {
    active++;
    void lane(host, ownRunFirst)
      .catch((err: Error) => progress({ host, result: 'refused', message: err.message, askedAt: o.now(), doneAt: o.now() }))
      .finally(() => wake());
  };

  // Nodes applying on their own hold a slot from the start, and are run again once they are done.
  for (const host of hosts) {
    if (initial.get(host)?.applying) {
      o.log(`Host ${host} is applying a catalog on its own; it counts against the concurrency`);
      queue.splice(queue.indexOf(host), 1);
      start(host, true);
    }
  }
  while (queue.length > 0 || active > 0) {
    while (active < o.concurrency && queue.length > 0) start(queue.shift()!, false);
    await new Promise<void>((resolve) => (wake = resolve));
  }
  o.log(
    `Iteration complete. Initiated a Puppet run on ${outcomes.filter((r) => r.result !== 'no_response' && r.result !== 'refused').length} nodes.`,
  );
  return outcomes;
}
