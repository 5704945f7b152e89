/**
 * A growable byte buffer that records are rendered into. The writer renders each record straight into the
 * bytes of its batch (one Buffer per flush) instead of building strings and encoding them: the record text is
 * ASCII (Python's `json.dumps` escapes everything else), so most of it is stored a byte per character with no
 * string in between.
 */

/** A byte buffer with a write position; `buf` grows (by doubling) as bytes are added. */
export class ByteSink {
  /** The bytes; those before `pos` are the content. */
  buf: Buffer;
  /** The number of bytes written. */
  pos = 0;

  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    // Kept tiny so that the compiler inlines it into every writer; the rare growth is a call.
    if (this.pos + n > this.buf.length) grow(this, n);
  }

  /** Appends one byte (room must have been reserved). */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Appends a string known to be ASCII (or Latin-1), a byte per character. */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    // Short strings (keys, numbers, tag names) are copied in JS: cheaper than a call into the native encoder.
    if (n <= 32) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
      this.pos = pos;
    } else this.pos += this.buf.write(s, this.pos, n, "latin1");
  }

  /** Appends any string as UTF-8. */
  utf8(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** The content, as a view of the buffer (valid until the next write or `clear`). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** The content as a string (the content must be ASCII or Latin-1). */
  latin1(): string {
    return this.buf.toString("latin1", 0, this.pos);
  }

  /** Empties the sink, keeping its buffer. */
  clear(): void {
    this.pos = 0;
  }
}

function grow(sink: ByteSink, n: number): void {
  const next = Buffer.allocUnsafe(Math.max(sink.buf.length * 2, sink.pos + n));
  sink.buf.copy(next, 0, 0, sink.pos);
  sink.buf = next;
}
