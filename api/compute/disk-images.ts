import { badRequest } from '../errors';

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]); // "QFI\xfb"
const MB = 1024 * 1024;

/**
 * What an uploaded disk image is: qcow2 (its header states the virtual size) or raw (its size is
 * the file's). A declared `type` that contradicts the content is a client error.
 */
export function inspectDiskImage(content: Buffer, declared: 'qcow2' | 'raw' | undefined): { type: 'qcow2' | 'raw'; sizeMb: number } {
  if (content.length === 0) throw badRequest('file: the uploaded file is empty');
  const isQcow2 = content.length >= 32 && content.subarray(0, 4).equals(QCOW2_MAGIC);
  if (declared === 'qcow2' && !isQcow2) throw badRequest('file: not a qcow2 image (type=qcow2 was given)');
  if (isQcow2 && declared !== 'raw') {
    const virtualSize = Number(content.readBigUInt64BE(24));
    return { type: 'qcow2', sizeMb: Math.max(1, Math.ceil(virtualSize / MB)) };
  }
  return { type: 'raw', sizeMb: Math.max(1, Math.ceil(content.length / MB)) };
}
