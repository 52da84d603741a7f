/** Conversions between the portable column types (./schema.ts) and the values the layers use. */
import { Buffer } from 'node:buffer';

/** Bytes for a blob/bytea parameter (both drivers want a Buffer). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const toFlag = (value: boolean): number => (value ? 1 : 0);
export const fromFlag = (value: number | bigint | boolean): boolean => Number(value) !== 0;

/** JSON text columns hold arrays of strings (transports, amr, signals). */
export function stringArray(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
