import { HealthImplementation, type ServingStatus } from "grpc-health-check";

/**
 * grpc.health.v1.Health that also answers what it last set, so that the HTTP port's `/healthz`
 * says what the gRPC port's Health says (NOT_SERVING while shutting down, or after a failure).
 */
export class ServingHealth extends HealthImplementation {
  readonly #statuses: Map<string, ServingStatus>;

  constructor(initial: Record<string, ServingStatus>) {
    super(initial);
    this.#statuses = new Map(Object.entries(initial));
  }

  override setStatus(service: string, status: ServingStatus): void {
    this.#statuses.set(service, status);
    super.setStatus(service, status);
  }

  /** The status of `service` ("" = the server as a whole); UNKNOWN for a service never set. */
  statusOf(service = ""): ServingStatus {
    return this.#statuses.get(service) ?? "UNKNOWN";
  }
}
