/** What a Modbus line carries: one request in, one reply out, each under a deadline and an AbortSignal. */

/** The function codes the poller reads (1 coils, 2 discrete inputs, 3 holding, 4 input registers). */
export type ReadFunction = 1 | 2 | 3 | 4;
/** The function codes the poller writes (5 one coil, 6 one register, 15 coils, 16 registers). */
export type WriteFunction = 5 | 6 | 15 | 16;

/** A read of `count` bits or registers from the 0-based `offset` of unit `unit`. */
export interface ReadRequest {
  unit: number;
  fc: ReadFunction;
  offset: number;
  count: number;
}

/** A write of `values` (registers as 0…65535, coils as 0/1) at the 0-based `offset` of unit `unit`. */
export interface WriteRequest {
  unit: number;
  fc: WriteFunction;
  offset: number;
  values: readonly number[];
}

/** A request of either kind. */
export type ModbusRequest = ReadRequest | WriteRequest;

/** A reply: the values read (bits as 0/1, truncated to the count; empty for a write), or the Modbus exception code. */
export type ModbusReply = { kind: "values"; values: number[] } | { kind: "exception"; code: number };

/** The per-operation options: `timeout` in ms (the transport's default when absent) and an AbortSignal. */
export interface OperationOptions {
  /** Deadline in ms over the whole transaction, connect included, from when it starts on the line. */
  timeout?: number;
  /** Aborts the operation: while queued it is dropped, in flight the connection is closed. */
  signal?: AbortSignal;
}

/** Options the poller adds: a callback when the transaction starts on the line (after any wait in the queue). */
export interface TransactOptions extends OperationOptions {
  onStart?: () => void;
}

/** A Modbus line: requests go one at a time in FIFO order; `close` rejects every pending one. */
export interface ModbusTransport {
  transact(request: ModbusRequest, options?: TransactOptions): Promise<ModbusReply>;
  close(): Promise<void>;
  readonly closed: boolean;
}
