// vitest globalSetup: the whole run (all workers) shares one temp directory, checked once at the end, so files
// running in parallel cannot mistake each other's live directories for leaks.
import { guardTempDir } from './temp-guard.js';
import { stopSharedRabbitMQ } from './rabbitmq.js';

export default function setup(): () => Promise<void> {
  const guard = guardTempDir();
  return async () => {
    // The RabbitMQ node the AMQP tests shared, if any of them ran; its files are in the run's directory.
    await stopSharedRabbitMQ().catch((err: unknown) => console.error(`could not stop the tests' RabbitMQ node: ${(err as Error).message}`));
    const report = guard.finish();
    if (report) {
      // A teardown error alone does not fail the run.
      process.exitCode = 1;
      console.error(`\n${report}\n`);
    }
  };
}
