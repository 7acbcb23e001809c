/**
 * The AOF rewrite task (a piscina worker thread): writes the snapshot the main thread encoded and
 * transferred, fsyncs it, returns its size. No logic lives here (see src/store/aof-format.ts).
 */
import { writeLogFile, type RewriteTask } from '../src/store/aof-format.js';

export default function rewriteAofTask(task: RewriteTask): number {
  return writeLogFile(task);
}
