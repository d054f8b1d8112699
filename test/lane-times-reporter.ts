import type { Reporter, TestModule } from 'vitest/node';

/**
 * A vitest reporter that prints, at the end of a run, each lane's (project's)
 * files, the time its files took (preparing, importing, setting up and running
 * each, summed: what the lane costs on its own with one worker) and its span
 * (first file started to last file ended), placed on the run's clock: what
 * came before the first file (the lanes' global setups) and any gap between
 * groups show there. `npm test` adds it beside the default reporter
 * (scripts/test-lanes.ts).
 */
export default class LaneTimesReporter implements Reporter {
  private lanes = new Map<string, { files: number; failed: number; fileMs: number; first: number; last: number }>();
  private started = Date.now();

  onInit() {
    this.started = Date.now();
  }

  onTestModuleStart(module: TestModule) {
    const lane = this.lane(module.project.name);
    lane.first = Math.min(lane.first, Date.now());
  }

  onTestModuleEnd(module: TestModule) {
    const lane = this.lane(module.project.name);
    const d = module.diagnostic();
    lane.files += 1;
    if (!module.ok()) lane.failed += 1;
    lane.fileMs += d.prepareDuration + d.collectDuration + d.setupDuration + d.duration;
    lane.last = Math.max(lane.last, Date.now());
  }

  onTestRunEnd() {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(9);
    const at = (ms: number) => `+${Math.round((ms - this.started) / 1000)} s`.padStart(7);
    console.log('\n== time per lane (file time: each file prepared, imported and run, summed; span: first file started to last ended, on the run\'s clock)');
    for (const [name, l] of this.lanes) {
      console.log(`  ${name.padEnd(9)} ${String(l.files).padStart(3)} files${l.failed ? ` (${l.failed} failed)` : ''}  file time ${s(l.fileMs)}  span ${s(l.last - l.first)}  from ${at(l.first)} to ${at(l.last)}`);
    }
    console.log(`  the run ended at ${at(Date.now())}`);
  }

  private lane(name: string) {
    let lane = this.lanes.get(name);
    if (!lane) this.lanes.set(name, (lane = { files: 0, failed: 0, fileMs: 0, first: Infinity, last: 0 }));
    return lane;
  }
}
