import { experimental, type ServerCredentials } from "@grpc/grpc-js";
import type { TlsMaterial } from "./tls-material.js";

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** grpc-js server credentials whose certificate, key and client CA can be replaced while serving. */
export interface ReloadableGrpcCredentials {
  readonly credentials: ServerCredentials;
  /** Serve new connections with this material; open connections keep theirs. */
  update(material: TlsMaterial): void;
}

/**
 * TLS (mutual TLS when the material has a client CA) for grpc-js, through its certificate-provider
 * credentials: grpc-js calls setSecureContext on its listening servers whenever a provider sends
 * an update, so a reload never closes the port, a connection or a watch.
 */
export function createReloadableGrpcCredentials(initial: TlsMaterial): ReloadableGrpcCredentials {
  let material = initial;
  const caListeners = new Set<CaListener>();
  const identityListeners = new Set<IdentityListener>();
  const provider: experimental.CertificateProvider = {
    // grpc-js registers its own watcher only after adding these listeners: a first update sent
    // synchronously would reach nobody, and the port would drop every connection.
    addCaCertificateListener(listener) {
      caListeners.add(listener);
      queueMicrotask(() => listener(material.clientCa === undefined ? null : { caCertificate: material.clientCa }));
    },
    removeCaCertificateListener: (listener) => caListeners.delete(listener),
    addIdentityCertificateListener(listener) {
      identityListeners.add(listener);
      queueMicrotask(() => listener({ certificate: material.cert, privateKey: material.key }));
    },
    removeIdentityCertificateListener: (listener) => identityListeners.delete(listener),
  };
  const mutual = initial.clientCa !== undefined;
  // grpc-js 1.14 passes its first argument on as the identity provider (the .d.ts names it the
  // CA provider); one provider serves both kinds of listener, so the order cannot go wrong.
  const credentials = experimental.createCertificateProviderServerCredentials(
    provider,
    mutual ? provider : null,
    mutual,
  );
  return {
    credentials,
    update(next) {
      material = next;
      for (const listener of identityListeners) listener({ certificate: next.cert, privateKey: next.key });
      if (mutual && next.clientCa !== undefined) {
        for (const listener of caListeners) listener({ caCertificate: next.clientCa });
      }
    },
  };
}
