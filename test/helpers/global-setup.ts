// vitest globalSetup: the whole run (all workers) shares one temp directory, checked once at the end, so files
// running in parallel cannot mistake each other's live directories for leaks.
import { guardTempDir } from './temp-guard.js';

export default function setup(): () => void {
  const guard = guardTempDir();
  return () => {
    const report = guard.finish();
    if (report) {
      // A teardown error alone does not fail the run.
      process.exitCode = 1;
      console.error(`\n${report}\n`);
    }
  };
}
