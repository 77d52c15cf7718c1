// Turns the bytes of an imported file into text, refusing what would be misread: bytes that are not
// in the file's encoding (a Latin-1 "Café" read as UTF-8 would become "Caf�"), NUL characters (a
// UTF-16 file read as UTF-8, or a binary file), and files larger than the limit. Each refusal says
// where (line and column) and what to do.
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../domain/errors';

export const DEFAULT_ENCODING = 'utf-8';

/** The encodings an import may name: every label the WHATWG Encoding Standard knows. */
export function checkEncoding(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw new AppError(
      'IMPORT_ENCODING_UNKNOWN',
      `"${label}" is not an encoding Retain knows. Use utf-8, windows-1252 (Excel's Latin-1), ` +
        'iso-8859-15, utf-16le or another WHATWG encoding label.',
      { encoding: label },
    );
  }
}

/**
 * Where the first byte sequence that is not UTF-8 starts in `bytes`, or -1 when they all are (an
 * unfinished sequence at the end counts as valid: the next chunk may finish it).
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k += 1) {
      if (i + k >= bytes.length) return -1;
      const next = bytes[i + k]!;
      if (next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return -1;
}

/** The bytes of a UTF-8 sequence that `bytes` ends in the middle of (none when it ends whole). */
function unfinishedTail(bytes: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(bytes.length - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(' ');
}

/** The refusal of a file over the import limit. */
export function tooLarge(maxBytes: number): AppError {
  const size =
    maxBytes >= 1024 * 1024
      ? `${Math.floor(maxBytes / 1024 / 1024)} MiB`
      : `${Math.ceil(maxBytes / 1024)} KiB`;
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `The file is larger than the import limit of ${size}. Split it into smaller files (each is imported on ` +
      'its own) or ask an administrator to raise the limit (--import-limit).',
    { maxBytes },
  );
}

export interface DecodeOptions {
  /** A WHATWG encoding label; UTF-8 when absent. */
  encoding?: string;
  /** The most bytes the file may have. */
  maxBytes?: number;
}

/**
 * A stream of the file's text. UTF-8 is checked strictly; other encodings decode every byte (as
 * their tables say). Errors are AppErrors with a stable code and the line and column.
 */
export function decodeImport(options: DecodeOptions = {}): Transform {
  const encoding = checkEncoding(options.encoding ?? DEFAULT_ENCODING);
  const utf8 = encoding === 'utf-8';
  const decoder = new TextDecoder(encoding, { fatal: utf8 });
  const maxBytes = options.maxBytes ?? Infinity;
  let bytes = 0;
  let line = 1;
  /** Characters since the last line break, for columns. */
  let column = 0;
  let first = true;
  /** The bytes of an unfinished UTF-8 sequence at the end of the previous chunk. */
  let carry: Uint8Array = new Uint8Array(0);

  const where = (text: string, index: number) => {
    let at = line;
    let start = -1;
    for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
      at += 1;
      start = i;
    }
    return { line: at, column: start < 0 ? column + index + 1 : index - start };
  };
  const advance = (text: string) => {
    const last = text.lastIndexOf('\n');
    if (last < 0) column += text.length;
    else {
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line += 1;
      column = text.length - last - 1;
    }
  };

  const notUtf8 = (chunk: Uint8Array): AppError => {
    const joined = Buffer.concat([carry, chunk]);
    const at = Math.max(0, firstInvalidUtf8(joined));
    const before = new TextDecoder('utf-8').decode(joined.subarray(0, at));
    const place = where(before, before.length);
    const sample = joined.subarray(at, Math.min(joined.length, at + 4));
    return new AppError(
      'IMPORT_ENCODING',
      `Line ${place.line}, column ${place.column}: the bytes ${hex(sample)} are not UTF-8. The file is in ` +
        'another encoding (Excel on Windows saves CSV as windows-1252): save it as "CSV UTF-8", or import ' +
        'it with encoding=windows-1252 (or the encoding it was saved in).',
      { line: place.line, column: place.column, bytes: hex(sample), errors: [] },
    );
  };

  return new Transform({
    readableObjectMode: false,
    decodeStrings: true,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        callback(tooLarge(maxBytes));
        return;
      }
      if (first) {
        first = false;
        const bom16 = (chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff);
        if (bom16 && !encoding.startsWith('utf-16')) {
          const which = chunk[0] === 0xff ? 'utf-16le' : 'utf-16be';
          callback(
            new AppError(
              'IMPORT_ENCODING',
              `Line 1, column 1: the file starts with a UTF-16 byte order mark. Import it with encoding=${which}, ` +
                'or save it as "CSV UTF-8".',
              { line: 1, column: 1, encoding: which, errors: [] },
            ),
          );
          return;
        }
      }
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        callback(notUtf8(chunk));
        return;
      }
      // The decoder holds back an unfinished sequence at the end; keep it too, for positions.
      if (utf8) carry = Uint8Array.from(unfinishedTail(Buffer.concat([carry, chunk])));
      const nul = nulError(text);
      if (nul) {
        callback(nul);
        return;
      }
      advance(text);
      callback(null, text);
    },
    flush(callback: TransformCallback) {
      let text: string;
      try {
        text = decoder.decode();
      } catch {
        callback(notUtf8(new Uint8Array(0)));
        return;
      }
      callback(nulError(text) ?? null, text);
    },
  });

  function nulError(text: string): AppError | undefined {
    const at = text.indexOf('\u0000');
    if (at < 0) return undefined;
    const place = where(text, at);
    return new AppError(
      'IMPORT_NUL',
      `Line ${place.line}, column ${place.column}: the file holds a NUL character (0x00), which no CSV ` +
        'cell may hold. ' +
        (encoding.startsWith('utf-16')
          ? 'Remove it, or save the file again as "CSV UTF-8".'
          : `A UTF-16 file read as ${encoding} looks like this: import it with encoding=utf-16le, or save ` +
            'it as "CSV UTF-8".'),
      { line: place.line, column: place.column, errors: [] },
    );
  }
}
