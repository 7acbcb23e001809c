// Start-up flags and CONFIG values: Redis's memory units, clear errors naming the option.
import { describe, expect, it } from 'vitest';
import { ConfigError, findSetting, parseArgs, parseMemory, defaultConfig, type Config } from '../../src/config.js';

describe('config', () => {
  it('parses memory values the way Redis does (k = 1000, kb = 1024)', () => {
    expect(parseMemory('100')).toBe(100);
    expect(parseMemory('64k')).toBe(64000);
    expect(parseMemory('64kb')).toBe(65536);
    expect(parseMemory('32MB')).toBe(32 * 1024 * 1024);
    expect(parseMemory('1gb')).toBe(1024 ** 3);
    expect(parseMemory('1.5mb')).toBeNaN();
    expect(parseMemory('-1')).toBeNaN();
  });

  it('reads flags in both --flag value and --flag=value forms', () => {
    const c = parseArgs(['--port', '7000', '--workers=3', '--client-output-buffer-limit', 'pubsub 1mb 256kb 5', '--ring-size', '64kb']) as Config;
    expect(c.port).toBe(7000);
    expect(c.workers).toBe(3);
    expect([c.pubsubHardLimitBytes, c.pubsubSoftLimitBytes, c.pubsubSoftLimitSeconds]).toEqual([1024 * 1024, 256 * 1024, 5]);
    expect(c.ringBytes).toBe(65536);
    expect(parseArgs(['--help'])).toBe('help');
  });

  it('names the option and the value in errors', () => {
    expect(() => parseArgs(['--port', '70000'])).toThrow(ConfigError);
    expect(() => parseArgs(['--port', '70000'])).toThrow("invalid value '70000' for --port");
    expect(() => parseArgs(['--ring-size', '100kb'])).toThrow('power of two');
    expect(() => parseArgs(['--nope'])).toThrow('unknown option --nope');
    expect(() => parseArgs(['--port'])).toThrow('option --port needs a value');
    expect(() => parseArgs(['--workers', '65'])).toThrow('between 0 and 64');
    expect(() => parseArgs(['--workers', '-1'])).toThrow("invalid value '-1' for --workers");
    expect((parseArgs(['--workers', '0']) as Config).workers).toBe(0);
  });

  it('client-output-buffer-limit keeps Redis\'s format and rejects bad classes', () => {
    const c = defaultConfig();
    const s = findSetting('client-output-buffer-limit')!;
    expect(s.get(c)).toBe('normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
    expect(s.set!(c, 'pubsub 1 2')).toBe('Wrong number of arguments in buffer limit configuration.');
    expect(s.set!(c, 'weird 1 2 3')).toBe('Invalid client class specified in buffer limit configuration.');
    expect(s.set!(c, 'pubsub 10mb 5mb 30')).toBeNull();
    expect(c.pubsubHardLimitBytes).toBe(10 * 1024 * 1024);
  });
});
