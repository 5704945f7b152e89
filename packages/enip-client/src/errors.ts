/** The client's errors, where the modules above the layers (and `route.ts`) have always imported them from. */
export {
  AbortError,
  ConnectTimeoutError,
  CpppoError,
  InvalidArgumentError,
  InvalidOperationError,
  ProtocolError,
  RequestTimeoutError,
  SessionClosedError,
} from "./core/errors.js";
