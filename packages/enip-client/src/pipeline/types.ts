/** What the pipeline runs and yields, and the narrow port of the client it runs over. */
import type { CipReply, CipRequest, EPath } from "@cpppo/cip-codec";
import type { RequestOptions } from "../core/result.js";
import type { TagPort } from "../operations/port.js";
import type { RawReply } from "../session/raw-reply.js";

/**
 * What the pipeline needs of a client: tag requests, waiting for the session, replies handed over undecoded, and
 * whether the device takes Multiple Service Packets (false once it answered one "service not supported").
 */
export interface PipelinePort extends TagPort {
  ready(options: RequestOptions): Promise<void>;
  requestFrame(message: CipRequest, options: RequestOptions, meaning: CipRequest): Promise<RawReply>;
  readonly multipleAllowed: boolean;
  /** Sends no more Multiple Service Packets over this connection. */
  refuseMultiple(): void;
}

/** Where one operation goes when not where the client sends by default (an operation with its own route is never packed). */
export interface OperationRoute {
  routePath?: EPath | false;
  sendPath?: EPath | "";
}

/**
 * One operation, as `parseOperation` (src/parse-operations.ts) produces it: read, write, Get Attribute Single/All,
 * Set Attribute Single, or a generic service. `dataSize` (bytes of reply data, when known) lets Get Attribute and
 * generic services be packed; `description` defaults to the path's text. Operations run again and again (a polling
 * loop) go through `prepare(ops)`, whose read requests are planned once: change an operation by assigning its
 * fields (a new `path` array), not by editing its path's segments in place, which is not noticed.
 */
export type PipelineOperation = OperationRoute &
  (
    | {
        method: "read";
        path: EPath;
        elements?: number;
        offset?: number;
        description?: string;
        fragment?: boolean;
      }
    | {
        method: "write";
        path: EPath;
        elements: number;
        offset?: number;
        tagType: number;
        structureHandle?: number;
        values: readonly unknown[];
        description?: string;
        fragment?: boolean;
      }
    | {
        method: "getAttributeSingle" | "getAttributesAll";
        path: EPath;
        description?: string;
        dataSize?: number;
      }
    | { method: "setAttributeSingle"; path: EPath; data: Uint8Array; description?: string }
    | {
        method: "service";
        code: number;
        path: EPath;
        data: Uint8Array;
        description?: string;
        dataSize?: number;
      }
  );

/** One operation's outcome, yielded in operation order. */
export interface OperationResult {
  /** Position of the operation in the input, from 0. */
  index: number;
  description: string;
  /** The request sent for it (inside a packet when packed; the first request of a continued transfer). */
  request: CipRequest;
  /** Its reply (the last one of a continued transfer). */
  reply: CipReply;
  ok: boolean;
  /** General status. */
  status: number;
  extStatus: number[];
  statusText: string;
  /** Read values, `true` for writes and sets, raw data for attribute gets and services; undefined on failure. */
  value: unknown;
}

/** Options of `pipeline`. */
export interface PipelineOptions extends RequestOptions {
  /** Requests in flight at once; defaults to 1. */
  depth?: number;
  /** Pack operations into Multiple Service Packets: false (default), true (up to the connection size), or a byte budget. */
  multiple?: boolean | number;
  /** Always use Read/Write Tag Fragmented (cpppo `-f`); defaults to false. */
  fragment?: boolean;
}
