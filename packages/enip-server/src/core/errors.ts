/**
 * The errors @cpppo/enip-server throws, all `CpppoError`s (one base for every @cpppo package; match on `err.code`).
 * Protocol errors are CIP replies, never exceptions: these are for caller mistakes and transport failures.
 */
import { defineError } from "@cpppo/cip-codec";

export { CpppoError, InvalidArgumentError } from "@cpppo/cip-codec";

/** A tag definition that does not follow the grammar or conflicts with another (code `ERR_INVALID_TAG`). */
export class InvalidTagError extends defineError("ERR_INVALID_TAG", "InvalidTagError") {}

/** A configuration file or section that cannot be used (code `ERR_CONFIG`). */
export class ConfigError extends defineError("ERR_CONFIG", "ConfigError") {}

// The route forwarder's three errors stay inside the simulator: a routed request that fails gets a CIP error reply.

/** A routed request's forwarder could not reach its target or got a bad answer (code `ERR_ENIP_FORWARD`). */
export class ForwardError extends defineError("ERR_ENIP_FORWARD", "ForwardError") {}

/** A routed request's target did not connect or answer before the deadline (code `ERR_ENIP_FORWARD_TIMEOUT`). */
export class ForwardTimeoutError extends defineError("ERR_ENIP_FORWARD_TIMEOUT", "ForwardTimeoutError") {}

/** The forwarder, or its connection to the target, closed with the request pending (code `ERR_ENIP_FORWARD_CLOSED`). */
export class ForwardClosedError extends defineError("ERR_ENIP_FORWARD_CLOSED", "ForwardClosedError") {}
