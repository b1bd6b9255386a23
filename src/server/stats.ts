/** Counters a node keeps about the requests it sees (MCollective's RunnerStats plus a count per rejection reason). */
export interface StatsSnapshot {
  starttime: number;
  uptime: number;
  total: number;
  validated: number;
  unvalidated: number;
  filtered: number;
  passed: number;
  replies: number;
  ttlexpired: number;
  rejected: Record<string, number>;
}

export class ServerStats {
  readonly starttime = Date.now();
  total = 0;
  validated = 0;
  unvalidated = 0;
  filtered = 0;
  passed = 0;
  replies = 0;
  ttlexpired = 0;
  private readonly rejections = new Map<string, number>();

  reject(reason: string): void {
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  rejectedCount(reason: string): number {
    return this.rejections.get(reason) ?? 0;
  }

  snapshot(now = Date.now()): StatsSnapshot {
    return {
      starttime: Math.floor(this.starttime / 1000),
      uptime: Math.floor((now - this.starttime) / 1000),
      total: this.total,
      validated: this.validated,
      unvalidated: this.unvalidated,
      filtered: this.filtered,
      passed: this.passed,
      replies: this.replies,
      ttlexpired: this.ttlexpired,
      rejected: Object.fromEntries(this.rejections),
    };
  }
}
