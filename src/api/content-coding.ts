// Request bodies sent compressed (Content-Encoding gzip, deflate or br) are read as what they
// hold. A coding Retain does not know is 415; a body that is not what its coding says is 400.
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { AppError } from '../domain/errors';
import { incomplete } from './upload-spool';

/** The decompressor for a Content-Encoding header, or null for a body sent as it is. */
export function decoderFor(header: string | undefined): { coding: string; decoder: Transform } | null {
  const coding = (header ?? 'identity').trim().toLowerCase();
  switch (coding) {
    case 'identity':
    case '':
      return null;
    case 'gzip':
    case 'x-gzip':
      return { coding, decoder: createGunzip() };
    case 'deflate':
      return { coding, decoder: createInflate() };
    case 'br':
      return { coding, decoder: createBrotliDecompress() };
    default:
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding "${coding.slice(0, 40)}" is not accepted: send the body as it is, or gzip, deflate or br.`,
      );
  }
}

/** `body` through a decompressor; the body's own end or failure ends the decompressed stream. */
export function decompressed(body: Readable, inflate: Transform, coding: string): PassThrough {
  body.once('error', (error) => inflate.destroy(error));
  body.once('close', () => {
    if (!body.readableEnded) inflate.destroy(incomplete());
  });
  const wrapped = new PassThrough();
  // Its failure may come before a reader listens (see upload-spool); the reader sees it then.
  wrapped.on('error', () => undefined);
  inflate.once('error', (error: NodeJS.ErrnoException) => {
    body.unpipe(inflate);
    // A body that is not what its Content-Encoding says is the client's mistake, not the server's.
    wrapped.destroy(
      error instanceof AppError
        ? error
        : new AppError(
            'BAD_REQUEST',
            `The body is not valid ${coding} data (${error.code ?? error.message}).`,
          ),
    );
  });
  return body.pipe(inflate).pipe(wrapped);
}
