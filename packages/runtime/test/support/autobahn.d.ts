/** The little of npm `autobahn` (22.x, untyped) the WAMP tests use. */
declare module "autobahn" {
  export interface Session {
    id: number;
    call(procedure: string, args?: unknown[], kwargs?: Record<string, unknown>): Promise<unknown>;
    subscribe(topic: string, handler: (args: unknown[]) => void): Promise<unknown>;
    register(procedure: string, endpoint: (args: unknown[]) => unknown): Promise<unknown>;
    leave(reason?: string, message?: string): void;
  }
  export interface ConnectionOptions {
    url: string;
    realm: string;
    serializers?: unknown[];
    protocols?: string[];
    max_retries?: number;
    initial_retry_delay?: number;
    max_retry_delay?: number;
    retry_delay_growth?: number;
    authmethods?: string[];
    authid?: string;
    onchallenge?: (session: Session, method: string, extra: Record<string, unknown>) => string;
  }
  export class Connection {
    constructor(options: ConnectionOptions);
    onopen: ((session: Session, details: Record<string, unknown>) => void) | undefined;
    onclose: ((reason: string, details: Record<string, unknown>) => boolean | undefined) | undefined;
    open(): void;
    close(reason?: string, message?: string): void;
    readonly isOpen: boolean;
  }
  export const serializer: { JSONSerializer: new () => unknown; MsgpackSerializer: new () => unknown };
  export const auth_cra: {
    sign(key: string, challenge: string): string;
    derive_key(secret: string, salt: string, iterations?: number, keylen?: number): string;
  };
  const autobahn: {
    Connection: typeof Connection;
    serializer: typeof serializer;
    auth_cra: typeof auth_cra;
  };
  export default autobahn;
}
