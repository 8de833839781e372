import { describe, expect, it } from 'vitest';
import { inspectDiskImage } from '../../api/compute/disk-images';

function qcow2Header(virtualSizeBytes: bigint): Buffer {
  const header = Buffer.alloc(72);
  Buffer.from([0x51, 0x46, 0x49, 0xfb]).copy(header, 0); // "QFI\xfb"
  header.writeUInt32BE(3, 4); // version
  header.writeBigUInt64BE(virtualSizeBytes, 24);
  return header;
}

describe('inspectDiskImage', () => {
  it('reads a qcow2 image at its virtual size, rounded up to whole MB', () => {
    expect(inspectDiskImage(qcow2Header(10n * 1024n * 1024n * 1024n), undefined)).toEqual({ type: 'qcow2', sizeMb: 10240 });
    expect(inspectDiskImage(qcow2Header(1n), 'qcow2')).toEqual({ type: 'qcow2', sizeMb: 1 });
  });

  it('takes anything else as raw, at its file size', () => {
    expect(inspectDiskImage(Buffer.alloc(5 * 1024 * 1024 + 1), undefined)).toEqual({ type: 'raw', sizeMb: 6 });
    expect(inspectDiskImage(Buffer.from('tiny'), 'raw')).toEqual({ type: 'raw', sizeMb: 1 });
  });

  it('honours type=raw for a qcow2 file (stored as the bytes it is)', () => {
    expect(inspectDiskImage(qcow2Header(1024n * 1024n * 1024n), 'raw')).toEqual({ type: 'raw', sizeMb: 1 });
  });

  it('refuses an empty file, and type=qcow2 on content that is not qcow2, naming the field', () => {
    expect(() => inspectDiskImage(Buffer.alloc(0), undefined)).toThrow(/^file: /);
    expect(() => inspectDiskImage(Buffer.from('not an image at all, just some bytes'), 'qcow2')).toThrow(/^file: not a qcow2 image/);
  });
});
